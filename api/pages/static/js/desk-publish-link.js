// A camera's publish link: a fresh camera token in the link's fragment (#token=..., which a
// browser never sends to a server), shown once with its QR code for a phone or tablet to scan.
// The QR code is drawn by the server from the link sent in a POST body, never in a URL.
import { api, authHeaders } from "./api.js";
import { $, attempt, copyText, el, fail } from "./desk-common.js";
import { applyTranslations, cameraLabel, onLangChange } from "./i18n.js";
import { HttpError } from "./webrtc.js";

export function publishLink(secret) {
  return `${location.origin}/publish#token=${encodeURIComponent(secret)}`;
}

// The server's SVG as a data: URL (the page's CSP allows data: images).
async function qrImage(text) {
  const response = await fetch("/api/v1/qr", {
    method: "POST",
    headers: { ...authHeaders(), "Content-Type": "application/json" },
    body: JSON.stringify({ text }),
    cache: "no-store",
  });
  if (!response.ok) throw new HttpError(response.status, await response.text());
  const blob = await response.blob();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function linkPanel(room, camera, link) {
  const target = el("span");
  const name = () => { target.textContent = `${room.name} · ${cameraLabel(camera, room.camera_labels)}`; };
  name();
  const forget = onLangChange(name);
  const status = el("p", { className: "small", role: "status" });
  const code = el("code", { className: "link-text", textContent: link });
  const copy = el("button", { type: "button", className: "small-button", dataset: { i18n: "desk.copy" } });
  copy.addEventListener("click", () => copyText(link, code, status));
  const image = el("img", { className: "qr", width: 240, height: 240 });
  image.dataset.i18nAttr = "alt:desk.link.qrAlt";
  const close = el("button", { type: "button", className: "small-button", dataset: { i18n: "desk.link.close" } });
  const panel = el("div", { className: "publish-link-panel", dataset: { camera } },
    el("p", { className: "strong" }, el("span", { dataset: { i18n: "desk.link.for" } }), " ",
      target),
    el("p", { className: "small", dataset: { i18n: "desk.link.once" } }),
    el("div", { className: "link-line" }, code, copy),
    image, status, close);
  close.addEventListener("click", () => {
    forget();
    panel.closest("tr").remove();
  });
  applyTranslations(panel);
  return { panel, image, status };
}

// Called from a camera's row: create its token, then show link and QR under the row.
export async function createPublishLink(room, camera, row, button) {
  const status = $("room-status");
  const body = {
    role: "camera", name: `${room.name} · ${camera}`, courtroom_ids: [room.id], camera,
  };
  const created = await attempt(status, () => api("/api/v1/tokens", { method: "POST", body }), null, button);
  if (!created) return;
  const link = publishLink(created.token);
  const { panel, image, status: panelStatus } = linkPanel(room, camera, link);
  const columns = row.children.length;
  if (row.nextElementSibling?.classList.contains("link-row")) row.nextElementSibling.remove();
  row.after(el("tr", { className: "link-row" }, el("td", { colSpan: columns }, panel)));
  try {
    image.src = await qrImage(link);
  } catch (error) {
    fail(panelStatus, error);
  }
  document.dispatchEvent(new CustomEvent("desk:tokens-changed"));
}
