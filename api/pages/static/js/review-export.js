// Export a certified clip with bounds a clerk knows: court clock times (in the court's zone,
// as every other page shows them) or a marker, and say afterwards exactly what was exported.
// A clip can only begin on a keyframe, so it may begin a little before the time asked for:
// the server says so in X-Courtcast-Exported-From/-To/-Reason and the page repeats it.
import { download, errorReason } from "./api.js";
import { onLangChange, setText, t } from "./i18n.js";
import { courtTimeZone, formatCourtTime } from "./time.js";

const $ = (id) => document.getElementById(id);
const DEFAULT_CLIP_MS = 60_000;

// The court zone's wall-clock fields of an instant.
function courtFields(ms) {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: courtTimeZone(), hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms));
  const field = (type) => Number(parts.find((p) => p.type === type).value);
  return { y: field("year"), mo: field("month"), d: field("day"),
    h: field("hour"), mi: field("minute"), s: field("second") };
}

// "HH:MM:SS" of an instant on the court's clock (what a time input holds).
export function courtClock(ms) {
  const { h, mi, s } = courtFields(ms);
  return [h, mi, s].map((n) => String(n).padStart(2, "0")).join(":");
}

// The instant a court clock "HH:MM[:SS]" names, on the court's day nearest to `nearMs`
// (a hearing may run past midnight: the reading closest to the recording wins).
export function courtClockToInstant(clock, nearMs) {
  const [h, mi, s = 0] = clock.split(":").map(Number);
  const day = courtFields(nearMs);
  const guess = Date.UTC(day.y, day.mo - 1, day.d, h, mi, s);
  const f = courtFields(guess); // the zone's offset at that moment, from what it reads there
  const offset = Date.UTC(f.y, f.mo - 1, f.d, f.h, f.mi, f.s) - guess;
  const candidates = [-1, 0, 1].map((days) => guess - offset + days * 86_400_000);
  return candidates.reduce((a, b) => (Math.abs(b - nearMs) < Math.abs(a - nearMs) ? b : a));
}

// The name the server gave the file (RFC 6266 filename* first, then filename).
function savedName(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (utf8) return decodeURIComponent(utf8[1]);
  const plain = /filename="([^"]+)"/.exec(header);
  return plain ? plain[1] : fallback;
}

// The export panel of the review page; `current()` gives { recording, camera, origin,
// duration, markers, position } of what is on screen.
export function installExport(current) {
  let lastRange = null; // what the last download held, re-rendered on a language switch

  function bounds() {
    const { origin } = current();
    return {
      from: courtClockToInstant($("clip-from").value, origin),
      to: courtClockToInstant($("clip-to").value, origin),
    };
  }

  function url(kind) {
    const { recording, camera } = current();
    const { from, to } = bounds();
    const query = new URLSearchParams({
      from: new Date(from).toISOString(), to: new Date(to).toISOString(),
    });
    return `/api/v1/recordings/${recording.id}/cameras/${encodeURIComponent(camera)}/export.${kind}?${query}`;
  }

  function update() {
    const { recording, camera } = current();
    if (!recording || !camera || !$("clip-from").value || !$("clip-to").value) return;
    for (const kind of ["mp4", "json"]) $(`export-${kind}`).href = url(kind);
  }

  function setFrom(ms) {
    $("clip-from").value = courtClock(ms);
    update();
  }

  function setTo(ms) {
    $("clip-to").value = courtClock(ms);
    update();
  }

  function renderMarkers() {
    const { markers } = current();
    const choose = document.createElement("option");
    choose.value = "";
    choose.dataset.i18n = "review.clipMarkerChoose";
    choose.textContent = t("review.clipMarkerChoose");
    const chosen = $("clip-marker").value; // kept across a language switch
    $("clip-marker").replaceChildren(choose, ...markers.map((m, index) => {
      const option = document.createElement("option");
      option.value = String(index);
      option.textContent = `${formatCourtTime(m.at)} ${t(`marker.${m.kind}`)} ${m.text}`;
      return option;
    }));
    $("clip-marker").value = chosen;
    if ($("clip-marker").selectedIndex < 0) $("clip-marker").selectedIndex = 0;
  }

  function renderRange() {
    if (!lastRange) return;
    setText($("export-range"), lastRange.reason === "starts_at_keyframe_before_requested_start"
      ? "review.exportedEarlier" : "review.exportedExactly", {
      from: formatCourtTime(lastRange.from), to: formatCourtTime(lastRange.to),
      asked: formatCourtTime(lastRange.asked),
    });
  }

  async function exportClip(event, kind) {
    event.preventDefault();
    update();
    setText($("export-status"), "review.exporting");
    const { recording, camera } = current();
    try {
      const response = await download(url(kind),
        (answer) => savedName(answer, `${camera}-${recording.id}.${kind}`));
      setText($("export-status"), "review.exported");
      const from = response.headers.get("X-Courtcast-Exported-From");
      if (from) {
        lastRange = { from, to: response.headers.get("X-Courtcast-Exported-To"),
          asked: response.headers.get("X-Courtcast-Requested-From"),
          reason: response.headers.get("X-Courtcast-Exported-Reason") };
        renderRange();
      }
    } catch (error) {
      setText($("export-status"), "review.failed", { reason: errorReason(error) });
    }
  }

  $("set-from").addEventListener("click", () => setFrom(current().origin + current().position() * 1000));
  $("set-to").addEventListener("click", () => setTo(current().origin + current().position() * 1000));
  $("clip-from").addEventListener("change", update);
  $("clip-to").addEventListener("change", update);
  $("clip-marker").addEventListener("change", () => {
    const marker = current().markers[Number($("clip-marker").value)];
    if (!marker || $("clip-marker").value === "") return;
    const at = Date.parse(marker.at);
    setFrom(at);
    setTo(Math.min(at + DEFAULT_CLIP_MS, current().origin + current().duration * 1000));
  });
  $("export-mp4").addEventListener("click", (event) => exportClip(event, "mp4"));
  $("export-json").addEventListener("click", (event) => exportClip(event, "json"));
  onLangChange(() => { renderMarkers(); renderRange(); });

  return {
    // A new recording or camera on screen: its first minute, and its markers to pick from.
    reset() {
      const { origin, duration } = current();
      lastRange = null;
      $("export-range").textContent = "";
      setFrom(origin);
      setTo(origin + Math.min(duration * 1000, DEFAULT_CLIP_MS));
      renderMarkers();
    },
    update,
  };
}
