// /publish: a laptop or phone publishes its camera and microphone to one courtroom camera.
// Query parameters courtroom, camera and token prefill the form, so an operator can send a link.
import { installLanguageSwitch, setText, t } from "./i18n.js";
import { formatCourtTime } from "./time.js";
import { WhipPublisher } from "./whip-publisher.js";

const $ = (id) => document.getElementById(id);
const fields = { courtroom: $("courtroom"), camera: $("camera"), token: $("token") };
const video = $("self-view");
const videoSelect = $("video-device");
const audioSelect = $("audio-device");

let stream = null;
let publisher = null;
let liveSince = null;
let cameraReady = null; // the first getUserMedia, started at load

function whipUrl() {
  const courtroom = encodeURIComponent(fields.courtroom.value.trim());
  const camera = encodeURIComponent(fields.camera.value.trim());
  return new URL(`/whip/${courtroom}/${camera}`, location.origin).href;
}

function showState(state, detail = {}) {
  const box = $("state");
  box.className = `state state-${state === "retrying" ? "reconnecting" : state}`;
  if (state === "error") {
    const key = detail.status ? `publish.error.${detail.status}` : "publish.error.other";
    const known = detail.status && t(key) !== key;
    setText($("state-text"), known ? key : "publish.error.other", { reason: detail.reason ?? "" });
  } else if (state === "permission") {
    box.className = "state state-error";
    setText($("state-text"), "publish.error.permission", { reason: detail.reason });
  } else {
    setText($("state-text"), `publish.state.${state}`, detail);
  }
  liveSince = state === "live" ? detail.since : null;
  renderSince();
  const publishing = publisher !== null && state !== "error" && state !== "idle";
  $("start").hidden = publishing;
  $("stop").hidden = !publishing;
  for (const input of Object.values(fields)) input.disabled = publishing;
}

function renderSince() {
  const since = $("since");
  since.hidden = !liveSince;
  if (liveSince) since.textContent = t("publish.since", { time: formatCourtTime(liveSince) });
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

async function openCamera() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: constraints("video"), audio: constraints("audio") });
  } catch (error) {
    showState("permission", { reason: error.message || error.name });
    return false;
  }
  video.srcObject = stream;
  await listDevices();
  if (!publisher) showState("preview");
  return true;
}

async function switchDevice(kind) {
  if (!stream) return;
  const media = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind) });
  const [track] = media.getTracks();
  for (const old of stream.getTracks().filter((t) => t.kind === kind)) {
    stream.removeTrack(old);
    old.stop();
  }
  stream.addTrack(track);
  video.srcObject = stream;
  await publisher?.replaceTrack(track);
}

async function startPublishing() {
  if (!$("settings").reportValidity()) {
    setText($("state-text"), "publish.missing");
    return;
  }
  // The camera opened at load (or failed to: the user may have allowed it since); ask again.
  if (!(await cameraReady)) {
    cameraReady = openCamera();
    if (!(await cameraReady)) return;
  }
  publisher = new WhipPublisher({
    url: whipUrl(),
    token: fields.token.value.trim(),
    stream,
    onState: showState,
  });
  await publisher.start();
}

async function stopPublishing() {
  const current = publisher;
  publisher = null;
  await current?.stop();
  showState("preview");
}

function prefill() {
  const params = new URLSearchParams(location.search);
  for (const [name, input] of Object.entries(fields)) {
    if (params.has(name)) input.value = params.get(name);
  }
  // The token came in a link: keep it out of the address bar and the browser history.
  if (params.has("token")) {
    params.delete("token");
    const query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? `?${query}` : ""));
  }
}

installLanguageSwitch();
prefill();
const showUrl = () => { $("whip-url").textContent = whipUrl(); };
for (const input of Object.values(fields)) input.addEventListener("input", showUrl);
showUrl();
$("start").addEventListener("click", startPublishing);
$("stop").addEventListener("click", stopPublishing);
videoSelect.addEventListener("change", () => switchDevice("video"));
audioSelect.addEventListener("change", () => switchDevice("audio"));
navigator.mediaDevices?.addEventListener("devicechange", listDevices);
document.addEventListener("langchange", renderSince);
window.addEventListener("pagehide", () => publisher?.hangUpOnExit());
cameraReady = openCamera();
