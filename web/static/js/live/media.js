// The WebRTC side of a live room: one RTCPeerConnection to the server that sends the microphone
// and receives the personal stereo mix. Renegotiates (new peer connection) with backoff after a
// failure, a media_closed from the server, or a WebSocket reconnect.
// Before every retry it asks the server for fresh ICE servers (TURN credentials expire).
// Events: "state" (detail: {state, reason}: why the last attempt failed, for the user), "stream"
// (detail: the remote MediaStream), "mic" (detail: {available, reason}).
// localStorage "hubbub.iceTransportPolicy" = "relay" sends media through the TURN server only.

import { withStereoOpus } from "./sdp.js";

export class MediaLink extends EventTarget {
  constructor(socket, { minDelay = 1000, maxDelay = 15000 } = {}) {
    super();
    this.socket = socket;
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.pc = null;
    this.mic = null;
    this.micMuted = false;
    this.state = "idle";
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    this.generation = 0;
    this.iceServers = [];
    this.remoteStream = null;
    this.reason = "";
    this.iceError = "";  // the last ICE server error of the current attempt, in words
  }

  setState(state, reason = this.reason) {
    if (this.state === state && this.reason === reason) return;
    this.state = state;
    this.reason = reason;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, reason } }));
  }

  /** Ask for the microphone once (kept across reconnects); listen-only if refused. */
  async openMic() {
    if (this.mic) return this.mic;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.dispatchEvent(new CustomEvent("mic", { detail: { available: false, reason: "This page cannot use a microphone here (it needs https)." } }));
      return null;
    }
    try {
      this.mic = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
        video: false,
      });
      this.mic.getAudioTracks().forEach((t) => { t.enabled = !this.micMuted; });
      this.dispatchEvent(new CustomEvent("mic", { detail: { available: true } }));
    } catch (err) {
      const reason = err && err.name === "NotAllowedError"
        ? "Microphone access was refused: you can listen but not speak."
        : "No microphone found: you can listen but not speak.";
      this.dispatchEvent(new CustomEvent("mic", { detail: { available: false, reason } }));
      this.mic = null;
    }
    return this.mic;
  }

  setMicMuted(muted) {
    this.micMuted = muted;
    if (this.mic) this.mic.getAudioTracks().forEach((t) => { t.enabled = !muted; });
  }

  /** (Re)negotiate now with the joined message's ICE servers. */
  async connect(iceServers) {
    if (this.stopped) return;
    this.iceServers = iceServers || [];
    clearTimeout(this.timer);
    const gen = ++this.generation;
    this.closePc();
    this.setState(this.attempt ? "reconnecting" : "connecting");
    await this.openMic();
    if (gen !== this.generation || this.stopped) return;
    const relayOnly = localStorage.getItem("hubbub.iceTransportPolicy") === "relay";
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: relayOnly ? "relay" : "all" });
    this.pc = pc;
    this.iceError = "";
    pc.addEventListener("icecandidateerror", (event) => {
      if (pc === this.pc) this.iceError = describeIceError(event);
    });
    const queued = [];
    let answered = false;
    let candidates = 0;
    pc.addEventListener("icecandidate", (event) => {
      const c = event.candidate;
      if (c && c.candidate) candidates += 1;
      else if (relayOnly && !candidates && pc === this.pc) {  // nothing to connect with: say why at once
        this.retry(this.iceError || (hasTurn(this.iceServers) ? "no relay candidate from the TURN server"
          : "relay only, but the server offers no TURN server"));
        return;
      }
      const msg = c && c.candidate
        ? { type: "ice", candidate: c.candidate, sdp_mid: c.sdpMid, sdp_mline_index: c.sdpMLineIndex }
        : { type: "ice", candidate: null };
      if (answered) this.socket.send(msg);
      else queued.push(msg);
    });
    pc.addEventListener("track", (event) => {
      if (pc !== this.pc) return;
      this.remoteStream = event.streams[0] || new MediaStream([event.track]);
      this.dispatchEvent(new CustomEvent("stream", { detail: this.remoteStream }));
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc !== this.pc) return;
      const st = pc.connectionState;
      if (st === "connected") {
        this.attempt = 0;
        this.setState("connected", "");
      } else if (st === "failed") {
        this.retry(this.iceError || "no network path to the server");
      } else if (st === "disconnected") {
        this.setState("reconnecting");
        clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          if (pc === this.pc && pc.connectionState !== "connected") this.retry();
        }, 4000);
      }
    });
    const micTrack = this.mic && this.mic.getAudioTracks()[0];
    if (micTrack) pc.addTransceiver(micTrack, { direction: "sendrecv", streams: [this.mic] });
    else pc.addTransceiver("audio", { direction: "recvonly" });
    try {
      const offer = await pc.createOffer();
      const sdp = withStereoOpus(offer.sdp);
      await pc.setLocalDescription({ type: "offer", sdp });
      const answer = await this.socket.request({ type: "offer", sdp });
      if (pc !== this.pc) return;
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      answered = true;
      for (const msg of queued) this.socket.send(msg);
    } catch (err) {
      if (pc !== this.pc || this.stopped) return;
      console.warn("media negotiation failed:", err && err.message);
      this.retry(err && err.code === "media_unavailable" ? "the server is full, retrying" : err && err.message);
    }
  }

  /** Try again later, with exponential backoff and fresh ICE servers; ``reason`` is shown meanwhile. */
  retry(reason = "") {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const delay = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt) * (0.8 + 0.4 * Math.random());
    this.attempt += 1;
    this.setState("reconnecting", reason || this.reason);
    this.closePc();
    this.timer = setTimeout(async () => {
      // Only renegotiate over a joined socket; otherwise the socket's own reconnect calls connect().
      if (this.stopped || this.socket.state !== "connected") return;
      try {
        this.iceServers = (await this.socket.request({ type: "ice_servers" })).ice_servers;
      } catch { /* keep the last ones; the socket's own reconnect brings fresh ones */ }
      if (!this.stopped && this.socket.state === "connected") this.connect(this.iceServers);
    }, delay);
  }

  /** The server dropped our media session (e.g. ICE failed on its side). */
  onMediaClosed(reason) {
    this.retry(this.iceError || (reason ? `media ended: ${reason.replace("_", " ")}` : ""));
  }

  /** The socket dropped: the server has closed our session, wait for the socket's next join. */
  suspend() {
    clearTimeout(this.timer);
    this.generation += 1;
    this.closePc();
    if (this.state !== "idle") this.setState("reconnecting");
  }

  closePc() {
    if (this.pc) {
      const pc = this.pc;
      this.pc = null;
      try { pc.close(); } catch { /* already closed */ }
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.closePc();
    if (this.mic) this.mic.getTracks().forEach((t) => t.stop());
    this.mic = null;
  }
}

function hasTurn(iceServers) {
  return iceServers.some((s) => [].concat(s.urls).some((u) => u.startsWith("turn")));
}

/** A user-readable line for an RTCPeerConnectionIceErrorEvent (e.g. TURN refusing credentials). */
function describeIceError(event) {
  const where = event.url ? `${event.url.split("?")[0]}: ` : "";
  if (event.errorCode === 401) return `${where}the TURN server refused the credentials`;
  if (event.errorCode === 701) return `${where}the TURN/STUN server cannot be reached`;
  return `${where}${event.errorCode} ${event.errorText || ""}`.trim();
}
