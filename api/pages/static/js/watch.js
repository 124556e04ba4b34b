// /watch/{hearing_id}: the public player, phone first. The hearing's case, court and cameras come
// from /api/v1/public/hearings/{id}; `?camera=` picks the camera, `?code=` is an access code for
// a restricted hearing (asked for on the page when the server answers 401). A code, linked or
// typed, is exchanged once for a viewer ticket (an HttpOnly cookie) and leaves the address bar
// at once; the player then watches with the cookie, never with the code in a URL. A refused code
// says why (wrong, expired, or in use on all its devices) from the server's X-Courtcast-Error.
// Families see no hearing id, no protocol name, and no title of a restricted hearing.
// While the page is open it asks every second whether the court still broadcasts: a cut stops
// the player at once, and the page says the court stopped it. A changed delay rejoins the new
// feed at once, keeping the last picture with a notice, and the page names the delay. Before
// the hearing opens the page shows a "starting soon" card with its time, after it closes (or
// is cancelled) a "closed" card: no camera is asked for either way. A hearing held in a sitting
// shows the sitting's running order below the player: where this case stands, which case is in
// session now and when this one should start (a family waiting for its case to come up).
import { cameraLabel, installLanguageSwitch, setText } from "./i18n.js";
import { FINAL_STATUSES, statusKey } from "./hearing-status.js";
import { renderRunningOrder } from "./running-order.js";
import { installCaptions } from "./watch-captions.js";
import { formatCourtDateTime, formatCourtMinute, formatCourtTime, startCourtClock } from "./time.js";
import { REFUSAL_HEADER, WatchPlayer, codeRefusal } from "./watch-player.js";

const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);
const video = $("player");
const params = new URLSearchParams(location.search);
const hearingId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const linkedCode = params.get("code");
if (linkedCode !== null) {
  params.delete("code"); // out of the address bar, the history and any link shared from here
  const rest = params.toString();
  history.replaceState(null, "", rest ? `${location.pathname}?${rest}` : location.pathname);
}
let cameras = (params.get("cameras") || "").split(",").map((c) => c.trim()).filter(Boolean);
let camera = params.get("camera") || cameras[0] || null;
let hearing = null;

// Overlay text per player state; "live" hides the overlay.
const OVERLAY = {
  connecting: ["watch.state.connecting", null],
  "not-started": ["watch.state.notStarted", "watch.state.notStarted.hint"],
  stopped: ["watch.state.stopped", "watch.state.stopped.hint"],
  retrying: ["watch.state.retrying", null],
  "code-needed": ["watch.state.codeNeeded", "watch.state.codeNeeded.hint"],
  "bad-code": ["watch.state.badCode", "watch.state.codeNeeded.hint"],
  "code-expired": ["watch.state.codeExpired", "watch.state.codeExpired.hint"],
  "code-in-use": ["watch.state.codeInUse", "watch.state.codeInUse.hint"],
  "too-many": ["watch.state.tooMany", "watch.state.codeNeeded.hint"],
  recess: ["watch.state.recess", "watch.state.recess.hint"],
  "off-record": ["watch.state.offRecord", "watch.state.offRecord.hint"],
  soon: ["watch.state.soon", "watch.state.soon.hint"],
  closed: ["watch.state.closed", "watch.state.closed.hint"],
  cancelled: ["watch.state.cancelled", "watch.state.cancelled.hint"],
  "not-found": ["watch.state.notFound", null],
};

// States that ask for a (new) code.
const ASKING = new Set(["code-needed", "bad-code", "code-expired", "code-in-use", "too-many"]);

function showState(state, mode, vars = {}) {
  const switching = state === "switching"; // the last picture stays, with a notice
  $("switch-notice").hidden = !switching;
  const live = state === "live" || switching || state === "replay";
  const changed = document.body.dataset.playerState !== state;
  document.body.dataset.playerState = state;
  $("overlay").hidden = live;
  $("live-badge").hidden = state !== "live";
  if (!live) {
    const [title, hint] = OVERLAY[state];
    if (state === "soon") vars = { time: formatCourtDateTime(hearing.scheduled_start) };
    setText($("overlay-text"), title, vars);
    if (hint) setText($("overlay-hint"), hint, vars);
    $("overlay-hint").hidden = !hint;
  }
  const asking = ASKING.has(state);
  $("code-form").hidden = !asking;
  if (asking && changed) $("code-input").focus();
  // Which transport plays matters only while something plays.
  $("mode").hidden = !live;
  if (live) showMode(mode);
}

function showMode(mode) {
  const delay = hearing?.delay_s || 0;
  if (delay > 0) setText($("mode"), "watch.mode.delayed", { seconds: Math.round(delay) });
  else setText($("mode"), `watch.mode.${mode}`);
}

function showSound() {
  setText($("sound"), video.muted ? "watch.unmute" : "watch.mute");
}

// Cameras by the display names the court gave them, in the page's language.
function labelCameraChoice() {
  for (const option of $("camera").options) {
    option.textContent = cameraLabel(option.value, hearing?.camera_labels);
  }
}

