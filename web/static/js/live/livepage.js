// The live room: map, member list, chat, microphone, per-person sound, connection indicator,
// and a meter of the incoming stereo mix (left/right levels measured with Web Audio).

import { api, describeError, enc, session } from "../api.js";
import { formError, formatTime, h, replace, toast } from "../dom.js";
import { RoomMap } from "./map.js";
import { MediaLink } from "./media.js";
import { LiveSocket } from "./signal.js";

const STATE_LABELS = {
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  failed: "Disconnected",
};
const METER_MS = 100;
const SILENT_DB = -100;

export async function renderLive(view, roomId) {
  const me = session.user;
  let room;
  try {
    room = (await api("GET", `rooms/${enc(roomId)}`)).room;
  } catch (err) {
    view.append(h("section", { class: "card" }, h("h1", {}, "Live room"),
      h("p", { role: "alert", class: "form-error" }, describeError(err)),
      h("p", {}, h("a", { href: "#/rooms" }, "Back to my rooms"))));
    return undefined;
  }

  let youId = me.id;          // our id in the room (joined.you)
  const members = new Map();  // id -> {id, username, muted}
  const prefs = new Map();    // id -> {muted, volume}: my own mix of that person
  const seenChat = new Set();
  let micMuted = false;
  let chatSeq = 0;
  const chatWaits = new Map();

  // ---- DOM ----------------------------------------------------------------------------------
  const conn = h("span", { class: "conn", role: "status", dataset: { state: "connecting" } }, STATE_LABELS.connecting);
  const micButton = h("button", { type: "button", class: "mic", "aria-pressed": "false", onclick: toggleMic }, "Mute mic");
  const micNote = h("p", { class: "mic-note muted", hidden: true, role: "status" });
  const soundButton = h("button", { type: "button", class: "primary sound", hidden: true, onclick: enableSound },
    "Click to enable sound");
  const audio = h("audio", { autoplay: true, class: "remote-audio" });
  const memberList = h("ul", { class: "live-members", "aria-label": "People in the room" });
  const memberCount = h("span", { class: "count" }, "0");
  const chatLog = h("ol", { class: "chat-log live-chat", "aria-label": "Room chat", "aria-live": "polite" });
  const chatInput = h("input", { id: "chat-text", name: "text", maxlength: 2000, autocomplete: "off", placeholder: "Say something to the room" });
  const chatForm = h("form", { class: "chat-form", novalidate: true, "aria-label": "Send a chat message" },
    h("label", { for: "chat-text", class: "visually-hidden" }, "Chat message"), chatInput,
    h("button", { type: "submit", class: "primary" }, "Send"));
  const meterL = h("span", { class: "bar" });
  const meterR = h("span", { class: "bar" });
  const meter = h("div", { class: "meter", "aria-label": "Incoming sound, left and right", dataset: { leftDb: "", rightDb: "" } },
    h("span", { class: "meter-label" }, "L"), h("span", { class: "track" }, meterL),
    h("span", { class: "meter-label" }, "R"), h("span", { class: "track" }, meterR));
  const menu = h("div", { class: "menu", role: "dialog", hidden: true });

  const map = new RoomMap({
    width: room.width, height: room.height, meId: me.id,
    onMove: (x, y, heading) => socket.send({ type: "move", x, y, heading }),
    onMenu: (id, x, y) => openMenu(id, x, y),
  });

  view.append(h("section", { class: "live" },
    h("header", { class: "live-bar" },
      h("a", { href: `#/rooms/${enc(roomId)}`, class: "back", "aria-label": "Leave the live room" }, "← Leave"),
      h("h1", { class: "room-title" }, room.name),
      conn,
      h("div", { class: "live-controls" },
        micButton,
        h("button", { type: "button", "aria-label": "Turn left", title: "Turn left (Q)", onclick: () => map.turn(-15) }, "⟲"),
        h("button", { type: "button", "aria-label": "Turn right", title: "Turn right (E)", onclick: () => map.turn(15) }, "⟳"))),
    micNote,
    h("div", { class: "live-grid" },
      h("div", { class: "map-wrap" }, map.svg, soundButton, menu,
        h("p", { class: "help" }, "Drag yourself, click a spot, or use arrow keys/WASD; Q/E to turn. Right-click someone for their volume."),
        meter),
      h("aside", { class: "side" },
        h("section", { class: "panel" }, h("h2", {}, "Here now (", memberCount, ")"), memberList),
        h("section", { class: "panel chat" }, h("h2", {}, "Chat"), chatLog, chatForm))),
    audio));

  // ---- members --------------------------------------------------------------------------------
  function renderMembers() {
    memberCount.textContent = String(members.size);
    const sorted = [...members.values()].sort((a, b) =>
      (a.id === youId ? -1 : b.id === youId ? 1 : a.username.localeCompare(b.username)));
    replace(memberList, sorted.map((m) => {
      const pref = prefs.get(m.id) || {};
      return h("li", { dataset: { userId: m.id, username: m.username } },
        h("span", { class: "member-name" }, m.username),
        m.id === youId ? h("span", { class: "badge" }, "you") : null,
        m.muted ? h("span", { class: "badge mic-off" }, "mic off") : null,
        pref.muted ? h("span", { class: "badge muted-for-me" }, "muted for you") : null,
        pref.volume !== undefined && pref.volume !== 1 && !pref.muted
          ? h("span", { class: "badge" }, `${Math.round(pref.volume * 100)} %`) : null,
        m.id !== youId
          ? h("button", { type: "button", class: "small", "aria-label": `Sound of ${m.username}`,
            onclick: (e) => { const r = e.currentTarget.getBoundingClientRect(); openMenu(m.id, r.left, r.bottom); } },
          "Sound…")
          : null);
    }));
  }

  function addMember(raw) {
    // Several sessions of one account (bots) are told apart by their device label.
    const m = { ...raw, username: raw.device ? `${raw.username} (${raw.device})` : raw.username };
    members.set(m.id, { id: m.id, username: m.username, muted: Boolean(m.muted) });
    map.upsert(m);
    map.setMutedForMe(m.id, Boolean(prefs.get(m.id)?.muted));
  }

  // ---- per-person sound menu ------------------------------------------------------------------
  let menuFor = null;
  function openMenu(id, clientX, clientY) {
    const m = members.get(id);
    if (!m) return;
    menuFor = id;
    const pref = prefs.get(id) || { muted: false, volume: 1 };
    const mute = h("input", { type: "checkbox", id: "menu-mute", checked: Boolean(pref.muted) });
    const vol = h("input", { type: "range", id: "menu-volume", min: 0, max: 2, step: 0.05, value: pref.volume ?? 1 });
    mute.addEventListener("change", () => setPref(id, { muted: mute.checked }));
    vol.addEventListener("change", () => setPref(id, { volume: Number(vol.value) }));
    replace(menu,
      h("p", { class: "menu-title" }, `Sound of ${m.username}`),
      h("div", { class: "menu-row" }, mute, h("label", { for: "menu-mute" }, "Mute for me")),
      h("div", { class: "menu-row" }, h("label", { for: "menu-volume" }, "Volume"), vol),
      h("button", { type: "button", class: "small", onclick: closeMenu }, "Close"));
    menu.setAttribute("aria-label", `Sound of ${m.username}`);
    menu.hidden = false;
    const wrap = menu.parentElement.getBoundingClientRect();
    menu.style.left = `${Math.max(0, Math.min(clientX - wrap.left, wrap.width - 220))}px`;
    menu.style.top = `${Math.max(0, clientY - wrap.top)}px`;
    mute.focus();
  }
  function closeMenu() {
    menu.hidden = true;
    menuFor = null;
  }
  menu.addEventListener("keydown", (e) => { if (e.key === "Escape") { closeMenu(); map.svg.focus(); } });
  const outside = (e) => {
    if (!menu.hidden && !menu.contains(e.target) && !e.target.closest?.("button[aria-label^='Sound of']")) closeMenu();
  };
  document.addEventListener("pointerdown", outside);

  function setPref(id, change) {
    const pref = { muted: false, volume: 1, ...(prefs.get(id) || {}), ...change };
    prefs.set(id, pref);
    const msg = { type: "mix", user: id };
    if ("muted" in change) msg.muted = pref.muted;
    if ("volume" in change) msg.volume = pref.volume;
    socket.send(msg);
    map.setMutedForMe(id, pref.muted);
    renderMembers();
    const name = members.get(id)?.username || "them";
    if ("muted" in change) toast(pref.muted ? `${name} is muted for you.` : `${name} is unmuted for you.`);
  }

  // ---- chat -----------------------------------------------------------------------------------
  function chatItem(msg) {
    const mine = msg.author && msg.author.id === me.id;
    return h("li", { class: mine ? "mine" : "theirs", dataset: { id: msg.id } },
      h("span", { class: "author" }, msg.author ? msg.author.username : "(deleted user)"),
      h("span", { class: "text" }, msg.text),
      h("time", { datetime: msg.created_at }, formatTime(msg.created_at)));
  }
  function addChat(msg) {
    if (seenChat.has(msg.id)) return;
    seenChat.add(msg.id);
    const item = chatItem(msg);
    // Keep the log in id order (history may arrive after a live message).
    const after = [...chatLog.children].find((li) => li.dataset.id && Number(li.dataset.id) > Number(msg.id));
    if (after) chatLog.insertBefore(item, after); else chatLog.append(item);
    item.scrollIntoView({ block: "nearest" });
  }
  function systemLine(text) {
    const item = h("li", { class: "system" }, text);
    chatLog.append(item);
    item.scrollIntoView({ block: "nearest" });
  }
  async function loadHistory() {
    try {
      const data = await api("GET", `rooms/${enc(roomId)}/messages?limit=50`);
      data.messages.slice().reverse().forEach(addChat);
    } catch (err) {
      systemLine(`Chat history unavailable: ${describeError(err)}`);
    }
  }
  chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = chatInput.value;
    if (!text.trim()) { formError(chatForm, "Type a message first."); return; }
    formError(chatForm, "");
    const id = `c${++chatSeq}`;
    if (!socket.send({ type: "chat", text, id })) {
      formError(chatForm, "Not connected; wait for the connection to come back.");
      return;
    }
    const controls = chatForm.querySelectorAll("input, button");
    controls.forEach((c) => { c.disabled = true; });
    const done = (error) => {
      clearTimeout(wait.timer);
      chatWaits.delete(id);
      controls.forEach((c) => { c.disabled = false; });
      if (error) formError(chatForm, error); else chatInput.value = "";
      chatInput.focus();
    };
    const wait = { text, done, timer: setTimeout(() => done("The message was not confirmed; check the connection."), 8000) };
    chatWaits.set(id, wait);
  });

  // ---- microphone -----------------------------------------------------------------------------
  function toggleMic() {
    micMuted = !micMuted;
    media.setMicMuted(micMuted);
    socket.send({ type: "mute", muted: micMuted });
    micButton.textContent = micMuted ? "Unmute mic" : "Mute mic";
    micButton.setAttribute("aria-pressed", String(micMuted));
    micButton.classList.toggle("off", micMuted);
  }

  // ---- incoming sound: playback and stereo meter ------------------------------------------------
  let ctx = null;
  let analysers = null;
  let meterTimer = null;
  let source = null;
  function attachStream(stream) {
    audio.srcObject = stream;
    playAudio();
    try {
      if (!ctx) ctx = new AudioContext();
      if (source) source.disconnect();  // the previous connection's stream
      source = ctx.createMediaStreamSource(stream);
      // An explicit 2-channel node before the splitter: the two channels are the real L and R.
      const stereo = new GainNode(ctx, { channelCount: 2, channelCountMode: "explicit", channelInterpretation: "speakers" });
      const splitter = ctx.createChannelSplitter(2);
      const left = new AnalyserNode(ctx, { fftSize: 2048 });
      const right = new AnalyserNode(ctx, { fftSize: 2048 });
      source.connect(stereo).connect(splitter);
      splitter.connect(left, 0);
      splitter.connect(right, 1);
      analysers = { left, right, buf: new Float32Array(2048) };
      if (ctx.state === "suspended") ctx.resume().catch(() => { soundButton.hidden = false; });
      if (!meterTimer) meterTimer = setInterval(updateMeter, METER_MS);
    } catch (err) {
      console.warn("level meter unavailable:", err && err.message);
    }
  }
  function rmsDb(analyser, buf) {
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (let i = 0; i < buf.length; i += 1) sum += buf[i] * buf[i];
    const rms = Math.sqrt(sum / buf.length);
    return rms > 0 ? Math.max(SILENT_DB, 20 * Math.log10(rms)) : SILENT_DB;
  }
  function updateMeter() {
    if (!analysers) return;
    const l = rmsDb(analysers.left, analysers.buf);
    const r = rmsDb(analysers.right, analysers.buf);
    meter.dataset.leftDb = l.toFixed(1);
    meter.dataset.rightDb = r.toFixed(1);
    meterL.style.width = `${Math.max(0, Math.min(100, (l + 60) * 100 / 60))}%`;
    meterR.style.width = `${Math.max(0, Math.min(100, (r + 60) * 100 / 60))}%`;
  }
  function playAudio() {
    const p = audio.play();
    if (p && p.catch) p.then(() => { soundButton.hidden = true; }).catch(() => { soundButton.hidden = false; });
  }
  function enableSound() {
    playAudio();
    if (ctx && ctx.state === "suspended") ctx.resume().catch(() => {});
  }

  // ---- connection -------------------------------------------------------------------------------
  const socket = new LiveSocket(session.token, roomId);
  const media = new MediaLink(socket);

  function updateIndicator(reason = "") {
    let state = socket.state === "idle" ? "connecting" : socket.state;
    if (state !== "failed") reason = "";  // the socket's own countdown is not news
    if (state === "connected" && media.state !== "connected") {
      state = media.state === "reconnecting" ? "reconnecting" : "connecting";
      reason = media.state === "reconnecting" ? media.reason : "";  // e.g. the TURN server refused us
    }
    conn.dataset.state = state;
    conn.title = reason || "";
    if (state === "failed" && reason) conn.textContent = `${STATE_LABELS.failed}: ${reason}`;
    else if (state === "reconnecting" && reason) conn.textContent = `${STATE_LABELS.reconnecting} (${reason})`;
    else conn.textContent = STATE_LABELS[state];
  }

  socket.addEventListener("state", (e) => {
    const { state, reason } = e.detail;
    if (state === "reconnecting") media.suspend();
    if (state === "failed") {
      media.stop();
      systemLine(reason || "Disconnected.");
    }
    updateIndicator(reason);
  });
  media.addEventListener("state", () => updateIndicator());
  media.addEventListener("stream", (e) => attachStream(e.detail));
  media.addEventListener("mic", (e) => {
    micNote.hidden = e.detail.available;
    micNote.textContent = e.detail.reason || "";
    micButton.disabled = !e.detail.available;
  });

  let firstJoin = true;
  socket.addEventListener("joined", (e) => {
    const joined = e.detail;
    youId = joined.you || me.id;
    map.meId = youId;
    members.clear();
    map.clear();
    for (const m of joined.members) addMember(m);
    renderMembers();
    if (!firstJoin) systemLine("Reconnected.");
    firstJoin = false;
    if (micMuted) socket.send({ type: "mute", muted: true });
    for (const [id, pref] of prefs) {
      if (members.has(id)) socket.send({ type: "mix", user: id, muted: pref.muted, volume: pref.volume });
    }
    loadHistory();
    media.connect(joined.ice_servers);
  });

  socket.addEventListener("message", (e) => {
    const msg = e.detail;
    switch (msg.type) {
      case "member_joined": {
        addMember(msg.member);
        renderMembers();
        const name = members.get(msg.member.id).username;
        systemLine(`${name} joined`);
        toast(`${name} joined`);
        break;
      }
      case "member_left": {
        const m = members.get(msg.user);
        members.delete(msg.user);
        map.remove(msg.user);
        if (menuFor === msg.user) closeMenu();
        renderMembers();
        if (m) {
          const how = msg.reason === "removed" ? "was removed" : msg.reason === "disconnected" ? "disconnected" : "left";
          systemLine(`${m.username} ${how}`);
          toast(`${m.username} ${how}`);
        }
        break;
      }
      case "positions":
        for (const p of msg.positions) {
          if (p.id === youId) continue;  // our own moves are already drawn
          map.setTarget(p.id, p.x, p.y, p.heading);
        }
        break;
      case "member_muted": {
        const m = members.get(msg.user);
        if (m) { m.muted = msg.muted; map.setMuted(msg.user, msg.muted); renderMembers(); }
        break;
      }
      case "speaking":
        for (const l of msg.levels) map.setLevel(l.id, l.level, l.speaking);
        break;
      case "chat": {
        addChat(msg.message);
        if (msg.message.author && msg.message.author.id === me.id) {
          for (const [id, wait] of chatWaits) {
            if (wait.text === msg.message.text) { wait.done(null); chatWaits.delete(id); break; }
          }
        }
        break;
      }
      case "media_closed":
        media.onMediaClosed(msg.reason);
        break;
      case "error": {
        const wait = msg.id && chatWaits.get(msg.id);
        if (wait) {
          wait.done(msg.code === "rate_limited" ? "You are sending messages too fast; wait a moment." : msg.message);
        } else if (msg.code === "out_of_bounds") {
          // the map clamps moves; nothing to tell the user
        } else if (msg.code === "rate_limited") {
          toast("Slow down: the server is dropping some of your messages.");
        } else {
          console.warn("live error:", msg.code, msg.message);
        }
        break;
      }
      default:
        break;  // ice(null), pong and future message types
    }
  });

  socket.start();
  updateIndicator();
  window.hubbubLive = { socket, media, map };  // diagnostics (used by the browser tests)

  return () => {
    delete window.hubbubLive;
    document.removeEventListener("pointerdown", outside);
    for (const wait of chatWaits.values()) clearTimeout(wait.timer);
    clearInterval(meterTimer);
    map.destroy();
    media.stop();
    socket.stop();
    audio.srcObject = null;
    if (ctx) ctx.close().catch(() => {});
  };
}
