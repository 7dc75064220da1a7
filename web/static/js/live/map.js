// The room floor as SVG: one avatar per participant (name, facing direction, mute state, a ring
// that grows with the speaking level), your own highlighted. Metres on the floor: x to the
// right, y forward ("north", up on screen); heading in degrees, 0 = facing +y, 90 = facing +x.
// Move: drag your avatar, click a spot, or arrow keys / WASD (Shift: bigger steps); turn: Q / E.

import { s } from "../dom.js";

const TURN_STEP = 15;
const SEND_INTERVAL_MS = 60;  // at most ~16 moves/s reach the server
const SMOOTHING_S = 0.12;     // others' moves glide to their new spot

export class RoomMap {
  constructor({ width, height, meId, onMove, onMenu }) {
    this.width = width;
    this.height = height;
    this.meId = meId;
    this.onMove = onMove;
    this.onMenu = onMenu;
    this.avatars = new Map();
    this.radius = Math.max(0.3, Math.min(2.5, Math.max(width, height) / 30));
    this.lastSent = 0;
    this.sendTimer = null;
    this.dragging = false;
    this.raf = null;
    this.lastFrame = performance.now();

    this.svg = s("svg", {
      class: "map", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "xMidYMid meet",
      tabindex: 0, role: "application",
      "aria-label": `Room floor, ${width} by ${height} metres. Arrow keys or WASD move you, Q and E turn you.`,
    });
    this.svg.append(this.grid());
    this.layer = s("g", { class: "avatars" });
    this.svg.append(this.layer);

    this.svg.addEventListener("pointerdown", (e) => this.pointerDown(e));
    this.svg.addEventListener("pointermove", (e) => this.pointerMove(e));
    this.svg.addEventListener("pointerup", (e) => this.pointerUp(e));
    this.svg.addEventListener("pointercancel", () => { this.dragging = false; });
    this.svg.addEventListener("keydown", (e) => this.keyDown(e));
    this.svg.addEventListener("contextmenu", (e) => this.contextMenu(e));
    this.tick = this.tick.bind(this);
    this.raf = requestAnimationFrame(this.tick);
  }

  grid() {
    const g = s("g", { class: "grid" });
    g.append(s("rect", { class: "floor", x: 0, y: 0, width: this.width, height: this.height }));
    const step = niceStep(Math.max(this.width, this.height));
    for (let x = step; x < this.width; x += step) {
      g.append(s("line", { x1: x, y1: 0, x2: x, y2: this.height }));
    }
    for (let y = step; y < this.height; y += step) {
      g.append(s("line", { x1: 0, y1: this.height - y, x2: this.width, y2: this.height - y }));
    }
    return g;
  }

  // participants ----------------------------------------------------------------------------

  upsert(member) {
    let a = this.avatars.get(member.id);
    if (!a) {
      const r = this.radius;
      const me = member.id === this.meId;
      const ring = s("circle", { class: "ring", r: r * 1.05 });
      const body = s("circle", { class: "body", r });
      const nose = s("path", { class: "nose", d: `M ${-r * 0.45} ${-r * 0.75} L 0 ${-r * 1.55} L ${r * 0.45} ${-r * 0.75} Z` });
      const facing = s("g", { class: "facing" }, nose);
      const initial = s("text", { class: "initial", "font-size": r * 1.1, y: r * 0.38, text: (member.username || "?").charAt(0).toUpperCase() });
      const label = s("text", { class: "label", "font-size": r * 0.8, y: r * 2.2, text: me ? `${member.username} (you)` : member.username });
      const muteMark = s("g", { class: "mute-mark" },
        s("circle", { r: r * 0.42, cx: r * 0.8, cy: -r * 0.8 }),
        s("line", { x1: r * 0.55, y1: -r * 1.05, x2: r * 1.05, y2: -r * 0.55 }));
      const g = s("g", {
        class: me ? "avatar me" : "avatar",
        dataset: { userId: member.id, username: member.username },
      }, ring, facing, body, initial, label, muteMark);
      g.append(s("title", { text: me ? `${member.username} (you)` : `${member.username} — right-click for volume` }));
      a = { id: member.id, g, ring, facing, x: member.x, y: member.y, heading: member.heading,
        tx: member.x, ty: member.y, th: member.heading, level: 0, targetLevel: 0 };
      this.avatars.set(member.id, a);
      if (me) this.layer.append(g); else this.layer.prepend(g);  // yours drawn on top
    }
    this.setTarget(member.id, member.x, member.y, member.heading, true);
    this.setMuted(member.id, Boolean(member.muted));
    this.draw(a);
  }

