// /display/{courtroom}: the courtroom's own screens (庭审记录同步显示). Shows the case in session,
// its parties and the exhibit being shown, with the clerk's record as it is written (staff-only
// lines never reach it). It runs unattended: its token comes in the link's fragment and is kept
// (kiosk-token.js); it follows whatever hearing is in session in the room, shows a notice and
// nothing of a hearing it may not show (it may be sealed), and rejoins by itself after any
// interruption.
import { installLanguageSwitch, onLangChange, setText } from "./i18n.js";
import { takeToken } from "./kiosk-token.js";
import { followRecord, renderRecord } from "./live-record.js";
import { startCourtClock } from "./time.js";

const POLL_MS = 2000;
const RETRY_MS = 1000;
const $ = (id) => document.getElementById(id);
const courtroomId = decodeURIComponent(location.pathname.split("/").pop());

const display = {
  token: null,
  state: null, // the last answer of /api/v1/courtrooms/{id}/display
  failure: null, // an i18n key while the server cannot be asked or refuses the token
  following: null, // the hearing whose record is followed
  stop: null,
};

async function poll() {
  let delay = POLL_MS;
  try {
    const response = await fetch(`/api/v1/courtrooms/${encodeURIComponent(courtroomId)}/display`, {
      headers: { Authorization: `Bearer ${display.token}` }, cache: "no-store",
    });
    if (response.status === 401 || response.status === 404) {
      display.state = null;
      display.failure = "display.refused";
    } else if (!response.ok) {
      throw new Error(`HTTP ${response.status}`);
    } else {
      display.state = await response.json();
      display.failure = null;
    }
  } catch {
    display.failure = "display.offline";
    delay = RETRY_MS;
  }
  follow(display.failure ? null : display.state?.hearing?.id ?? null);
  render();
  setTimeout(poll, delay);
}

function follow(hearingId) {
  if (hearingId === display.following) return;
  if (display.stop) display.stop();
  display.following = hearingId;
  display.stop = null;
  renderRecord($("record-list"), []);
  if (!hearingId) return;
  display.stop = followRecord(hearingId, {
    token: display.token,
    onRecord: (record) => renderRecord($("record-list"), record.lines),
    onRefused: () => renderRecord($("record-list"), []),
  });
}

function render() {
  const state = display.state;
  const hearing = display.failure ? null : state?.hearing;
  $("display-room").textContent = state?.courtroom ?? "";
  $("display-case").textContent = hearing ? `${hearing.case_number} ${hearing.case_title}` : "";
  $("display-main").hidden = !hearing;
  $("display-board").hidden = Boolean(hearing);
  if (hearing) {
    $("display-parties").replaceChildren(...hearing.parties.map((party) => {
      const item = document.createElement("li");
      const role = document.createElement("span");
      role.className = "party-role";
      role.textContent = party.role;
      item.append(role, document.createTextNode(party.name));
      return item;
    }));
    $("exhibit-panel").hidden = !hearing.exhibit;
    $("display-exhibit").textContent = hearing.exhibit ?? "";
    return;
  }
  const board = $("board-title");
  if (display.failure) return setText(board, display.failure);
  if (!display.token) return setText(board, "display.noToken");
  if (state?.notice === "not_for_this_display") return setText(board, "display.notForThisDisplay");
  if (state?.notice === "broadcast_stopped") return setText(board, "display.stopped");
  if (state) return setText(board, "display.idle");
  setText(board, "display.connecting");
}

installLanguageSwitch();
startCourtClock($("court-clock"));
onLangChange(render);
display.token = takeToken(`courtcast.display.${courtroomId}`);
if (display.token) poll();
else render();
