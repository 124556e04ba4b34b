// The clerk's record as it is written (GET /api/v1/live/{hearing}/record), for the courtroom's
// display and the captions of /watch. It asks with the version it shows and the server answers
// as soon as a line is written or corrected (within a second), or after 20 s with nothing new.
// Refused (not in session, a code needed, the broadcast cut) it shows nothing and asks again
// every few seconds; after a network failure, every second. Text goes in as text, never HTML.
import { setText } from "./i18n.js";
import { formatCourtTime } from "./time.js";

const REFUSED_RETRY_MS = 3000;
const OFFLINE_RETRY_MS = 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Calls onRecord({version, lines}) with each new version, onRefused(status) on a refusal;
// returns a function that stops following.
export function followRecord(hearingId, { token = null, onRecord, onRefused = () => {} }) {
  const controller = new AbortController();
  let version = null;
  const url = `/api/v1/live/${encodeURIComponent(hearingId)}/record`;
  async function loop() {
    while (!controller.signal.aborted) {
      let wait = REFUSED_RETRY_MS;
      try {
        const response = await fetch(version === null ? url : `${url}?after=${version}`, {
          headers: token ? { Authorization: `Bearer ${token}` } : {},
          cache: "no-store",
          signal: controller.signal,
        });
        if (response.ok) {
          const record = await response.json();
          if (record.version !== version) onRecord(record);
          version = record.version;
          continue;
        }
        version = null;
        onRefused(response.status);
      } catch {
        version = null;
        wait = OFFLINE_RETRY_MS;
      }
      if (!controller.signal.aborted) await sleep(wait);
    }
  }
  loop();
  return () => controller.abort();
}

// The lines into an <ol>, newest at the bottom and scrolled into view.
export function renderRecord(list, lines) {
  list.replaceChildren(...lines.map((line) => {
    const item = document.createElement("li");
    item.dataset.lineId = line.id;
    const when = document.createElement("time");
    when.className = "record-time";
    when.dateTime = line.at;
    when.textContent = formatCourtTime(line.at);
    const speaker = document.createElement("span");
    speaker.className = "record-speaker";
    speaker.textContent = line.speaker_role;
    const text = document.createElement("span");
    text.className = "record-text";
    text.textContent = line.text;
    item.append(when, speaker, text);
    if (line.corrected) {
      const mark = document.createElement("span");
      mark.className = "record-corrected";
      setText(mark, "record.corrected");
      item.append(mark);
    }
    return item;
  }));
  list.scrollTop = list.scrollHeight;
}
