// The JSON API for staff pages: the bearer token is entered once and kept in sessionStorage
// (gone when the tab closes); every call sends it in the Authorization header.
import { hasText, t } from "./i18n.js";
import { HttpError } from "./webrtc.js";

const TOKEN_KEY = "courtcast.token";

export function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives as long as the page
  }
}

export function authHeaders(token = storedToken()) {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

// The HttpError of a refused answer: its status, the server's detail (English, for logs and
// scripts) and its machine-readable X-Courtcast-Error code when it gave one.
async function refusal(response) {
  let detail = response.statusText;
  try {
    const parsed = await response.json();
    detail = typeof parsed.detail === "string" ? parsed.detail : JSON.stringify(parsed.detail);
  } catch {
    // not JSON: keep the status text
  }
  return new HttpError(response.status, detail, response.headers.get("X-Courtcast-Error"));
}

// fetch + JSON with the token; a non-2xx answer throws HttpError(status, detail, reason).
export async function api(path, { method = "GET", body, token } = {}) {
  const headers = authHeaders(token ?? storedToken());
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  if (!response.ok) throw await refusal(response);
  return response.status === 204 ? null : response.json();
}

// What went wrong, in the page's language: the server's code (error.<code>), else its status
// (error.status.<n>), else a network failure; the server's own detail only when none of these
// has a translation. Returns a setText var ({ key, vars }) so the message re-renders on a
// language switch: setText(el, "page.failed", { reason: errorReason(error) }).
export function errorReason(error) {
  if (error?.reason && hasText(`error.${error.reason}`)) return { key: `error.${error.reason}` };
  if (error?.status && hasText(`error.status.${error.status}`)) {
    return { key: `error.status.${error.status}` };
  }
  if (error instanceof TypeError) return { key: "error.network" }; // fetch could not connect
  return error?.detail || error?.message || String(error);
}

// errorReason as a string in the current language, for text that is rendered once.
export function errorMessage(error) {
  const reason = errorReason(error);
  return typeof reason === "string" ? reason : t(reason.key);
}

// Fetch a file with the token and hand it to the browser as a download; `name` may be a
// function of the response (to keep the name the server gave). Returns the response.
export async function download(url, name) {
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) throw await refusal(response);
  const blob = await response.blob();
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = typeof name === "function" ? name(response) : name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  return response;
}
