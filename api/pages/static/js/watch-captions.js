// The captions panel of /watch: the clerk's record as it is written, under the player, shown on
// request (the choice is kept on the phone). It follows the record only while open, as this
// viewer: a restricted hearing's record comes with the code's ticket, like the picture, and a
// refusal (not in session, the broadcast cut) shows nothing. Staff-only lines never reach it.
import { setText } from "./i18n.js";
import { followRecord, renderRecord } from "./live-record.js";

const CHOICE_KEY = "courtcast.watch.captions";
const $ = (id) => document.getElementById(id);

function remembered() {
  try {
    return localStorage.getItem(CHOICE_KEY) === "on";
  } catch {
    return false;
  }
}

function remember(on) {
  try {
    localStorage.setItem(CHOICE_KEY, on ? "on" : "off");
  } catch {
    // not kept: the panel still opens
  }
}

export function installCaptions(hearingId) {
  const panel = $("captions");
  const toggle = $("captions-toggle");
  let stop = null;
  const show = (lines) => {
    renderRecord($("captions-list"), lines);
    $("captions-empty").hidden = lines.length > 0;
  };
  const open = (on) => {
    panel.hidden = !on;
    toggle.setAttribute("aria-pressed", String(on));
    setText(toggle, on ? "watch.record.hide" : "watch.record.show");
    remember(on);
    if (on && !stop) {
      stop = followRecord(hearingId, {
        onRecord: (record) => show(record.lines),
        onRefused: () => show([]),
      });
    } else if (!on && stop) {
      stop();
      stop = null;
    }
  };
  toggle.addEventListener("click", () => open(panel.hidden));
  open(remembered());
}
