// Tokens (admins only): create one for a role, its courtrooms and (for a camera) its camera; the
// secret is shown once with a copy button and never fetched again; list the live ones; revoke.
import { api } from "./api.js";
import { $, attempt, copyText, el, report, shared } from "./desk-common.js";
import { courtLocalToIso } from "./desk-time.js";
import { cameraLabel, onLangChange, t } from "./i18n.js";
import { formatCourtDate } from "./time.js";

let tokens = [];

function chosenRooms() {
  return [...$("token-rooms").querySelectorAll("input:checked")].map((box) => box.value);
}

function renderRooms() {
  const chosen = new Set(chosenRooms());
  $("token-rooms").replaceChildren(...shared.rooms.map((room) => el("label", { className: "check" },
    el("input", { type: "checkbox", value: room.id, checked: chosen.has(room.id) }), " ",
    el("span", { textContent: room.name }))));
  renderCameras();
}

// A camera token names one courtroom and one of its cameras.
function renderCameras() {
  const isCamera = $("token-role").value === "camera";
  $("token-camera-field").hidden = !isCamera;
  const room = shared.rooms.find((r) => r.id === chosenRooms()[0]);
  const keep = $("token-camera").value;
  $("token-camera").replaceChildren(...(room ? room.cameras : []).map(
    (camera) => new Option(cameraLabel(camera, room.camera_labels), camera)));
  if (keep) $("token-camera").value = keep;
}

function roomNames(ids) {
  if (!ids.length) return t("desk.token.allRooms");
  return ids.map((id) => shared.rooms.find((room) => room.id === id)?.name ?? id).join(t("desk.listSeparator"));
}

function live(token) {
  return !token.revoked_at && !(token.expires_at && new Date(token.expires_at) <= new Date());
}

function render() {
  const shown = tokens.filter(live);
  $("token-list").replaceChildren(...(shown.length ? shown.map((token) => {
    const revoke = el("button", { type: "button", className: "small-button danger", i18n: "desk.token.revoke" });
    revoke.addEventListener("click", () => revokeToken(token, revoke));
    const scope = [t(`desk.role.${token.role}`), roomNames(token.courtroom_ids), token.camera].filter(Boolean);
    if (token.expires_at) scope.push(t("desk.token.until", { date: formatCourtDate(token.expires_at) }));
    return el("li", { dataset: { token: token.id } },
      el("div", { className: "grow" }, el("strong", { className: "token-name", textContent: token.name }),
        el("p", { className: "small muted", textContent: scope.join(" · ") })),
      revoke);
  }) : [el("li", { className: "muted", i18n: "desk.token.none" })]));
}

export async function loadTokens() {
  tokens = await api("/api/v1/tokens");
  render();
}

async function revokeToken(token, button) {
  if (!confirm(t("desk.token.confirmRevoke", { name: token.name }))) return;
  const done = await attempt($("token-status"),
    () => api(`/api/v1/tokens/${encodeURIComponent(token.id)}`, { method: "DELETE" }), null, button);
  if (done !== undefined) {
    report($("token-status"), "desk.token.revoked", { name: token.name });
    await loadTokens();
  }
}

async function create(event) {
  event.preventDefault();
  const role = $("token-role").value;
  const expires = $("token-expires").value;
  const body = {
    role, name: $("token-name").value.trim(), courtroom_ids: chosenRooms(),
    ...(role === "camera" ? { camera: $("token-camera").value } : {}),
    ...(expires ? { expires_at: courtLocalToIso(expires, "23:59") } : {}),
  };
  const created = await attempt($("token-status"),
    () => api("/api/v1/tokens", { method: "POST", body }), "desk.token.created", event.submitter);
  if (!created) return;
  $("new-token-secret").textContent = created.token;
  $("new-token").hidden = false;
  $("token-name").value = "";
  await loadTokens();
}

export function installTokens() {
  $("tokens").hidden = false;
  $("token-form").addEventListener("submit", create);
  $("token-role").addEventListener("change", renderCameras);
  $("token-rooms").addEventListener("change", renderCameras);
  $("new-token-copy").addEventListener("click",
    () => copyText($("new-token-secret").textContent, $("new-token-secret"), $("token-status")));
  document.addEventListener("desk:rooms", renderRooms);
  document.addEventListener("desk:tokens-changed", loadTokens);
  onLangChange(() => {
    renderCameras();
    render();
  });
}
