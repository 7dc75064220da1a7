// Entry point: hash routes -> pages. Every page is `render(view, params) -> cleanup?`.

import { session, setUnauthorizedHandler } from "./api.js";
import { toast } from "./dom.js";
import { renderLogin, renderSignup } from "./pages/auth.js";
import { renderRooms, renderRoom } from "./pages/rooms.js";
import { renderAccount } from "./pages/account.js";
import { renderDms, renderConversation } from "./pages/dms.js";
import { renderLive } from "./live/livepage.js";

const ROUTES = [
  { re: /^#\/login$/, page: renderLogin, public: true, title: "Log in" },
  { re: /^#\/signup$/, page: renderSignup, public: true, title: "Sign up" },
  { re: /^#\/rooms$/, page: renderRooms, nav: "rooms", title: "Rooms" },
  { re: /^#\/rooms\/([^/]+)$/, page: renderRoom, nav: "rooms", title: "Room" },
  { re: /^#\/rooms\/([^/]+)\/live$/, page: renderLive, nav: "rooms", title: "Live room", live: true },
  { re: /^#\/account$/, page: renderAccount, nav: "account", title: "Account" },
  { re: /^#\/dms$/, page: renderDms, nav: "dms", title: "Messages" },
  { re: /^#\/dms\/([^/]+)$/, page: renderConversation, nav: "dms", title: "Messages" },
];

let cleanup = null;
let generation = 0;

function updateNav(route) {
  const nav = document.getElementById("nav");
  const user = session.user;
  nav.hidden = !user;
  document.getElementById("whoami").textContent = user ? user.username : "";
  for (const link of nav.querySelectorAll("a[data-nav]")) {
    if (route && link.dataset.nav === route.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.body.classList.toggle("live-mode", Boolean(route && route.live));
}

async function route() {
  const hash = location.hash || "";
  const match = ROUTES.map((r) => ({ r, m: r.re.exec(hash) })).find((x) => x.m);
  if (!match) {
    location.replace(session.token ? "#/rooms" : "#/login");
    return;
  }
  if (!match.r.public && !session.token) {
    location.replace("#/login");
    return;
  }
  if (match.r.public && session.token) {
    location.replace("#/rooms");
    return;
  }
  if (cleanup) {
    try { cleanup(); } catch (err) { console.warn("cleanup failed", err); }
    cleanup = null;
  }
  const mine = ++generation;
  const view = document.getElementById("view");
  view.replaceChildren();
  view.dataset.page = match.r.title.toLowerCase().replace(/\s+/g, "-");
  document.title = `${match.r.title} · hubbub`;
  updateNav(match.r);
  const params = match.m.slice(1).map(decodeURIComponent);
  const result = await match.r.page(view, ...params);
  if (mine !== generation) {
    if (typeof result === "function") result();  // navigated away while loading
  } else {
    cleanup = typeof result === "function" ? result : null;
  }
}

export function logout(message) {
  session.clear();
  if (message) toast(message);
  location.hash = "#/login";
}

setUnauthorizedHandler(() => logout("Your session has expired. Please log in again."));

document.getElementById("logout").addEventListener("click", () => logout("You are logged out."));
window.addEventListener("hashchange", route);
route();
