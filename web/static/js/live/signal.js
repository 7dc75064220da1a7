// The live WebSocket (docs/protocol.md): auth, join, requests with ids, and automatic reconnect
// with exponential backoff. Events: "state" (detail: {state, reason}), "joined" (the joined
// message, after every (re)connect), "message" (every other server message).

const SUBPROTOCOL = "hubbub.v1";
// Closes after which reconnecting cannot help (auth failed, replaced by another tab, removed
// from the room, credentials revoked).
const FATAL_CLOSES = {
  4003: "Your login is no longer valid. Please log in again.",
  4004: "You joined this room from another tab or device.",
  4005: "You were removed from this room.",
  4006: "Your credentials were revoked. Please log in again.",
};
const FATAL_ERRORS = new Set(["room_not_found", "room_full", "auth_failed"]);

export class LiveSocket extends EventTarget {
  constructor(token, roomId, { minDelay = 500, maxDelay = 10000 } = {}) {
    super();
    this.token = token;
    this.roomId = roomId;
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.ws = null;
    this.state = "idle";
    this.attempt = 0;
    this.nextId = 1;
    this.pending = new Map();
    this.stopped = false;
    this.timer = null;
    this.joined = null;
  }

  get url() {
    const url = new URL("ws", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  start() {
    this.setState("connecting");
    this.open();
  }

  setState(state, reason = "") {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, reason } }));
  }

  open() {
    const ws = new WebSocket(this.url, SUBPROTOCOL);
    this.ws = ws;
    ws.addEventListener("open", () => this.handshake(ws));
    ws.addEventListener("message", (event) => this.onMessage(ws, event));
    ws.addEventListener("close", (event) => this.onClose(ws, event));
  }

  async handshake(ws) {
    try {
      await this.request({ type: "auth", token: this.token }, ws);
      const joined = await this.request({ type: "join", room: this.roomId }, ws);
      if (ws !== this.ws) return;
      this.attempt = 0;
      this.joined = joined;
      this.setState("connected");
      this.dispatchEvent(new CustomEvent("joined", { detail: joined }));
    } catch (err) {
      if (ws !== this.ws || this.stopped) return;
      if (err && FATAL_ERRORS.has(err.code)) {
        this.fail(err.code === "auth_failed" ? FATAL_CLOSES[4003] : err.message);
      } else {
        ws.close();
      }
    }
  }

  onMessage(ws, event) {
    if (ws !== this.ws) return;
    let msg;
    try { msg = JSON.parse(event.data); } catch { return; }
    if (msg.id !== undefined && msg.id !== null && this.pending.has(msg.id)) {
      const { resolve, reject } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.type === "error") reject(new LiveError(msg.code, msg.message));
      else resolve(msg);
      return;
    }
    this.dispatchEvent(new CustomEvent("message", { detail: msg }));
  }

  onClose(ws, event) {
    if (ws !== this.ws) return;
    for (const { reject } of this.pending.values()) reject(new LiveError("disconnected", "connection lost"));
    this.pending.clear();
    this.joined = null;
    if (this.stopped) return;
    if (FATAL_CLOSES[event.code]) {
      this.fail(FATAL_CLOSES[event.code]);
      return;
    }
    if (this.state === "failed") return;
    const delay = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt) * (0.8 + 0.4 * Math.random());
    this.attempt += 1;
    this.setState("reconnecting", `reconnecting in ${Math.round(delay / 100) / 10} s`);
    this.timer = setTimeout(() => { if (!this.stopped) this.open(); }, delay);
  }

  fail(reason) {
    this.setState("failed", reason);
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
  }

  /** Send without waiting for an answer; false if not connected. */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Send with an id; resolves with the reply carrying that id, rejects with LiveError. */
  request(message, ws = this.ws, timeoutMs = 15000) {
    return new Promise((resolve, reject) => {
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        reject(new LiveError("disconnected", "not connected"));
        return;
      }
      const id = `r${this.nextId++}`;
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new LiveError("timeout", "the server did not answer"));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      ws.send(JSON.stringify({ ...message, id }));
    });
  }

  /** Drop the connection as if the network failed (reconnects); used by the reconnect test. */
  drop() {
    if (this.ws) this.ws.close(4000, "client drop");
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    // Say goodbye first, so the others see "left" rather than "disconnected".
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.joined) this.ws.send(JSON.stringify({ type: "leave" }));
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, "bye");
    this.ws = null;
  }
}

export class LiveError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "LiveError";
    this.code = code;
  }
}
