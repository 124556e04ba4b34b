// Times in the court's time zone (a <meta name="court-timezone"> the server fills), whatever
// the viewer's own zone is. The API sends UTC ISO 8601 strings.
import { currentLang } from "./i18n.js";

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

// A live clock in an element, in court time, for pages where "now" matters (watch, console).
export function startCourtClock(element) {
  const tick = () => { element.textContent = formatCourtTime(new Date()); };
  tick();
  document.addEventListener("langchange", tick);
  return setInterval(tick, 1000);
}
