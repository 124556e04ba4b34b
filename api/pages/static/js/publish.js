// /publish: a laptop, phone or tablet publishes its camera and microphone to one courtroom camera.
// A camera's link carries its token in the fragment (/publish#token=...), which no request sends;
// the page asks /api/v1/me which courtroom and camera the token is for, so publishing is one tap.
// Without a link a token is typed in, and an operator's or admin's token picks from its rooms.
import { api, errorReason } from "./api.js";
import { cameraLabel, installLanguageSwitch, onLangChange, setText, t } from "./i18n.js";
import { formatCourtTime } from "./time.js";
import { ScreenWakeLock } from "./wake-lock.js";
import { HttpError } from "./webrtc.js";
import { WhipPublisher } from "./whip-publisher.js";

const $ = (id) => document.getElementById(id);
const video = $("self-view");
const videoSelect = $("video-device");
const audioSelect = $("audio-device");
const courtroomSelect = $("courtroom");
const cameraSelect = $("camera");
const sourceSelect = $("source");
const PUBLISHING_ROLES = new Set(["admin", "operator", "camera"]);
const TOKEN_KEY = "courtcast.publishToken"; // sessionStorage: a reload of this tab keeps it

let token = null;
let me = null; // GET /api/v1/me for `token`
let identifying = Promise.resolve(null);
let stream = null;
let publisher = null;
let liveSince = null;
let cameraReady = null; // the first getUserMedia, started at load: resolves to a problem or null
let status = { state: "idle", key: "publish.state.idle", vars: {} };
const wakeLock = new ScreenWakeLock(showWake);

// --- what the page says -------------------------------------------------------------------

// A problem is { key, vars }: a message of the locale tables, said in the state box.
const problem = (key, vars = {}) => ({ key, vars });

function say(state, key, vars = {}) {
  status = { state, key, vars };
  renderStatus();
}

function renderStatus() {
  const box = $("state");
  box.className = `state state-${status.state}`;
  const text = $("state-text");
  delete text.dataset.i18n; // rendered here, with the chosen courtroom and camera, on each switch
  const chosen = target();
  text.textContent = t(status.key, {
    courtroom: chosen?.room.name ?? "",
    camera: chosen ? cameraLabel(chosen.camera, chosen.room.camera_labels) : "",
    ...status.vars,
  });
  const publishing = publisher !== null;
  $("start").hidden = publishing;
  $("stop").hidden = !publishing;
  for (const input of [courtroomSelect, cameraSelect, $("token")]) input.disabled = publishing;
}

function renderSince() {
  const since = $("since");
  since.hidden = !liveSince;
  if (liveSince) since.textContent = t("publish.since", { time: formatCourtTime(liveSince) });
}

function showWake(state) {
  const note = $("wake");
  note.hidden = state === "off";
  note.classList.toggle("wake-off", state === "unavailable");
  if (state !== "off") setText(note, state === "held" ? "publish.wake.held" : "publish.wake.unavailable");
}

// --- which courtroom and camera -----------------------------------------------------------

function target() {
  const room = me?.courtrooms.find((r) => r.id === courtroomSelect.value);
  return room && room.cameras.includes(cameraSelect.value) ? { room, camera: cameraSelect.value } : null;
}

function fillCameras() {
  const room = me?.courtrooms.find((r) => r.id === courtroomSelect.value);
  const current = cameraSelect.value;
  cameraSelect.replaceChildren(
    ...(room?.cameras ?? []).map((name) =>
      new Option(cameraLabel(name, room.camera_labels), name, false, name === current)),
  );
}

function renderTarget() {
  const chosen = target();
  $("target").hidden = !chosen;
  $("pick").hidden = !me || me.role === "camera";
  if (chosen) {
    $("target-courtroom").textContent = chosen.room.name;
    $("target-camera").textContent = cameraLabel(chosen.camera, chosen.room.camera_labels);
  }
  renderSource();
}

function showIdentity() {
  const current = courtroomSelect.value;
  const rooms = (me?.courtrooms ?? []).filter((room) => room.cameras.length > 0);
  courtroomSelect.replaceChildren(
    ...rooms.map((room) => new Option(room.name, room.id, false, room.id === current)),
  );
  fillCameras();
  renderTarget();
}

function tokenFromLink() {
  const secret = new URLSearchParams(location.hash.slice(1)).get("token");
  if (secret === null) return null;
  // Keep the secret out of the address bar, the history and any bookmark made from here.
  history.replaceState(null, "", location.pathname + location.search);
  return secret.trim() || null;
}

function remember(secret) {
  try {
    if (secret) sessionStorage.setItem(TOKEN_KEY, secret);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives as long as the page
  }
}

function rememberedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

// Asks the server what `secret` is for; resolves to a problem, or null once `me` is set.
async function identify(secret) {
  token = secret;
  me = null;
  try {
    me = await api("/api/v1/me", { token: secret });
  } catch (error) {
    showIdentity();
    if (error instanceof HttpError && error.status === 401) {
      remember(null);
      $("token-form").hidden = false;
      return problem("publish.error.401");
    }
    return error instanceof HttpError
      ? problem("publish.error.other", { reason: errorReason(error) }) : problem("publish.error.unreachable");
  }
  showIdentity();
  remember(secret);
  $("token-form").hidden = true;
  if (!PUBLISHING_ROLES.has(me.role)) return problem("publish.error.role");
  return target() ? null : problem("publish.error.nothing");
}

// --- camera and microphone ----------------------------------------------------------------

// getUserMedia's errors by name: each says what the person holding the device can do.
const DEVICE_PROBLEMS = {
  NotAllowedError: "publish.device.denied",
  SecurityError: "publish.device.denied",
  NotFoundError: "publish.device.missing",
  NotReadableError: "publish.device.busy",
  OverconstrainedError: "publish.device.constraints",
};

function deviceProblem(error) {
  const key = DEVICE_PROBLEMS[error?.name];
  return key ? problem(key) : problem("publish.device.other", { name: error?.name ?? String(error) });
}

function fillDeviceSelect(select, devices, currentId) {
  select.replaceChildren(
    ...devices.map((device, index) => {
      const option = new Option(device.label || t("device.unnamed", { n: index + 1 }), device.deviceId);
      option.selected = device.deviceId === currentId;
      return option;
    }),
  );
  select.disabled = devices.length === 0;
}

// Labels and ids are only readable once the user granted access, so this runs after getUserMedia.
async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  const current = (kind) => stream?.getTracks().find((track) => track.kind === kind)?.getSettings().deviceId;
  fillDeviceSelect(videoSelect, devices.filter((d) => d.kind === "videoinput"), current("video"));
  fillDeviceSelect(audioSelect, devices.filter((d) => d.kind === "audioinput"), current("audio"));
}

function constraints(kind) {
  const select = kind === "video" ? videoSelect : audioSelect;
  const deviceId = select.value ? { exact: select.value } : undefined;
  if (kind === "audio") return { deviceId, echoCancellation: true, noiseSuppression: true };
  return { deviceId, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
}

// Resolves to a problem, or null once the camera shows in the self view.
async function openCamera() {
  // Browsers offer cameras only to pages opened over HTTPS (or on this machine).
  if (!navigator.mediaDevices?.getUserMedia) return problem("publish.device.insecure");
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: constraints("video"), audio: constraints("audio") });
  } catch (error) {
    return deviceProblem(error);
  }
  video.srcObject = stream;
  await listDevices();
  return null;
}

async function switchDevice(kind) {
  if (!stream) return;
  let media;
  try {
    media = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind) });
  } catch (error) {
    const { key, vars } = deviceProblem(error);
    say("error", key, vars);
    return;
  }
  await useTrack(media.getTracks()[0]);
}

// The stream (and the publisher, live) carries `track` instead of the one of its kind.
async function useTrack(track) {
  for (const old of stream.getTracks().filter((each) => each.kind === track.kind)) {
    stream.removeTrack(old);
    old.stop();
  }
  stream.addTrack(track);
  video.srcObject = stream;
  await publisher?.replaceTrack(track);
}

// --- evidence sources: a shared screen or window, or a document camera ----------------------

function isEvidence() {
  const chosen = target();
  return Boolean(chosen?.room.evidence_sources?.includes(chosen.camera));
}

function renderSource() {
  $("source-field").hidden = !isEvidence();
  if (!isEvidence() && sourceSelect.value === "screen") switchSource("device");
}

async function switchSource(source) {
  sourceSelect.value = source;
  videoSelect.disabled = source === "screen";
  if (source === "device") return switchDevice("video");
  if (!navigator.mediaDevices?.getDisplayMedia) {
    say("error", "publish.screen.unsupported");
    return switchSource("device");
  }
  if (await cameraReady) cameraReady = openCamera(); // the microphone, when there is one
  if (!stream) stream = new MediaStream(); // a machine with no camera may still share its screen
  let media;
  try {
    media = await navigator.mediaDevices.getDisplayMedia({
      video: { frameRate: { ideal: 15 } }, audio: false,
    });
  } catch (error) {
    const { key, vars } = deviceProblem(error);
    say("error", key, vars);
    return switchSource("device");
  }
  const [track] = media.getVideoTracks();
  track.addEventListener("ended", () => { // sharing stopped from the browser's own bar
    if (sourceSelect.value === "screen") switchSource("device");
  });
  await useTrack(track);
}

