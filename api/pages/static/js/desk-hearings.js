// Hearings: scheduled at a court-local date and time, with judge and visibility; while still
// scheduled a hearing may be moved (time, courtroom) or cancelled, both PATCH /hearings/{id}.
import { api } from "./api.js";
import { $, attempt, el, report, shared } from "./desk-common.js";
import { caseText } from "./desk-cases.js";
import { courtLocalParts, courtLocalToIso } from "./desk-time.js";
import { applyTranslations, onLangChange, t } from "./i18n.js";
import { courtDateString, courtTimeZone, formatCourtDate, formatCourtTime } from "./time.js";

let hearings = [];

function fillSelect(select, items, text, keep = select.value) {
  select.replaceChildren(...items.map((item) => new Option(text(item), item.id)));
  if (items.some((item) => item.id === keep)) select.value = keep;
}

function fillPickers() {
  fillSelect($("hearing-case"), shared.cases, caseText);
  fillSelect($("hearing-room"), shared.rooms, (room) => room.name);
}

// Today's and later hearings, earliest first (the API lists newest first).
export async function loadHearings() {
  const params = new URLSearchParams({ date_from: courtLocalToIso(courtDateString(), "00:00"), limit: "200" });
  const page = await api(`/api/v1/hearings?${params}`);
  hearings = page.items.sort((a, b) => a.scheduled_start.localeCompare(b.scheduled_start));
  render();
}

function when(hearing) {
  return `${formatCourtDate(hearing.scheduled_start)} ${formatCourtTime(hearing.scheduled_start).slice(0, 5)}`;
}

function moveForm(hearing, item) {
  const [date, time] = courtLocalParts(hearing.scheduled_start);
  const dateInput = el("input", { type: "date", required: true, value: date, className: "move-date" });
  const timeInput = el("input", { type: "time", required: true, value: time, className: "move-time" });
  const room = el("select", { className: "move-room" });
  fillSelect(room, shared.rooms, (r) => r.name, hearing.courtroom_id);
  const status = el("p", { className: "small", role: "status" });
  const save = el("button", { type: "submit", className: "primary small-button", dataset: { i18n: "desk.hearing.moveSave" } });
  const form = el("form", { className: "row move-form" },
    el("label", {}, el("span", { dataset: { i18n: "desk.hearing.date" } }), dateInput),
    el("label", {}, el("span", { dataset: { i18n: "desk.hearing.time" } }), timeInput),
    el("label", { className: "grow" }, el("span", { dataset: { i18n: "desk.hearing.room" } }), room),
    save, status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { scheduled_start: courtLocalToIso(dateInput.value, timeInput.value), courtroom_id: room.value };
    const moved = await attempt(status, () => api(`/api/v1/hearings/${encodeURIComponent(hearing.id)}`,
      { method: "PATCH", body }), null, save);
    if (moved) {
      await loadHearings();
      report($("hearing-status"), "desk.hearing.moved");
    }
  });
  applyTranslations(form);
  item.append(form);
  dateInput.focus();
}

async function cancel(hearing, button) {
  if (!confirm(t("desk.hearing.confirmCancel", { title: hearing.title }))) return;
  const done = await attempt($("hearing-status"), () => api(`/api/v1/hearings/${encodeURIComponent(hearing.id)}`,
    { method: "PATCH", body: { status: "cancelled" } }), null, button);
  if (done) {
    await loadHearings();
    report($("hearing-status"), "desk.hearing.cancelled");
  }
}

function hearingItem(hearing) {
  const status = el("span", { className: `badge badge-${hearing.status}`, i18n: `desk.status.${hearing.status}` });
  const visibility = el("span", { className: `badge badge-${hearing.visibility}`, i18n: `desk.visibility.${hearing.visibility}` });
  const item = el("li", { dataset: { hearing: hearing.id } },
    el("div", { className: "grow" },
      el("p", {}, el("strong", { className: "nowrap", textContent: when(hearing) }), " ",
        el("span", { className: "hearing-title", textContent: hearing.title }), " ", status, " ", visibility),
      el("p", { className: "small muted" },
        el("span", { textContent: `${hearing.case_number} · ${hearing.case_title} · ${hearing.courtroom_name}` }),
        hearing.presiding_judge ? el("span", { i18n: ["desk.hearing.judgeIs", { judge: hearing.presiding_judge }] }) : null)));
  if (hearing.status === "scheduled") {
    const move = el("button", { type: "button", className: "small-button", i18n: "desk.hearing.move" });
    move.addEventListener("click", () => {
      item.querySelector(".move-form")?.remove();
      moveForm(hearing, item);
    });
    const stop = el("button", { type: "button", className: "small-button", i18n: "desk.hearing.cancel" });
    stop.addEventListener("click", () => cancel(hearing, stop));
    item.append(el("div", { className: "item-actions" }, move, stop));
  }
  return item;
}

function render() {
  const list = $("hearing-list");
  list.replaceChildren(...(hearings.length
    ? hearings.map(hearingItem) : [el("li", { className: "muted", i18n: "desk.hearing.none" })]));
}

async function schedule(event) {
  event.preventDefault();
  const judge = $("hearing-judge").value.trim();
  const body = {
    case_id: $("hearing-case").value,
    courtroom_id: $("hearing-room").value,
    title: $("hearing-title").value.trim(),
    scheduled_start: courtLocalToIso($("hearing-date").value, $("hearing-time").value),
    visibility: $("hearing-visibility").value,
    ...(judge ? { presiding_judge: judge } : {}),
  };
  const created = await attempt($("hearing-status"),
    () => api("/api/v1/hearings", { method: "POST", body }), null, event.submitter);
  if (!created) return;
  report($("hearing-status"), "desk.hearing.created", { when: when(created) });
  $("hearing-title").value = "";
  await loadHearings();
}

export function installHearings() {
  $("hearing-date").value = courtDateString();
  $("court-zone").textContent = courtTimeZone();
  $("hearing-form").addEventListener("submit", schedule);
  document.addEventListener("desk:rooms", fillPickers);
  document.addEventListener("desk:cases", fillPickers);
  document.addEventListener("desk:case-chosen", (event) => { $("hearing-case").value = event.detail; });
  onLangChange(() => {
    fillPickers();
    render();
  });
}
