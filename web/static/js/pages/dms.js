// Direct messages: the list of conversations and one conversation with its history.

import { api, describeError, enc, session } from "../api.js";
import { busy, field, formError, formatTime, h, replace } from "../dom.js";

const POLL_MS = 3000;

export async function renderDms(view) {
  const list = h("ul", { class: "conversations", "aria-label": "Conversations" });
  const status = h("p", { class: "muted", role: "status" }, "Loading…");
  const form = h("form", { class: "inline", novalidate: true, "aria-label": "Start a conversation" },
    field("Message a user", { name: "username", required: true, autocomplete: "off", placeholder: "username" }),
    h("button", { type: "submit" }, "Open"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = form.username.value.trim();
    if (!name) { formError(form, "Enter a username."); return; }
    location.hash = `#/dms/${enc(name)}`;
  });
  view.append(h("section", { class: "card" }, h("h1", {}, "Messages"), form, status, list));
  try {
    const data = await api("GET", "dms");
    status.textContent = data.conversations.length ? "" : "No conversations yet.";
    replace(list, data.conversations.map((c) => h("li", { dataset: { username: c.username } },
      h("a", { href: `#/dms/${enc(c.username)}`, class: "conv-name" }, c.username),
      h("span", { class: "muted conv-last" },
        `${c.last_message.from === session.user.username ? "You: " : ""}${c.last_message.text}`),
      h("time", { class: "muted", datetime: c.last_message.created_at }, formatTime(c.last_message.created_at)))));
  } catch (err) {
    status.textContent = describeError(err);
  }
}

export async function renderConversation(view, username) {
  const me = session.user.username;
  const log = h("ol", { class: "chat-log", "aria-label": `Conversation with ${username}`, "aria-live": "polite" });
  const status = h("p", { class: "muted", role: "status" }, "Loading…");
  const seen = new Set();
  let cursor = null;
  let stopped = false;
  let timer = null;

  function item(m) {
    return h("li", { class: m.from === me ? "mine" : "theirs", dataset: { id: m.id } },
      h("span", { class: "author" }, m.from === me ? "You" : m.from),
      h("span", { class: "text" }, m.text),
      h("time", { datetime: m.created_at }, formatTime(m.created_at)));
  }

  function addNewest(messages) {  // messages newest first
    for (const m of [...messages].reverse()) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      log.append(item(m));
      if (status.dataset.empty) { status.textContent = ""; delete status.dataset.empty; }
    }
    log.lastElementChild?.scrollIntoView({ block: "nearest" });
  }

  const older = h("button", { type: "button", class: "small", hidden: true, onclick: loadOlder }, "Load older messages");
  async function loadOlder() {
    older.disabled = true;
    try {
      const data = await api("GET", `dms/${enc(username)}?limit=50&before=${enc(cursor)}`);
      for (const m of data.messages) {
        if (seen.has(m.id)) continue;
        seen.add(m.id);
        log.prepend(item(m));
      }
      cursor = data.next_cursor;
      older.hidden = !cursor;
    } catch (err) {
      status.textContent = describeError(err);
    } finally {
      older.disabled = false;
    }
  }

  async function poll() {
    if (stopped) return;
    try {
      const data = await api("GET", `dms/${enc(username)}?limit=50`);
      addNewest(data.messages);
    } catch {
      // transient; the next poll retries
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }

  const form = h("form", { class: "chat-form", novalidate: true, "aria-label": "Send a message" },
    h("label", { for: "dm-text", class: "visually-hidden" }, "Message"),
    h("input", { id: "dm-text", name: "text", maxlength: 2000, autocomplete: "off", placeholder: `Message ${username}` }),
    h("button", { type: "submit", class: "primary" }, "Send"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = form.text.value;
    if (!text.trim()) { formError(form, "Type a message first."); return; }
    const data = await busy(form, () => api("POST", `dms/${enc(username)}`, { text }));
    if (data) {
      form.reset();
      addNewest([data.message]);
    }
    form.text.focus();
  });

  view.append(h("section", { class: "card conversation" },
    h("p", {}, h("a", { href: "#/dms" }, "← Messages")),
    h("h1", {}, username),
    status, older, log, form));

  try {
    const data = await api("GET", `dms/${enc(username)}?limit=50`);
    status.textContent = data.messages.length ? "" : "No messages yet. Say hello!";
    if (!data.messages.length) status.dataset.empty = "1";
    addNewest(data.messages);
    cursor = data.next_cursor;
    older.hidden = !cursor;
    timer = setTimeout(poll, POLL_MS);
  } catch (err) {
    status.textContent = describeError(err);
    status.setAttribute("role", "alert");
    form.hidden = true;
  }
  form.text.focus();
  return () => { stopped = true; clearTimeout(timer); };
}