  remove(id) {
    const a = this.avatars.get(id);
    if (a) { a.g.remove(); this.avatars.delete(id); }
  }

  clear() {
    for (const id of [...this.avatars.keys()]) this.remove(id);
  }

  setTarget(id, x, y, heading, jump = false) {
    const a = this.avatars.get(id);
    if (!a) return;
    if (id === this.meId && this.dragging && !jump) return;  // our own drag wins over echoes
    a.tx = x; a.ty = y; a.th = heading;
    a.g.dataset.x = x.toFixed(2);
    a.g.dataset.y = y.toFixed(2);
    a.g.dataset.heading = heading.toFixed(1);
    if (jump) { a.x = x; a.y = y; a.heading = heading; }
  }

  setMuted(id, muted) {
    const a = this.avatars.get(id);
    if (a) { a.g.classList.toggle("muted", muted); a.g.dataset.muted = String(muted); }
  }

  setMutedForMe(id, muted) {
    const a = this.avatars.get(id);
    if (a) a.g.classList.toggle("muted-for-me", muted);
  }

  /** Speaking level in dBov (-127 = silence) and the speaking flag from the server. */
  setLevel(id, levelDb, speaking) {
    const a = this.avatars.get(id);
    if (!a) return;
    a.targetLevel = speaking ? Math.max(0.15, Math.min(1, (levelDb + 60) / 50)) : 0;
    a.g.classList.toggle("speaking", speaking);
    a.g.dataset.speaking = String(speaking);
  }

  me() { return this.avatars.get(this.meId); }

  // animation --------------------------------------------------------------------------------

  tick(now) {
    const dt = Math.min(0.25, (now - this.lastFrame) / 1000);
    this.lastFrame = now;
    const k = 1 - Math.exp(-dt / SMOOTHING_S);
    for (const a of this.avatars.values()) {
      const dh = ((a.th - a.heading + 540) % 360) - 180;
      if (Math.abs(a.tx - a.x) + Math.abs(a.ty - a.y) + Math.abs(dh) + Math.abs(a.targetLevel - a.level) > 1e-3) {
        a.x += (a.tx - a.x) * k;
        a.y += (a.ty - a.y) * k;
        a.heading = (a.heading + dh * k + 360) % 360;
        a.level += (a.targetLevel - a.level) * Math.min(1, k * 2);
        this.draw(a);
      }
    }
    this.raf = requestAnimationFrame(this.tick);
  }

  draw(a) {
    a.g.setAttribute("transform", `translate(${a.x.toFixed(3)} ${(this.height - a.y).toFixed(3)})`);
    a.facing.setAttribute("transform", `rotate(${a.heading.toFixed(1)})`);
    a.ring.setAttribute("r", (this.radius * (1.05 + 0.8 * a.level)).toFixed(3));
    a.ring.style.opacity = String(0.25 + 0.75 * a.level);
  }

  destroy() {
    cancelAnimationFrame(this.raf);
    clearTimeout(this.sendTimer);
  }

  // moving yourself ----------------------------------------------------------------------------

