// Log in and sign up.

import { api, session } from "../api.js";
import { busy, field, formError, h } from "../dom.js";

function card(title, ...children) {
  return h("section", { class: "card narrow" }, h("h1", {}, title), ...children);
}

export function renderLogin(view) {
  const form = h("form", { class: "stack", novalidate: true, "aria-label": "Log in" },
    field("Username", { name: "username", autocomplete: "username", required: true, autofocus: true }),
    field("Password", { name: "password", type: "password", autocomplete: "current-password", required: true }),
    h("button", { type: "submit", class: "primary" }, "Log in"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      formError(form, "Enter your username and password.");
      return;
    }
    const data = await busy(form, () => api("POST", "auth/login", { username, password }, { auth: false }));
    if (data) {
      session.save(data.access_token, data.user);
      location.hash = "#/rooms";
    } else {
      form.password.select();
    }
  });
  view.append(card("Log in", form,
    h("p", { class: "muted" }, "New here? ", h("a", { href: "#/signup" }, "Create an account"))));
}

export function renderSignup(view) {
  const form = h("form", { class: "stack", novalidate: true, "aria-label": "Sign up" },
    field("Username", { name: "username", autocomplete: "username", required: true, autofocus: true,
      minlength: 3, maxlength: 32, "aria-describedby": "username-help" }),
    h("p", { id: "username-help", class: "help" }, "3–32 characters: letters, digits, _ . -"),
    field("Password", { name: "password", type: "password", autocomplete: "new-password", required: true,
      minlength: 8, "aria-describedby": "password-help" }),
    h("p", { id: "password-help", class: "help" }, "At least 8 characters."),
    field("Signup secret", { name: "secret", type: "password", autocomplete: "off", required: true,
      "aria-describedby": "secret-help" }),
    h("p", { id: "secret-help", class: "help" }, "Given to you by whoever runs this server."),
    h("button", { type: "submit", class: "primary" }, "Create account"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = form.username.value.trim();
    const password = form.password.value;
    const secret = form.secret.value;
    if (!username || !password || !secret) {
      formError(form, "Fill in every field.");
      return;
    }
    const data = await busy(form, async () => {
      await api("POST", "auth/register", { username, password, signup_secret: secret }, { auth: false });
      return api("POST", "auth/login", { username, password }, { auth: false });
    });
    if (data) {
      session.save(data.access_token, data.user);
      location.hash = "#/rooms";
    }
  });
  view.append(card("Create an account", form,
    h("p", { class: "muted" }, "Already have an account? ", h("a", { href: "#/login" }, "Log in"))));
}
