// The REST API (docs/api.md) and the signed-in session. URLs are relative to the page, so the
// client works under any path prefix.

import { setDescribe } from "./dom.js";

const TOKEN_KEY = "hubbub.token";
const USER_KEY = "hubbub.user";

/** An API error: HTTP status, the API's error code and message, Retry-After seconds if any. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  get user() {
    try { return JSON.parse(localStorage.getItem(USER_KEY) || "null"); } catch { return null; }
  },
  save(token, user) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, JSON.stringify({ id: user.id, username: user.username }));
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
};

let onUnauthorized = () => {};
/** Called when a request with our token gets 401 (expired or revoked): main.js logs out. */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/** One API call; resolves to the parsed JSON body (null for 204), rejects with ApiError. */
export async function api(method, path, body = undefined, { auth = true } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = session.token;
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`api/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network_error", "cannot reach the server");
  }
  if (response.status === 204) return null;
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    const err = (data && data.error) || {};
    const retry = response.headers.get("Retry-After");
    const error = new ApiError(response.status, err.code || "http_error",
      err.message || `the server answered ${response.status}`, retry ? Number(retry) : null);
    if (response.status === 401 && auth && token && error.code === "unauthorized") onUnauthorized(error);
    throw error;
  }
  return data;
}

export const enc = encodeURIComponent;

const FRIENDLY = {
  network_error: "Cannot reach the server. Check your connection and try again.",
  invalid_signup_secret: "That signup secret is wrong. Ask the person who runs this server for it.",
  username_taken: "That username is already taken. Pick another one.",
  invalid_credentials: "Wrong username or password.",
  invalid_username: "Usernames are 3–32 characters: letters, digits, _ . or -.",
  invalid_password: "Passwords need at least 8 characters (and at most 72 bytes).",
  unauthorized: "Your session has expired. Please log in again.",
  room_not_found: "That room does not exist, or you are not a member of it.",
  user_not_found: "There is no user with that name.",
  member_not_found: "That person is not a member of this room.",
  already_member: "That person is already a member of this room.",
  api_key_not_found: "That API key no longer exists.",
  room_limit_exceeded: "You have created as many rooms as allowed today. Try again tomorrow.",
  payload_too_large: "That is too long.",
  internal_error: "Something went wrong on the server. Please try again.",
};

/** A sentence for the user about any error (ApiError, live protocol error or anything else). */
export function describeError(err) {
  if (err instanceof ApiError) {
    if (err.code === "rate_limited") {
      const wait = err.retryAfter ? ` Try again in ${Math.ceil(err.retryAfter)} s.` : " Try again shortly.";
      return `Too many attempts.${wait}`;
    }
    if (err.code === "forbidden") return "Only the room's host can do that.";
    if (FRIENDLY[err.code]) return FRIENDLY[err.code];
    // Validation errors (invalid_value, missing_field...) carry a precise message from the API.
    return err.message ? capitalise(err.message) + "." : "The request failed.";
  }
  return err && err.message ? String(err.message) : "Something went wrong.";
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1).replace(/\.$/, "");
}

setDescribe(describeError);
