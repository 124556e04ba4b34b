// /review: judges search hearings and play a recording's cameras together on the common
// wall-clock timeline, with its markers and transcript in sync, and export a certified clip.
// Playlists need the bearer token: the page fetches them, makes segment links absolute (they are
// already signed) and gives hls.js a blob URL.
import { api, errorReason, storeToken, storedToken } from "./api.js";
import { cameraLabel, installLanguageSwitch, onLangChange, setText, t } from "./i18n.js";
import { renderConfirmations } from "./record-confirmations.js";
import { installExport } from "./review-export.js";
import { courtDayBound, formatCourtDateTime, formatCourtTime } from "./time.js";

const $ = (id) => document.getElementById(id);
const SYNC_MS = 500;
const DRIFT_S = 0.3; // a follower further off than this is put back on the main camera's time

const view = {
  recording: null,
  origin: 0, // ms: the earliest first_segment_at of the recording's cameras (timeline zero)
  duration: 0,
  cams: new Map(), // camera -> {video, hls, offset (s from origin)}
  main: null,
  markers: [],
  lines: [],
  title: "",
};
let results = []; // the last search's hearings, rendered again on a language switch
const courtrooms = new Map(); // id -> CourtroomOut (for its cameras' display names)

// -- search --------------------------------------------------------------------------------

async function search(event) {
  event?.preventDefault();
  const token = $("token").value.trim();
  if (token) storeToken(token);
  const query = new URLSearchParams();
  const put = (name, value) => { if (value) query.set(name, value); };
  put("case_number", $("case-number").value.trim());
  put("party", $("party").value.trim());
  put("courtroom_id", $("courtroom").value);
  put("q", $("q").value.trim());
  put("date_from", courtDayBound($("date-from").value, false));
  put("date_to", courtDayBound($("date-to").value, true));
  setText($("search-status"), "review.searching");
  try {
    await loadCourtrooms();
    results = (await api(`/api/v1/hearings?${query}`)).items;
    renderResults();
    setText($("search-status"), "review.found", { n: results.length });
    $("token-field").hidden = true;
  } catch (error) {
    setText($("search-status"), error.status === 401 ? "review.badToken" : "review.failed",
      { reason: errorReason(error) });
    if (error.status === 401) $("token-field").hidden = false;
  }
}

function line(className, ...parts) {
  const p = document.createElement("p");
  p.className = className;
  p.append(...parts);
  return p;
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function renderResults() {
  $("results").replaceChildren(...results.map(resultItem));
}

function resultItem(hearing) {
  // A row names what a judge knows the hearing by: case number and title, then when, where,
  // who presides and the parties (from the search result itself: one request per search).
  const li = document.createElement("li");
  li.className = "panel result";
  const number = document.createElement("strong");
  number.className = "case-number";
  number.textContent = hearing.case_number;
  const badge = span("badge", "");
  setText(badge, `hearing.status.${hearing.status}`);
  li.append(line("", number, " ", span("case-title", hearing.case_title), " ", badge));
  const when = line("small muted when",
    span("", `${formatCourtDateTime(hearing.scheduled_start)} ${hearing.title}`), " · ",
    span("courtroom-name", hearing.courtroom_name));
  if (hearing.presiding_judge) {
    const judge = span("judge", "");
    setText(judge, "review.presiding", { name: hearing.presiding_judge });
    when.append(" · ", judge);
  }
  li.append(when);
  if (hearing.parties.length) {
    const parties = span("parties", "");
    setText(parties, "review.parties", { names: hearing.parties
      .map((p) => t("review.partyItem", { role: p.role, name: p.name }))
      .join(t("common.listSeparator")) });
    li.append(line("small", parties));
  }
  const row = line("row");
  if (!hearing.recordings.length) setText(row, "review.noRecording");
  for (const recording of hearing.recordings) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "open-recording";
    setText(button, "review.openRecording", { time: formatCourtDateTime(recording.started_at) });
    button.addEventListener("click", () => openRecording(recording.id, hearing.title));
    row.append(button);
  }
  li.append(row);
  return li;
}

let courtroomsLoaded = false;
async function loadCourtrooms() {
  if (courtroomsLoaded) return;
  const rooms = await api("/api/v1/courtrooms");
  for (const room of rooms) courtrooms.set(room.id, room);
  $("courtroom").append(...rooms.map((room) => new Option(room.name, room.id)));
  courtroomsLoaded = true;
}