function buildCameraChoice() {
  if (!cameras.includes(camera)) cameras.unshift(camera);
  if (cameras.length < 2) return;
  const select = $("camera");
  for (const name of cameras) {
    select.append(new Option(name, name, false, name === camera));
  }
  labelCameraChoice();
  $("camera-choice").hidden = false;
  select.addEventListener("change", () => {
    camera = select.value;
    params.set("camera", camera);
    history.replaceState(null, "", `${location.pathname}?${params}`);
    player.play(camera);
  });
}

function showHearing() {
  $("hearing-info").hidden = false;
  if (hearing.visibility === "restricted") {
    // The server names no case for a restricted hearing (api/routes/public.py).
    $("case-number").textContent = "";
    setText($("case-title"), "hearing.restrictedLine");
  } else {
    $("case-number").textContent = hearing.case_number;
    $("case-title").textContent = `${hearing.case_title} · ${hearing.title}`;
  }
  setText($("court-line"), "watch.courtLine", {
    court: hearing.court,
    courtroom: hearing.courtroom,
    time: formatCourtDateTime(hearing.scheduled_start),
  });
  showStatus();
  if (hearing.visibility === "restricted") $("status-badge").after(restrictedTag());
}

function showStatus() {
  const badge = $("status-badge");
  badge.className = `badge badge-${hearing.status}`;
  setText(badge, statusKey(hearing.status));
  showSitting();
}

function showSitting() {
  const sitting = hearing.sitting;
  const panel = $("sitting-panel");
  panel.hidden = !sitting || sitting.status === "ended";
  if (panel.hidden) return;
  $("sitting-heading").textContent = sitting.title;
  const mine = sitting.entries.find((entry) => entry.hearing_id === hearing.id);
  const place = $("sitting-place");
  if (mine?.current) setText(place, "watch.sitting.inSession");
  else if (mine?.estimated_start && !FINAL_STATUSES.has(mine.status)) {
    setText(place, "watch.sitting.placeEta", {
      n: mine.number, time: formatCourtMinute(mine.estimated_start),
    });
  } else if (mine && !FINAL_STATUSES.has(mine.status)) setText(place, "watch.sitting.place", { n: mine.number });
  else place.textContent = "";
  const current = sitting.entries.find((entry) => entry.current);
  if (current && current !== mine) setText($("sitting-now"), "watch.sitting.now", { n: current.number });
  else $("sitting-now").textContent = "";
  renderRunningOrder($("sitting-order"), sitting, hearing.id);
}

function restrictedTag() {
  const tag = document.createElement("span");
  tag.className = "badge badge-restricted";
  setText(tag, "hearing.restricted");
  return tag;
}

async function fetchHearing() {
  try {
    const response = await fetch(`/api/v1/public/hearings/${encodeURIComponent(hearingId)}`, {
      cache: "no-store",
    });
    if (response.status === 404) return "not-found";
    if (!response.ok) return null;
    return await response.json();
  } catch {
    return null; // the network blinked: keep the last known state
  }
}

// The court's state of the hearing decides before the player does: a hearing not yet open, a
// closed one, or a cut broadcast stops the picture whatever the media path still carries.
// Closing comes first: a court that closes and cuts the broadcast has closed the hearing.
function courtState(h) {
  if (FINAL_STATUSES.has(h.status)) return h.status;
  if (h.status === "scheduled") return "soon";
  if (!h.broadcast_on) return "stopped";
  if (h.status === "recess" || h.program?.slate === "recess") return "recess";
  if (h.program?.slate === "off_record") return "off-record"; // the court's slate: nothing goes out
  return null;
}

let halted = null; // the court state that stopped the player, or null while it may play

// Asked every POLL_MS, and at once when the player's connection drops (the kill switch hangs
// the viewer up before the next poll would notice).
async function checkCourt() {
  const next = await fetchHearing();
  if (next && next !== "not-found") {
    const delayChanged = hearing && next.delay_s !== hearing.delay_s;
    const programChanged = Boolean(hearing?.program) !== Boolean(next.program);
    hearing = next;
    if (programChanged) followProgram();
    showStatus();
    const state = courtState(hearing);
    if (delayChanged && !state && !halted) {
      // The server hung up the old feed: join the new one now, the last picture kept.
      player.rejoin(camera, hearing.delay_s * 1000);
      return;
    }
    if (state && halted !== state) {
      halted = state;
      await haltOrReplay(state);
    } else if (!state && halted) {
      halted = null;
      player.play(camera);
    }
  }
}

// While the court runs a program feed, the public watches it and no camera; when it ends, the
// cameras again.
function followProgram() {
  const wanted = hearing.program ? "program" : cameras.find((c) => c !== "program") ?? hearing.cameras[0];
  if (wanted === camera) return;
  camera = wanted;
  $("camera-choice").hidden = Boolean(hearing.program) || cameras.length < 2;
  if (!halted) player.play(camera);
}

