// The JSON API for staff pages: the bearer token is entered once and kept in sessionStorage
// (gone when the tab closes); every call sends it in the Authorization header.
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

// fetch + JSON with the token; a non-2xx answer throws HttpError(status, detail).
export async function api(path, { method = "GET", body, token } = {}) {
  const headers = authHeaders(token ?? storedToken());
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const parsed = await response.json();
      detail = typeof parsed.detail === "string" ? parsed.detail : JSON.stringify(parsed.detail);
    } catch {
      // not JSON: keep the status text
    }
    throw new HttpError(response.status, detail);
  }
  return response.status === 204 ? null : response.json();
}

// Fetch a file with the token and hand it to the browser as a download; `name` may be a
// function of the response (to keep the name the server gave). Returns the response.
export async function download(url, name) {
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) throw new HttpError(response.status, await response.text());
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
