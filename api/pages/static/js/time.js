// Times in the court's time zone (a <meta name="court-timezone"> the server fills), whatever
// the viewer's own zone is. The API sends UTC ISO 8601 strings.
import { currentLang, onLangChange } from "./i18n.js";

export function courtTimeZone() {
  return document.querySelector('meta[name="court-timezone"]')?.content || "Asia/Shanghai";
}

function format(value, options) {
  const date = value instanceof Date ? value : new Date(value);
  return new Intl.DateTimeFormat(currentLang(), { timeZone: courtTimeZone(), ...options }).format(date);
}

export function formatCourtTime(value) {
  return format(value, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

// Hours and minutes: an estimate (when a case of a sitting should start) claims no seconds.
export function formatCourtMinute(value) {
  return format(value, { hour: "2-digit", minute: "2-digit", hour12: false });
}

// A live clock in an element, in court time, for pages where "now" matters (watch, console).
export function startCourtClock(element) {
  const tick = () => { element.textContent = formatCourtTime(new Date()); };
  tick();
  onLangChange(tick);
  return setInterval(tick, 1000);
}

export function formatCourtDateTime(value) {
  return format(value, {
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
  });
}

export function formatCourtDate(value) {
  return format(value, { year: "numeric", month: "2-digit", day: "2-digit" });
}

// "YYYY-MM-DD" of a moment in the court's zone (for date inputs and the public list).
export function courtDateString(value = new Date()) {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: courtTimeZone(), year: "numeric", month: "2-digit", day: "2-digit",
  }).format(value instanceof Date ? value : new Date(value));
  return parts; // en-CA formats as YYYY-MM-DD
}

// A date input in court time to an aware ISO time (start or end of that day).
export function courtDayBound(value, end) {
  if (!value) return null;
  const probe = new Date(`${value}T12:00:00Z`);
  const zoned = new Date(probe.toLocaleString("en-US", { timeZone: courtTimeZone() }));
  const offsetMs = zoned - new Date(probe.toLocaleString("en-US", { timeZone: "UTC" }));
  const local = new Date(`${value}T${end ? "23:59:59.999" : "00:00:00"}Z`);
  return new Date(local - offsetMs).toISOString();
}