// The display name of a camera of the recording on screen, in the current language.
function cameraName(camera) {
  return cameraLabel(camera, courtrooms.get(view.recording?.courtroom_id)?.camera_labels);
}

// -- playback ------------------------------------------------------------------------------

async function playlistBlob(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${storedToken()}` } });
  if (!response.ok) throw new Error(`playlist ${response.status}`);
  const base = new URL(path, location.href);
  const absolute = (uri) => new URL(uri, base).href;
  const text = (await response.text()).split("\n").map((line) => {
    if (line.startsWith("#EXT-X-MAP:")) return line.replace(/URI="([^"]+)"/, (_, uri) => `URI="${absolute(uri)}"`);
    return line && !line.startsWith("#") ? absolute(line.trim()) : line;
  }).join("\n");
  return URL.createObjectURL(new Blob([text], { type: "application/vnd.apple.mpegurl" }));
}

async function attach(video, path) {
  const url = await playlistBlob(path);
  const { default: Hls } = await import("/vendor/hls.js/hls.min.mjs");
  if (Hls.isSupported()) {
    const hls = new Hls({ enableWorker: true });
    hls.loadSource(url);
    hls.attachMedia(video);
    return hls;
  }
  video.src = url; // Safari: native HLS
  return null;
}

function teardown() {
  for (const cam of view.cams.values()) cam.hls?.destroy();
  view.cams.clear();
  $("videos").replaceChildren();
}

async function openRecording(recordingId, title) {
  teardown();
  const recording = (view.recording = await api(`/api/v1/recordings/${recordingId}`));
  const tracks = recording.tracks.filter((track) => track.first_segment_at);
  view.origin = Math.min(...tracks.map((track) => Date.parse(track.first_segment_at)));
  view.duration = Math.max(0, ...tracks.map((track) =>
    (Date.parse(track.last_segment_end || track.first_segment_at) - view.origin) / 1000));
  view.title = title;
  $("viewer").hidden = false;
  $("main-camera").replaceChildren(...tracks.map((track) => new Option(track.camera, track.camera)));
  for (const track of tracks) {
    const figure = document.createElement("figure");
    figure.className = "video-frame cam";
    figure.dataset.camera = track.camera;
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.preload = "auto";
    const label = document.createElement("figcaption");
    label.className = "video-label";
    figure.append(video, label);
    figure.addEventListener("click", () => setMain(track.camera));
    $("videos").append(figure);
    const offset = (Date.parse(track.first_segment_at) - view.origin) / 1000;
    view.cams.set(track.camera, { video, offset, hls: await attach(video, track.playlist) });
  }
  setMain(tracks[0]?.camera ?? null);
  $("scrub").max = view.duration.toFixed(1);
  renderViewer();
  const [markers, lines, confirmations] = await Promise.all([
    api(`/api/v1/recordings/${recordingId}/markers`),
    api(`/api/v1/recordings/${recordingId}/transcript`),
    api(`/api/v1/recordings/${recordingId}/confirmations`),
  ]);
  view.markers = markers;
  view.lines = lines;
  renderLogs();
  renderConfirmations($("confirmations"), confirmations);
  clips.reset();
  $("viewer").scrollIntoView({ block: "start" });
  $("play").focus();
}

// What the viewer shows in words: its title and times, camera names, markers and transcript.
function renderViewer() {
  if (!view.recording) return;
  $("viewer-title").textContent = `${view.title} · ${formatCourtDateTime(view.recording.started_at)}`;
  for (const option of $("main-camera").options) option.textContent = cameraName(option.value);
  for (const [name, cam] of view.cams) {
    cam.video.closest("figure").querySelector("figcaption").textContent = cameraName(name);
  }
  $("duration").textContent = formatCourtTime(view.origin + view.duration * 1000);
  showPosition(position());
  renderLogs();
}

function setMain(camera) {
  view.main = camera;
  $("main-camera").value = camera;
  for (const [name, cam] of view.cams) {
    cam.video.closest("figure").classList.toggle("main", name === camera);
    cam.video.muted = name !== camera; // the main camera's sound only
  }
  clips.update();
}

function mainCam() {
  return view.cams.get(view.main);
}

// Timeline seconds (from the origin) of the main camera's playhead.
function position() {
  const cam = mainCam();
  return cam ? cam.video.currentTime + cam.offset : 0;
}

export function seek(seconds) {
  const target = Math.max(0, Math.min(view.duration, seconds));
  for (const cam of view.cams.values()) cam.video.currentTime = Math.max(0, target - cam.offset);
  showPosition(target);
}

function playing() {
  const cam = mainCam();
  return cam && !cam.video.paused;
}

function togglePlay() {
  const play = !playing();
  for (const cam of view.cams.values()) {
    if (play) cam.video.play().catch(() => {});
    else cam.video.pause();
  }
  setText($("play"), play ? "review.pause" : "review.play");
}

function sync() {
  const cam = mainCam();
  if (cam) {
    const now = position();
    for (const other of view.cams.values()) {
      if (other === cam) continue;
      const want = now - other.offset;
      if (want >= 0 && Math.abs(other.video.currentTime - want) > DRIFT_S) other.video.currentTime = want;
      if (!cam.video.paused && other.video.paused && want >= 0) other.video.play().catch(() => {});
    }
    showPosition(now);
  }
}

function showPosition(seconds) {
  $("position").textContent = formatCourtTime(view.origin + seconds * 1000);
  if (document.activeElement !== $("scrub")) $("scrub").value = seconds.toFixed(1);
  const current = [...$("transcript").children].reverse()
    .find((li) => Number(li.dataset.offset) <= seconds + 0.05);
  for (const li of $("transcript").children) li.classList.toggle("current", li === current);
}

function offsetOf(at) {
  return (Date.parse(at) - view.origin) / 1000;
}

function logItem(at, label, text) {
  const li = document.createElement("li");
  li.dataset.offset = offsetOf(at).toFixed(3);
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.innerHTML = "<time></time> <strong></strong> <span></span>";
  button.querySelector("time").textContent = formatCourtTime(at);
  button.querySelector("strong").textContent = label;
  button.querySelector("span").textContent = text;
  button.addEventListener("click", () => seek(offsetOf(at)));
  li.append(button);
  return li;
}

function renderLogs() {
  $("markers").replaceChildren(...view.markers.map((m) => logItem(m.at, t(`marker.${m.kind}`), m.text)));
  $("transcript").replaceChildren(...view.lines.map((l) => logItem(l.at, l.speaker_role, l.text)));
  $("marker-ticks").replaceChildren(...view.markers.map((m) => {
    const tick = document.createElement("button");
    tick.type = "button";
    tick.className = `tick tick-${m.kind}`;
    tick.style.left = `${(100 * offsetOf(m.at)) / (view.duration || 1)}%`;
    tick.title = `${formatCourtTime(m.at)} ${t(`marker.${m.kind}`)} ${m.text}`;
    tick.setAttribute("aria-label", tick.title);
    tick.addEventListener("click", () => seek(offsetOf(m.at)));
    return tick;
  }));
}

function setLayout(grid) {
  $("videos").classList.toggle("switch-mode", !grid);
  $("mode-grid").setAttribute("aria-pressed", String(grid));
  $("mode-switch").setAttribute("aria-pressed", String(!grid));
}

// -- start -----------------------------------------------------------------------------------

installLanguageSwitch();
onLangChange(() => { renderResults(); renderViewer(); });
$("search").addEventListener("submit", search);
$("play").addEventListener("click", togglePlay);
$("scrub").addEventListener("input", () => seek(Number($("scrub").value)));
$("speed").addEventListener("change", () => {
  for (const cam of view.cams.values()) cam.video.playbackRate = Number($("speed").value);
});
$("main-camera").addEventListener("change", () => setMain($("main-camera").value));
$("mode-grid").addEventListener("click", () => setLayout(true));
$("mode-switch").addEventListener("click", () => setLayout(false));
const clips = installExport(() => ({
  recording: view.recording, camera: view.main, origin: view.origin, duration: view.duration,
  markers: view.markers, position,
}));
setInterval(sync, SYNC_MS);
window.courtcastReview = { seek, position, view }; // for tests and the console of a curious clerk
if (storedToken()) {
  $("token-field").hidden = true;
  loadCourtrooms().catch(() => { $("token-field").hidden = false; });
}
