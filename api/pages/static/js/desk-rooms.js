// Courtrooms and their cameras: an admin creates a courtroom; an admin or its operator edits the
// ordered camera list and each camera's display names (PUT /courtrooms/{id}/cameras).
import { api } from "./api.js";
import { $, attempt, el, publish, report, shared } from "./desk-common.js";
import { createPublishLink } from "./desk-publish-link.js";
import { applyTranslations } from "./i18n.js";

const CAMERA_NAME = "[A-Za-z0-9._\\-]{1,64}";

function labelInput(value, key, lang) {
  const input = el("input", { maxLength: 64, value: value || "", className: `camera-${lang}` });
  input.dataset.i18nAttr = `aria-label:${key},placeholder:${key}`;
  return input;
}

// An evidence source (a screen or document camera) is published and recorded like a camera; the
// publish page offers it screen sharing.
function evidenceBox(checked) {
  const box = el("input", { type: "checkbox", checked, className: "camera-evidence" });
  box.dataset.i18nAttr = "aria-label:desk.camera.evidence";
  return box;
}

function cameraRow(room, camera, labels, canLink) {
  const name = el("input", {
    value: camera, required: true, pattern: CAMERA_NAME, spellcheck: false, className: "camera-name",
    readOnly: camera !== "",
  });
  name.dataset.i18nAttr = "aria-label:desk.camera.name,title:desk.camera.nameRule";
  const row = el("tr", { dataset: { camera } },
    el("td", {}, name),
    el("td", {}, labelInput(labels?.zh, "desk.camera.zh", "zh")),
    el("td", {}, labelInput(labels?.en, "desk.camera.en", "en")),
    el("td", {}, evidenceBox((room.evidence_sources ?? []).includes(camera) && camera !== "")));
  const actions = el("td", { className: "camera-actions" });
  if (canLink && camera) {
    const link = el("button", { type: "button", className: "small-button publish-link", i18n: "desk.camera.link" });
    link.addEventListener("click", () => createPublishLink(room, camera, row, link));
    actions.append(link);
  }
  const remove = el("button", { type: "button", className: "small-button", i18n: "desk.camera.remove" });
  remove.addEventListener("click", () => row.remove());
  actions.append(remove);
  row.append(actions);
  return row;
}

function cameraTable(room, canLink) {
  const body = el("tbody", {}, ...room.cameras.map(
    (camera) => cameraRow(room, camera, room.camera_labels?.[camera], canLink)));
  return el("table", { className: "cameras" },
    el("thead", {}, el("tr", {},
      el("th", { i18n: "desk.camera.name" }), el("th", { i18n: "desk.camera.zh" }),
      el("th", { i18n: "desk.camera.en" }), el("th", { i18n: "desk.camera.evidence" }),
      el("th", {}, el("span", { className: "sr-only", i18n: "desk.actions" })))),
    body);
}

// The table's rows as the PUT body: new rows' names typed in, labels blank -> null.
function camerasBody(form) {
  return [...form.querySelectorAll("tbody tr[data-camera]")].map((row) => {
    const [name, zh, en, evidence] = row.querySelectorAll("input");
    return {
      name: name.value.trim(), zh: zh.value.trim() || null, en: en.value.trim() || null,
      kind: evidence.checked ? "evidence" : "camera",
    };
  });
}

function roomCard(room) {
  const canLink = shared.me.role === "admin";
  const status = el("p", { className: "small", role: "status" });
  const form = el("form", { className: "camera-form", noValidate: false }, cameraTable(room, canLink));
  const add = el("button", { type: "button", className: "small-button", i18n: "desk.camera.add" });
  add.addEventListener("click", () => {
    const row = cameraRow(room, "", null, false);
    form.querySelector("tbody").append(row);
    row.querySelector("input").focus();
  });
  const save = el("button", { type: "submit", className: "primary", i18n: "desk.camera.save" });
  form.append(el("div", { className: "actions compact" }, add, save), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const cameras = camerasBody(form);
    const updated = await attempt(status, () => api(
      `/api/v1/courtrooms/${encodeURIComponent(room.id)}/cameras`, { method: "PUT", body: { cameras } },
    ), null, save);
    if (updated) {
      replaceRoom(updated);
      report(cardStatus(updated.id), "desk.camera.saved");
    }
  });
  const kind = el("span", { className: "badge", i18n: `desk.room.kind.${room.kind}` });
  const card = el("article", { className: "room", dataset: { room: room.id } },
    el("h3", {}, el("span", { textContent: room.name }), " ", kind), form);
  applyTranslations(card);
  return card;
}

function cardStatus(roomId) {
  return document.querySelector(`[data-room="${roomId}"] form.camera-form > p[role=status]`);
}

function replaceRoom(room) {
  publish("rooms", shared.rooms.map((other) => (other.id === room.id ? room : other)));
}

function render() {
  const list = $("room-list");
  if (shared.rooms.length === 0) {
    list.replaceChildren(el("p", { className: "muted", i18n: "desk.room.none" }));
    return;
  }
  // a room whose card exists keeps it (and any link shown once in it) unless it changed
  const cards = new Map([...list.querySelectorAll("article.room")].map((card) => [card.dataset.room, card]));
  list.replaceChildren(...shared.rooms.map((room) => {
    const card = cards.get(room.id);
    return card && card.dataset.version === version(room) ? card : versioned(roomCard(room), room);
  }));
}

function version(room) {
  return JSON.stringify([room.name, room.cameras, room.camera_labels, room.evidence_sources]);
}

function versioned(card, room) {
  card.dataset.version = version(room);
  return card;
}

// An operator sees the courtrooms its token may use; an admin sees them all.
export async function loadRooms() {
  const rooms = await api("/api/v1/courtrooms");
  if (shared.me.role === "admin") publish("rooms", rooms);
  else {
    const usable = new Set(shared.me.courtrooms.map((room) => room.id));
    publish("rooms", rooms.filter((room) => usable.has(room.id)));
  }
}

async function createRoom(event) {
  event.preventDefault();
  const cameras = $("room-cameras").value.split(/[,，\s]+/).filter(Boolean);
  const body = { name: $("room-name").value.trim(), kind: $("room-kind").value, cameras };
  const room = await attempt($("room-status"),
    () => api("/api/v1/courtrooms", { method: "POST", body }), "desk.room.created",
    event.submitter);
  if (room) {
    $("room-name").value = "";
    await loadRooms();
  }
}

export function installRooms() {
  $("room-form").hidden = shared.me.role !== "admin";
  $("room-form").addEventListener("submit", createRoom);
  document.addEventListener("desk:rooms", render);
}