// --- publishing ---------------------------------------------------------------------------

function whipUrl({ room, camera }) {
  return new URL(`/whip/${encodeURIComponent(room.id)}/${encodeURIComponent(camera)}`, location.origin).href;
}

// What a refusal that retrying cannot fix means here.
function refusal(code) {
  if (code === 403) return me?.role === "camera" ? "publish.error.403" : "publish.error.403.scope";
  return { 400: "publish.error.400", 401: "publish.error.401", 404: "publish.error.404" }[code]
    ?? "publish.error.other";
}

const RETRY_KEYS = {
  busy: "publish.retry.busy",
  unreachable: "publish.retry.unreachable",
  server: "publish.retry.server",
  dropped: "publish.state.reconnecting",
};

function publisherState(state, detail) {
  liveSince = state === "live" ? detail.since : null;
  if (state === "error" || state === "idle") {
    publisher = null;
    wakeLock.release();
  }
  if (state === "error") {
    if (detail.status === 401) {
      remember(null);
      $("token-form").hidden = false;
    }
    say("error", refusal(detail.status), { reason: errorReason(detail.error) });
  } else if (state === "reconnecting") {
    say("reconnecting", RETRY_KEYS[detail.cause] ?? RETRY_KEYS.dropped, detail);
  } else if (state === "idle") {
    say("preview", "publish.state.preview");
  } else {
    say(state === "retrying" ? "reconnecting" : state, `publish.state.${state}`, detail);
  }
  renderSince();
}

async function startPublishing() {
  await identifying;
  if (!token) {
    say("error", "publish.missing");
    $("token").focus();
    return;
  }
  // Ask again what failed before: the server may be back, the user may have allowed the camera.
  const who = me ? null : await (identifying = identify(token));
  if (who) return say("error", who.key, who.vars);
  if (!PUBLISHING_ROLES.has(me.role)) return say("error", "publish.error.role");
  const chosen = target();
  if (!chosen) return say("error", "publish.error.nothing");
  const sharing = sourceSelect.value === "screen" && stream?.getVideoTracks().length;
  if (!sharing && (await cameraReady)) cameraReady = openCamera();
  const camera = sharing ? null : await cameraReady;
  if (camera) return say("error", camera.key, camera.vars);
  publisher = new WhipPublisher({ url: whipUrl(chosen), token, stream, onState: publisherState });
  wakeLock.hold();
  await publisher.start();
}

async function stopPublishing() {
  await publisher?.stop();
}

// Switches to another token and says whether it can publish.
async function useToken(secret) {
  $("token-form").hidden = true;
  const who = await (identifying = identify(secret));
  if (who) say("error", who.key, who.vars);
  else if (stream) say("preview", "publish.state.preview");
}

function useTypedToken(event) {
  event.preventDefault();
  const secret = $("token").value.trim();
  if (secret) useToken(secret);
}

function useLinkToken() {
  const secret = tokenFromLink();
  if (secret && !publisher) useToken(secret);
}

async function load() {
  installLanguageSwitch();
  token = tokenFromLink() ?? rememberedToken();
  $("token-form").hidden = Boolean(token);
  cameraReady = openCamera();
  identifying = token ? identify(token) : Promise.resolve(null);
  const [camera, who] = await Promise.all([cameraReady, identifying]);
  if (publisher) return; // tapped before both answered: its own state is shown
  const first = who ?? camera;
  if (first) say("error", first.key, first.vars);
  else if (stream) say("preview", "publish.state.preview");
}

$("start").addEventListener("click", startPublishing);
$("stop").addEventListener("click", stopPublishing);
$("token-form").addEventListener("submit", useTypedToken);
window.addEventListener("hashchange", useLinkToken); // a new link opened in this same tab
courtroomSelect.addEventListener("change", () => { fillCameras(); renderTarget(); renderStatus(); });
cameraSelect.addEventListener("change", () => { renderTarget(); renderStatus(); });
videoSelect.addEventListener("change", () => switchDevice("video"));
sourceSelect.addEventListener("change", () => switchSource(sourceSelect.value));
audioSelect.addEventListener("change", () => switchDevice("audio"));
navigator.mediaDevices?.addEventListener("devicechange", listDevices);
onLangChange(() => {
  showIdentity();
  renderStatus();
  renderSince();
});
window.addEventListener("pagehide", () => publisher?.hangUpOnExit());
load();
