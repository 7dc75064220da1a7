// Account: change password, API keys (create shows the key once, list, revoke), blocked users.

import { api, describeError, enc, session } from "../api.js";
import { busy, field, formError, formatTime, h, replace, toast } from "../dom.js";

export async function renderAccount(view) {
  const me = session.user;

  // Password ----------------------------------------------------------------------------
  const pw = h("form", { class: "stack", novalidate: true, "aria-label": "Change password" },
    field("Current password", { name: "old", type: "password", autocomplete: "current-password", required: true }),
    field("New password", { name: "new1", type: "password", autocomplete: "new-password", required: true, minlength: 8 }),
    field("Repeat new password", { name: "new2", type: "password", autocomplete: "new-password", required: true }),
    h("button", { type: "submit", class: "primary" }, "Change password"));
  pw.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!pw.old.value || !pw.new1.value) { formError(pw, "Fill in your current and new password."); return; }
    if (pw.new1.value !== pw.new2.value) { formError(pw, "The two new passwords differ."); return; }
    const data = await busy(pw, () => api("POST", "me/password",
      { old_password: pw.old.value, new_password: pw.new1.value }));
    if (data) {
      session.save(data.access_token, data.user);  // every older token is now invalid
      pw.reset();
      toast("Password changed. Other sessions are logged out.");
    }
  });

  // API keys ----------------------------------------------------------------------------
  const keys = h("ul", { class: "keys", "aria-label": "API keys" });
  const keysStatus = h("p", { class: "muted", role: "status" });
  const reveal = h("div", { class: "reveal", hidden: true, role: "alert" });

  async function loadKeys() {
    try {
      const data = await api("GET", "me/api-keys");
      keysStatus.textContent = data.api_keys.length ? "" : "No API keys.";
      replace(keys, data.api_keys.map((k) => h("li", { dataset: { keyId: k.id } },
        h("span", { class: "key-name" }, k.name),
        h("span", { class: "muted" }, ` created ${formatTime(k.created_at)}`,
          k.last_used_at ? `, last used ${formatTime(k.last_used_at)}` : ", never used"),
        h("button", { type: "button", class: "small danger", "aria-label": `Revoke ${k.name}`,
          onclick: (e) => revoke(e.currentTarget, k) }, "Revoke"))));
    } catch (err) {
      keysStatus.textContent = describeError(err);
    }
  }

  async function revoke(button, key) {
    if (!confirm(`Revoke the API key “${key.name}”? Anything using it stops working at once.`)) return;
    button.disabled = true;
    try {
      await api("DELETE", `me/api-keys/${enc(key.id)}`);
      toast(`API key “${key.name}” revoked.`);
      reveal.hidden = true;
      await loadKeys();
    } catch (err) {
      keysStatus.textContent = describeError(err);
      button.disabled = false;
    }
  }

  const keyForm = h("form", { class: "inline", novalidate: true, "aria-label": "Create an API key" },
    field("New key name", { name: "keyname", required: true, maxlength: 64, autocomplete: "off" }),
    h("button", { type: "submit" }, "Create key"));
  keyForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = keyForm.keyname.value.trim();
    if (!name) { formError(keyForm, "Give the key a name."); return; }
    const data = await busy(keyForm, () => api("POST", "me/api-keys", { name }));
    if (data) {
      keyForm.reset();
      const code = h("code", { class: "secret", tabindex: 0 }, data.key);
      replace(reveal,
        h("p", {}, h("strong", {}, `Your new key “${data.api_key.name}”. `),
          "Copy it now: it is shown only this once."),
        code,
        h("button", { type: "button", class: "small", onclick: async () => {
          try { await navigator.clipboard.writeText(data.key); toast("Copied."); }
          catch { toast("Select the key and copy it yourself."); }
        } }, "Copy"),
        h("button", { type: "button", class: "small", onclick: () => { reveal.hidden = true; replace(reveal); } },
          "Done"));
      reveal.hidden = false;
      await loadKeys();
    }
  });

  // Blocks ------------------------------------------------------------------------------
  const blocks = h("ul", { class: "blocks", "aria-label": "Blocked users" });
  const blocksStatus = h("p", { class: "muted", role: "status" });

  async function loadBlocks() {
    try {
      const data = await api("GET", "blocks");
      blocksStatus.textContent = data.blocked.length ? "" : "You have not blocked anyone.";
      replace(blocks, data.blocked.map((name) => h("li", { dataset: { username: name } },
        h("span", {}, name),
        h("button", { type: "button", class: "small", "aria-label": `Unblock ${name}`,
          onclick: (e) => unblock(e.currentTarget, name) }, "Unblock"))));
    } catch (err) {
      blocksStatus.textContent = describeError(err);
    }
  }

  async function unblock(button, name) {
    button.disabled = true;
    try {
      await api("DELETE", `blocks/${enc(name)}`);
      toast(`${name} is unblocked.`);
      await loadBlocks();
    } catch (err) {
      blocksStatus.textContent = describeError(err);
      button.disabled = false;
    }
  }

  const blockForm = h("form", { class: "inline", novalidate: true, "aria-label": "Block a user" },
    field("Block username", { name: "blockname", required: true, autocomplete: "off" }),
    h("button", { type: "submit" }, "Block"));
  blockForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = blockForm.blockname.value.trim();
    if (!name) { formError(blockForm, "Enter a username."); return; }
    if (name.toLowerCase() === me.username.toLowerCase()) { formError(blockForm, "You cannot block yourself."); return; }
    const ok = await busy(blockForm, async () => { await api("PUT", `blocks/${enc(name)}`); return true; });
    if (ok) {
      blockForm.reset();
      toast(`${name} is blocked: they cannot message you or add you to rooms.`);
      await loadBlocks();
    }
  });

  view.append(
    h("section", { class: "card" }, h("h1", {}, "Account"),
      h("p", {}, "Signed in as ", h("strong", { class: "account-name" }, me.username))),
    h("section", { class: "card" }, h("h2", {}, "Change password"), pw),
    h("section", { class: "card" }, h("h2", {}, "API keys"),
      h("p", { class: "muted" }, "For bots and scripts: send as Authorization: Bearer <key>."),
      keyForm, reveal, keysStatus, keys),
    h("section", { class: "card" }, h("h2", {}, "Blocked users"), blockForm, blocksStatus, blocks));
  await Promise.all([loadKeys(), loadBlocks()]);
}