async function poll() {
  await checkCourt();
  setTimeout(poll, POLL_MS);
}

const player = new WatchPlayer({
  video, still: $("still"), hearingId, onState: showState, onDrop: checkCourt,
});

// Too many wrong codes: count the wait down, then ask again.
let countdown = null;
function showTooMany(seconds) {
  clearInterval(countdown);
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left > 0) return showState("too-many", null, { seconds: left });
    clearInterval(countdown);
    showState("code-needed");
  };
  tick();
  countdown = setInterval(tick, 1000);
}

// Trades a code for the ticket cookie (POST, so the code is in no URL); true when the player
// may go on. A public hearing needs no ticket (409).
async function exchangeCode(code) {
  clearInterval(countdown);
  let response;
  try {
    response = await fetch(`/api/v1/public/hearings/${encodeURIComponent(hearingId)}/tickets`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code }),
      cache: "no-store",
    });
  } catch {
    showState("retrying");
    return false;
  }
  if (response.ok || response.status === 409) return true;
  if (response.status === 429) showTooMany(Number(response.headers.get("Retry-After")) || 60);
  else if (response.status === 404) showState("not-found");
  else showState(codeRefusal(response.headers.get(REFUSAL_HEADER)));
  return false;
}

async function watchWithCode(code) {
  if (!(await exchangeCode(code))) return;
  if (halted) await haltOrReplay(halted);
  else player.play(camera);
}

// A closed hearing plays its replay when the court published one (a restricted one with the
// code's ticket), with where and why it was cut; otherwise the "closed" card stays.
async function haltOrReplay(state) {
  await player.halt(state);
  if (state !== "closed") return;
  let response;
  try {
    response = await fetch(`/api/v1/public/hearings/${encodeURIComponent(hearingId)}/replay`, {
      cache: "no-store",
    });
  } catch {
    return;
  }
  if (response.status === 401) showState("code-needed");
  if (!response.ok) return;
  showReplay(await response.json());
  await player.replay(`/replay/${encodeURIComponent(hearingId)}/${encodeURIComponent(camera)}/playlist.m3u8`);
}

function showReplay(replay) {
  $("replay-panel").hidden = false;
  setText($("replay-until"), "watch.replay.until", { time: formatCourtDateTime(replay.expires_at) });
  $("replay-cuts").replaceChildren(...replay.cuts.map((cut) => {
    const li = document.createElement("li");
    setText(li, "watch.replay.cut", {
      from: formatCourtTime(cut.start), to: formatCourtTime(cut.end), reason: cut.reason,
      seconds: Math.round(cut.removed_s),
    });
    return li;
  }));
}

async function start() {
  installLanguageSwitch();
  installCaptions(hearingId);
  startCourtClock($("court-clock"));
  const first = await fetchHearing();
  if (first === "not-found") {
    showState("not-found");
    return;
  }
  if (first) {
    hearing = first;
    showHearing();
    if (!cameras.length) cameras = [...hearing.cameras];
    camera = camera || hearing.live_cameras.find((c) => cameras.includes(c)) || cameras[0];
  }
  camera = hearing?.program ? "program" : camera || "bench";
  if (camera !== "program") buildCameraChoice();
  const state = hearing && courtState(hearing);
  if (state) halted = state;
  if (linkedCode) await watchWithCode(linkedCode);
  else if (state) await haltOrReplay(state);
  else player.play(camera);
  setTimeout(poll, POLL_MS);
}

$("sound").addEventListener("click", () => {
  video.muted = !video.muted;
  if (!video.muted && video.volume === 0) video.volume = 1;
  video.play().catch(() => {});
  showSound();
});
// Volume: moving the slider above zero also unmutes (a phone has no other way to hear it).
$("volume").addEventListener("input", () => {
  video.volume = Number($("volume").value);
  video.muted = video.volume === 0;
  video.play().catch(() => {});
  showSound();
});
const showVolume = () => { $("volume").value = String(video.muted ? 0 : video.volume); };
video.addEventListener("volumechange", showVolume);
showVolume();
// Full screen: the picture with its overlay and controls where the browser can (so sound and
// leaving stay a tap away); iPhone Safari only lets the video element itself go full screen.
$("fullscreen").addEventListener("click", () => {
  const player = video.closest("main");
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  else if (player.requestFullscreen) player.requestFullscreen().catch(() => {});
  else video.webkitEnterFullscreen?.();
});
document.addEventListener("fullscreenchange", () => {
  setText($("fullscreen"), document.fullscreenElement ? "watch.exitFullscreen" : "watch.fullscreen");
});
$("code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("code-input").value.trim();
  if (!code) return;
  $("code-input").value = "";
  watchWithCode(code);
});
window.addEventListener("pagehide", () => player.hangUpOnExit());
// The card's time is formatted for the language: formatted again on a switch.
document.addEventListener("langchange", () => {
  if (document.body.dataset.playerState === "soon") showState("soon");
  labelCameraChoice();
  if (hearing) showSitting(); // its list is built from several pieces
});
start();
