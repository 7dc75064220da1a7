// Small DOM helpers. User data only ever reaches the page as text (textContent / attributes),
// never as HTML: there is no innerHTML anywhere in the client.

/**
 * Build an element: h("button", {type: "submit", onclick: fn, class: "x"}, "text", child, ...).
 * Attributes starting with "on" become listeners; `dataset` is an object; children that are
 * strings or numbers become text nodes; null/false children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "text") {
      el.textContent = value;
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** The SVG counterpart of h() (no listeners shortcut needed beyond "on..."). */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Replace the children of `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A form's alert line: shows a message (or clears it with ""). */
export function formError(form, message) {
  let box = form.querySelector(".form-error");
  if (!box) {
    box = h("p", { class: "form-error", role: "alert" });
    form.append(box);
  }
  box.textContent = message || "";
  box.hidden = !message;
}

/**
 * Run `fn` for a submitted form with every control disabled (and aria-busy) until it settles;
 * an error is shown in the form's alert line. Returns fn's result (undefined on error).
 */
export async function busy(form, fn) {
  const controls = [...form.querySelectorAll("input, button, select, textarea")];
  const was = controls.map((c) => c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  form.setAttribute("aria-busy", "true");
  formError(form, "");
  try {
    return await fn();
  } catch (err) {
    formError(form, describe(err));
    return undefined;
  } finally {
    controls.forEach((c, i) => { c.disabled = was[i]; });
    form.removeAttribute("aria-busy");
  }
}

let describeImpl = (err) => String(err && err.message ? err.message : err);
/** api.js installs its error describer here (keeps dom.js free of imports). */
export function setDescribe(fn) { describeImpl = fn; }
export function describe(err) { return describeImpl(err); }

let toastTimer = null;
/** A short polite notice at the bottom of the screen. */
export function toast(message) {
  const box = document.getElementById("toast");
  if (!box) return;
  box.textContent = message;
  box.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => box.classList.remove("show"), 4000);
}

/** A labelled input row. */
export function field(label, attrs) {
  const id = attrs.id || `f-${attrs.name}`;
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, ...attrs }));
}

/** "3 min ago"-free, stable local time formatting for message stamps. */
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}
