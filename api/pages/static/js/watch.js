// /watch/{hearing_id}: the public player, phone first. The camera comes from `?camera=`
// (default "bench"); `?cameras=bench,witness` offers a selector, until the API has a public
// description of a hearing's cameras. `?code=` is an access code for a restricted hearing.
import { hasText, installLanguageSwitch, setText, t } from "./i18n.js";
import { startCourtClock } from "./time.js";
import { WatchPlayer } from "./watch-player.js";

const $ = (id) => document.getElementById(id);
const video = $("player");
const params = new URLSearchParams(location.search);
const hearingId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const cameras = (params.get("cameras") || "").split(",").map((c) => c.trim()).filter(Boolean);
let camera = params.get("camera") || cameras[0] || "bench";

// Overlay text per player state; "live" hides the overlay.
const OVERLAY = {
  connecting: ["watch.state.connecting", null],
  "not-started": ["watch.state.notStarted", "watch.state.notStarted.hint"],
  stopped: ["watch.state.stopped", "watch.state.stopped.hint"],
  retrying: ["watch.state.retrying", null],
};

function showState(state, mode) {
  const live = state === "live";
  document.body.dataset.playerState = state;
  $("overlay").hidden = live;
  $("live-badge").hidden = !live;
  if (!live) {
    const [title, hint] = OVERLAY[state];
    setText($("overlay-text"), title);
    if (hint) setText($("overlay-hint"), hint);
    $("overlay-hint").hidden = !hint;
  }
  // Which transport plays matters only while something plays.
  $("mode").hidden = !live;
  if (live) setText($("mode"), `watch.mode.${mode}`);
}

function showSound() {
  setText($("sound"), video.muted ? "watch.unmute" : "watch.mute");
}

function cameraLabel(option, name) {
  // Known camera names have a translated label; others show as they are.
  const key = `camera.${name}`;
  if (!hasText(key)) return;
  option.dataset.i18n = key;
  option.textContent = t(key);
}

function buildCameraChoice() {
  if (!cameras.includes(camera)) cameras.unshift(camera);
  if (cameras.length < 2) return;
  const select = $("camera");
  for (const name of cameras) {
    const option = new Option(name, name, false, name === camera);
    cameraLabel(option, name);
    select.append(option);
  }
  $("camera-choice").hidden = false;
  select.addEventListener("change", () => {
    camera = select.value;
    params.set("camera", camera);
    history.replaceState(null, "", `${location.pathname}?${params}`);
    player.play(camera);
  });
}

const player = new WatchPlayer({ video, hearingId, code: params.get("code"), onState: showState });

buildCameraChoice();
installLanguageSwitch();
setText($("hearing-label"), "watch.hearing", { id: hearingId });
startCourtClock($("court-clock"));
$("sound").addEventListener("click", () => {
  video.muted = !video.muted;
  video.play().catch(() => {});
  showSound();
});
window.addEventListener("pagehide", () => player.hangUpOnExit());
player.play(camera);
