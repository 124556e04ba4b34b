// Court-local wall-clock time <-> instants: the desk types a hearing's date and time as the
// court reads them, whatever zone the clerk's own computer is set to.
import { courtDateString, courtTimeZone } from "./time.js";

// Minutes the court's zone is ahead of UTC at this instant.
function offsetMinutes(instant) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: courtTimeZone(), hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    }).formatToParts(instant).map((part) => [part.type, part.value]),
  );
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute);
  return Math.round((asUtc - Math.floor(instant.getTime() / 60000) * 60000) / 60000);
}

function pad(n) {
  return String(Math.abs(n)).padStart(2, "0");
}

// "2026-03-02", "09:30" in the court's zone -> "2026-03-02T09:30:00+08:00".
export function courtLocalToIso(date, time) {
  const [year, month, day] = date.split("-").map(Number);
  const [hour, minute] = time.split(":").map(Number);
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // the offset at the guessed instant, then again at the corrected one (across a DST change)
  let offset = offsetMinutes(new Date(wall));
  offset = offsetMinutes(new Date(wall - offset * 60000));
  const sign = offset < 0 ? "-" : "+";
  return `${date}T${pad(hour)}:${pad(minute)}:00${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

// An instant -> ["YYYY-MM-DD", "HH:MM"] as the court's clock shows it (for the move form).
export function courtLocalParts(value) {
  const instant = new Date(value);
  const time = new Intl.DateTimeFormat("en-GB", {
    timeZone: courtTimeZone(), hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).format(instant);
  return [courtDateString(instant), time];
}
