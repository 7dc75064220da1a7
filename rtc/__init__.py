"""WebRTC plumbing shared by the server's media plane (sfu) and the headless clients (bots).

Neither side owns it: ICE server entries, how a peer gathers its candidates (addresses, UDP
port range, advertised public address), aiortc patches and audio format constants. It imports
aiortc/aioice and numpy only, never sfu, bots or web.
"""
