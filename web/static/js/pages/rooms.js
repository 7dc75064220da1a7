// My rooms, creating a room, and one room's page (details, members, host settings, leave).

import { api, describeError, enc, session } from "../api.js";
import { busy, field, formError, h, replace, toast } from "../dom.js";

function roomSize(room) {
  return `${room.width} × ${room.height} m`;
}

export async function renderRooms(view) {
  const list = h("ul", { class: "rooms", "aria-label": "My rooms" });
  const status = h("p", { class: "muted", role: "status" }, "Loading rooms…");

  async function load() {
    try {
      const data = await api("GET", "rooms");
      status.textContent = data.rooms.length ? "" : "You are not in any room yet. Create one below.";
      replace(list, data.rooms.map((room) => h("li", { class: "room-item", dataset: { roomId: room.id } },
        h("a", { href: `#/rooms/${enc(room.id)}`, class: "room-name" }, room.name),
        h("span", { class: "muted" }, room.description || ""),
        h("span", { class: "badge" }, room.host_id === session.user.id ? "host" : "member"),
        h("a", { href: `#/rooms/${enc(room.id)}/live`, class: "button small", "aria-label": `Enter ${room.name}` },
          "Enter"))));
    } catch (err) {
      status.textContent = describeError(err);
    }
  }

  const form = h("form", { class: "stack", novalidate: true, "aria-label": "Create a room" },
    field("Name", { name: "name", required: true, maxlength: 100 }),
    h("div", { class: "field" },
      h("label", { for: "f-description" }, "Description (optional)"),
      h("textarea", { id: "f-description", name: "description", maxlength: 1000, rows: 2 })),
    h("div", { class: "row" },
      field("Width (m)", { name: "width", type: "number", min: 1, max: 1000, step: "any", value: 20 }),
      field("Height (m)", { name: "height", type: "number", min: 1, max: 1000, step: "any", value: 20 })),
    h("button", { type: "submit", class: "primary" }, "Create room"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    const width = Number(form.width.value);
    const height = Number(form.height.value);
    if (!name) { formError(form, "Give the room a name."); return; }
    if (!(width >= 1 && width <= 1000 && height >= 1 && height <= 1000)) {
      formError(form, "Width and height must be between 1 and 1000 metres.");
      return;
    }
    const data = await busy(form, () => api("POST", "rooms",
      { name, description: form.description.value.trim(), width, height }));
    if (data) {
      toast(`Room “${data.room.name}” created.`);
      location.hash = `#/rooms/${enc(data.room.id)}`;
    }
  });

  view.append(
    h("section", { class: "card" }, h("h1", {}, "My rooms"), status, list),
    h("section", { class: "card" }, h("h2", {}, "Create a room"), form));
  await load();
}

export async function renderRoom(view, roomId) {
  const me = session.user;
  let room;
  try {
    room = (await api("GET", `rooms/${enc(roomId)}`)).room;
  } catch (err) {
    view.append(h("section", { class: "card" }, h("h1", {}, "Room"),
      h("p", { role: "alert", class: "form-error" }, describeError(err)),
      h("p", {}, h("a", { href: "#/rooms" }, "Back to my rooms"))));
    return;
  }
  const isHost = room.host_id === me.id;
  const members = h("ul", { class: "members", "aria-label": "Members" });
  const membersStatus = h("p", { class: "muted", role: "status" });

  async function loadMembers() {
    try {
      const data = await api("GET", `rooms/${enc(roomId)}/members`);
      replace(members, data.members.map((m) => h("li", { dataset: { username: m.username } },
        h("span", { class: "member-name" }, m.username),
        m.role === "host" ? h("span", { class: "badge" }, "host") : null,
        isHost && m.username !== me.username
          ? h("button", { type: "button", class: "small danger", "aria-label": `Remove ${m.username}`,
            onclick: (e) => removeMember(e.currentTarget, m.username) }, "Remove")
          : null)));
    } catch (err) {
      membersStatus.textContent = describeError(err);
    }
  }

  async function removeMember(button, username) {
    if (!confirm(`Remove ${username} from ${room.name}?`)) return;
    button.disabled = true;
    try {
      await api("DELETE", `rooms/${enc(roomId)}/members/${enc(username)}`);
      toast(`${username} was removed.`);
      await loadMembers();
    } catch (err) {
      membersStatus.textContent = describeError(err);
      button.disabled = false;
    }
  }

  const addForm = h("form", { class: "inline", novalidate: true, "aria-label": "Add a member" },
    field("Add member by username", { name: "username", required: true, autocomplete: "off" }),
    h("button", { type: "submit" }, "Add"));
  addForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = addForm.username.value.trim();
    if (!username) { formError(addForm, "Enter a username."); return; }
    const data = await busy(addForm, () => api("POST", `rooms/${enc(roomId)}/members`, { username }));
    if (data) {
      addForm.reset();
      toast(`${data.member.username} was added.`);
      await loadMembers();
    }
  });

  const actions = h("form", { class: "inline actions", "aria-label": "Room actions" },
    h("a", { href: `#/rooms/${enc(roomId)}/live`, class: "button primary" }, "Enter live room"),
    h("button", { type: "button", class: "danger", onclick: leave }, "Leave room"),
    isHost ? h("button", { type: "button", class: "danger", onclick: deleteRoom }, "Delete room") : null);

  async function leave() {
    if (!confirm(`Leave ${room.name}?`)) return;
    const data = await busy(actions, () => api("POST", `rooms/${enc(roomId)}/leave`));
    if (data) {
      toast(data.room_deleted ? `You left ${room.name}; it was empty and is deleted.` : `You left ${room.name}.`);
      location.hash = "#/rooms";
    }
  }

  async function deleteRoom() {
    if (!confirm(`Delete ${room.name} for everybody? Its chat is deleted too.`)) return;
    const ok = await busy(actions, async () => { await api("DELETE", `rooms/${enc(roomId)}`); return true; });
    if (ok) {
      toast(`${room.name} was deleted.`);
      location.hash = "#/rooms";
    }
  }

  view.append(
    h("section", { class: "card" },
      h("p", {}, h("a", { href: "#/rooms" }, "← My rooms")),
      h("h1", { class: "room-title" }, room.name),
      room.description ? h("p", { class: "room-description" }, room.description) : null,
      h("p", { class: "muted" }, `Floor ${roomSize(room)} · up to ${room.max_participants} people live`),
      actions),
    h("section", { class: "card" }, h("h2", {}, "Members"), membersStatus, members,
      isHost ? addForm : null));
  await loadMembers();
}
