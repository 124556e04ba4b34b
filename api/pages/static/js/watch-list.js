// /watch: today's public and restricted hearings (court time), live first, each a link to its
// player. Refreshed every 15 s so a hearing that goes live shows without a reload. A restricted
// hearing is one neutral line (不公开庭审, its courtroom and time), never its case or parties.
// Before it opens a hearing reads "starting soon", after it closes (or is cancelled) "closed".
import { FINAL_STATUSES, statusKey } from "./hearing-status.js";
import { installLanguageSwitch, setText } from "./i18n.js";
import { courtDateString, formatCourtDate, formatCourtTime, startCourtClock } from "./time.js";

const REFRESH_MS = 15000;
const $ = (id) => document.getElementById(id);

// live: in session with a camera on air; the other states are the hearing's own.
function liveState(h) {
  if (FINAL_STATUSES.has(h.status) || h.status === "scheduled") return h.status;
  if (!h.broadcast_on) return "stopped";
  if (h.status === "in_session" && h.live_cameras.length) return "live";
  return h.status;
}

const ORDER = { live: 0, in_session: 1, recess: 2, stopped: 3, scheduled: 4, closed: 5, cancelled: 6 };

function item(h) {
  const state = liveState(h);
  const li = document.createElement("li");
  li.className = `hearing-card state-${state}`;
  const link = document.createElement("a");
  const camera = h.live_cameras.find((c) => h.cameras.includes(c)) || h.cameras[0];
  link.href = `/watch/${encodeURIComponent(h.id)}${camera ? `?camera=${encodeURIComponent(camera)}` : ""}`;
  link.className = "card-link";

  const top = document.createElement("p");
  top.className = "case-line";
  const time = document.createElement("time");
  time.className = "start";
  time.dateTime = h.scheduled_start;
  time.textContent = formatCourtTime(h.scheduled_start).slice(0, 5);
  const badge = document.createElement("span");
  badge.className = `badge badge-${state}`;
  setText(badge, state === "live" ? "watch.state.live" : state === "stopped"
    ? "hearing.status.stopped" : statusKey(state));
  top.append(time, badge);
  if (h.visibility === "restricted") {
    const tag = document.createElement("span");
    tag.className = "badge badge-restricted";
    setText(tag, "hearing.restricted");
    top.append(tag);
  }

  const title = document.createElement("h2");
  title.className = "case-title";
  const court = document.createElement("p");
  court.className = "muted small";
  court.textContent = `${h.court} · ${h.courtroom}`;
  if (h.visibility === "restricted") {
    // A neutral line: the server names no case, title or party (api/routes/public.py).
    setText(title, "hearing.restrictedLine");
    link.append(top, title, court);
  } else {
    title.textContent = h.case_title;
    const sub = document.createElement("p");
    sub.className = "small";
    sub.textContent = `${h.case_number} · ${h.title}`;
    link.append(top, title, sub, court);
  }
  li.append(link);
  return li;
}

async function load() {
  try {
    const response = await fetch(`/api/v1/public/hearings?date=${courtDateString()}`, { cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const day = await response.json();
    const items = [...day.items].sort(
      (a, b) => ORDER[liveState(a)] - ORDER[liveState(b)] || a.scheduled_start.localeCompare(b.scheduled_start),
    );
    $("hearings").replaceChildren(...items.map(item));
    $("empty").hidden = items.length > 0;
    $("error").hidden = true;
  } catch {
    $("error").hidden = false;
  }
  setTimeout(load, REFRESH_MS);
}

installLanguageSwitch();
startCourtClock($("court-clock"));
const showDay = () => { $("day").textContent = formatCourtDate(new Date()); };
showDay();
document.addEventListener("langchange", showDay);
load();