  /** Move your own avatar (clamped to the floor) and tell the server (throttled, trailing send). */
  moveMe(x, y, heading, { jump = true } = {}) {
    const a = this.me();
    if (!a) return;
    x = clamp(x, 0, this.width);
    y = clamp(y, 0, this.height);
    heading = ((heading % 360) + 360) % 360;
    a.tx = x; a.ty = y; a.th = heading;
    a.g.dataset.x = x.toFixed(2);
    a.g.dataset.y = y.toFixed(2);
    a.g.dataset.heading = heading.toFixed(1);
    if (jump) { a.x = x; a.y = y; a.heading = heading; this.draw(a); }
    this.scheduleSend();
  }

  scheduleSend() {
    const wait = this.lastSent + SEND_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.flushMove();
    } else if (!this.sendTimer) {
      this.sendTimer = setTimeout(() => { this.sendTimer = null; this.flushMove(); }, wait);
    }
  }

  flushMove() {
    const a = this.me();
    if (!a) return;
    this.lastSent = performance.now();
    this.onMove(round3(a.tx), round3(a.ty), Math.round(a.th * 10) / 10);
  }

  toFloor(event) {
    const pt = this.svg.createSVGPoint();
    pt.x = event.clientX;
    pt.y = event.clientY;
    const p = pt.matrixTransform(this.svg.getScreenCTM().inverse());
    return { x: clamp(p.x, 0, this.width), y: clamp(this.height - p.y, 0, this.height) };
  }

  pointerDown(event) {
    if (event.button !== 0) return;
    const target = event.target.closest(".avatar");
    const a = this.me();
    if (!a) return;
    this.svg.focus();
    if (target && target.dataset.userId === this.meId) {
      this.dragging = true;
      this.svg.setPointerCapture(event.pointerId);
      event.preventDefault();
    } else if (!target) {
      const p = this.toFloor(event);
      // Face where you walk, then glide there.
      const heading = Math.atan2(p.x - a.tx, p.y - a.ty) * 180 / Math.PI;
      this.moveMe(p.x, p.y, Number.isFinite(heading) ? heading : a.th, { jump: false });
    }
  }

  pointerMove(event) {
    if (!this.dragging) return;
    const a = this.me();
    const p = this.toFloor(event);
    this.moveMe(p.x, p.y, a.th);
  }

  pointerUp(event) {
    if (!this.dragging) return;
    this.dragging = false;
    try { this.svg.releasePointerCapture(event.pointerId); } catch { /* not captured */ }
    const a = this.me();
    if (a) this.moveMe(a.tx, a.ty, a.th);
  }

  keyDown(event) {
    const a = this.me();
    if (!a || event.altKey || event.ctrlKey || event.metaKey) return;
    const step = event.shiftKey ? 2 : 0.5;
    let { tx: x, ty: y, th: heading } = a;
    switch (event.key) {
      case "ArrowUp": case "w": case "W": y += step; break;
      case "ArrowDown": case "s": case "S": y -= step; break;
      case "ArrowLeft": case "a": case "A": x -= step; break;
      case "ArrowRight": case "d": case "D": x += step; break;
      case "q": case "Q": heading -= TURN_STEP; break;
      case "e": case "E": heading += TURN_STEP; break;
      default: return;
    }
    event.preventDefault();
    this.moveMe(x, y, heading, { jump: false });
  }

  contextMenu(event) {
    const target = event.target.closest(".avatar");
    if (!target || target.dataset.userId === this.meId) return;
    event.preventDefault();
    this.onMenu(target.dataset.userId, event.clientX, event.clientY);
  }

  /** Turn yourself by `degrees` (the on-screen turn buttons). */
  turn(degrees) {
    const a = this.me();
    if (a) this.moveMe(a.tx, a.ty, a.th + degrees, { jump: false });
  }
}

function clamp(v, lo, hi) { return Math.min(hi, Math.max(lo, v)); }
function round3(v) { return Math.round(v * 1000) / 1000; }

function niceStep(size) {
  for (const step of [1, 2, 5, 10, 20, 50, 100, 200]) if (size / step <= 25) return step;
  return 500;
}
