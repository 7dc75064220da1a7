"""aiohttp application: REST API, WebSocket signaling, static browser client and the CLI."""
