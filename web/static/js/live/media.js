// The WebRTC side of a live room: one RTCPeerConnection to the server that sends the microphone
// and receives the personal stereo mix. Renegotiates (new peer connection) with backoff after a
// failure, a media_closed from the server, or a WebSocket reconnect.
// Events: "state" (detail: {state}), "stream" (detail: the remote MediaStream), "mic" (detail:
// {available, reason}).

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
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state } }));
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
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    const queued = [];
    let answered = false;
    pc.addEventListener("icecandidate", (event) => {
      const c = event.candidate;
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
        this.setState("connected");
      } else if (st === "failed") {
        this.retry();
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
      this.retry();
    }
  }

  /** Try again later, with exponential backoff. */
  retry() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const delay = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt) * (0.8 + 0.4 * Math.random());
    this.attempt += 1;
    this.setState("reconnecting");
    this.closePc();
    this.timer = setTimeout(() => {
      // Only renegotiate over a joined socket; otherwise the socket's own reconnect calls connect().
      if (!this.stopped && this.socket.state === "connected") this.connect(this.iceServers);
    }, delay);
  }

  /** The server dropped our media session (e.g. ICE failed on its side). */
  onMediaClosed() {
    this.retry();
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
