// /screen/{id}: the kiosk page of a viewing point (a screen in a cell block, the education hall
// or the visiting room). It runs full screen with sound and needs no one at the keyboard: it
// follows whatever hearing is in session in its courtroom, shows the running order and "next:
// case N" between hearings, and a notice when the hearing in session is not for this screen.
// After any interruption (network, server restart) it asks again every second and rejoins as
// soon as the server answers. Its token comes once in the link's fragment (never sent to the
// server in a URL) and is kept in localStorage: it lasts until the court revokes it.
import { cameraLabel, installLanguageSwitch, onLangChange, setText } from "./i18n.js";
import { takeToken } from "./kiosk-token.js";
import { caseWords, renderRunningOrder } from "./running-order.js";
import { formatCourtMinute, startCourtClock } from "./time.js";
import { deleteResource, negotiate } from "./webrtc.js";

const POLL_MS = 2000;
const RETRY_MS = 1000; // while the server does not answer
const $ = (id) => document.getElementById(id);
const screenId = decodeURIComponent(location.pathname.split("/").pop());
const storageKey = `courtcast.screen.${screenId}`;

const kiosk = {
  token: null,
  state: null, // the last answer of /api/v1/screens/{id}
  pc: null,
  resourceUrl: null,
  watching: null, // "hearing/camera" the video shows
  failure: null, // {key, vars} while the server cannot be asked
};

async function ask() {
  const response = await fetch(`/api/v1/screens/${encodeURIComponent(screenId)}`, {
    headers: { Authorization: `Bearer ${kiosk.token}` }, cache: "no-store",
  });
  if (response.status === 401 || response.status === 404) return { refused: true };
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return { state: await response.json() };
}

async function poll() {
  let delay = POLL_MS;
  try {
    const { refused, state } = await ask();
    if (refused) {
      kiosk.state = null;
      kiosk.failure = { key: "screen.refused" };
      hangUp();
    } else {
      kiosk.state = state;
      kiosk.failure = null;
      await follow(state);
    }
  } catch {
    kiosk.failure = { key: "screen.offline" };
    delay = RETRY_MS;
  }
  render();
  setTimeout(poll, delay);
}

// The camera shown: ?camera= if the courtroom has it, else the room's first camera.
function chosenCamera(hearing) {
  const wanted = new URLSearchParams(location.search).get("camera");
  return hearing.cameras.includes(wanted) ? wanted : hearing.cameras[0];
}

async function follow(state) {
  const hearing = state.hearing;
  const camera = hearing && !state.notice ? chosenCamera(hearing) : null;
  const target = camera ? `${hearing.id}/${camera}` : null;
  const broken = kiosk.pc && ["failed", "closed", "disconnected"].includes(kiosk.pc.connectionState);
  if (target === kiosk.watching && !broken) return;
  hangUp();
  if (target) await connect(hearing.id, camera, target);
}

async function connect(hearingId, camera, target) {
  const pc = (kiosk.pc = new RTCPeerConnection());
  kiosk.watching = target;
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.addEventListener("track", (event) => {
    stream.addTrack(event.track);
    const video = $("screen-video");
    if (video.srcObject !== stream) video.srcObject = stream;
    playWithSound(video);
  });
  const url = `/whep/${encodeURIComponent(hearingId)}/${encodeURIComponent(camera)}`;
  try {
    kiosk.resourceUrl = await negotiate(pc, url, kiosk.token);
  } catch {
    if (pc === kiosk.pc) hangUp(); // asked again at the next poll
  }
}

// A kiosk browser started with --autoplay-policy=no-user-gesture-required plays with sound;
// any other waits for one touch of the "sound on" button, playing muted meanwhile.
function playWithSound(video) {
  video.muted = false;
  video.play().then(() => { $("unmute").hidden = true; }).catch(() => {
    video.muted = true;
    video.play().catch(() => {});
    $("unmute").hidden = false;
  });
}

function hangUp() {
  const pc = kiosk.pc;
  kiosk.pc = null;
  kiosk.watching = null;
  if (pc) pc.close();
  deleteResource(kiosk.resourceUrl, kiosk.token);
  kiosk.resourceUrl = null;
  const video = $("screen-video");
  video.srcObject = null;
}

function render() {
  const state = kiosk.state;
  const showing = Boolean(kiosk.watching) && !kiosk.failure;
  $("screen-video").hidden = !showing;
  $("board").classList.toggle("over-video", showing);
  $("screen-name").textContent = state?.name ?? "";
  $("screen-room").textContent = state?.courtroom ?? "";
  const hearing = state?.hearing;
  $("screen-case").textContent = hearing && !state.notice
    ? `${hearing.case_number} ${hearing.case_title} · ${cameraLabel(chosenCamera(hearing), hearing.camera_labels)}`
    : "";
  renderBoard(state, showing);
  renderOrder(state?.sitting, showing);
}

function renderBoard(state, showing) {
  const title = $("board-title");
  const hint = $("board-hint");
  title.hidden = showing;
  hint.textContent = "";
  if (kiosk.failure) return setText(title, kiosk.failure.key);
  if (!kiosk.token) return setText(title, "screen.noToken");
  if (state?.notice === "not_for_this_screen") return setText(title, "screen.notForThisScreen");
  if (state?.notice === "broadcast_stopped") return setText(title, "screen.stopped");
  if (state?.hearing) return setText(title, "screen.connecting");
  const upcoming = state?.sitting?.upcoming;
  if (upcoming) {
    setText(title, "screen.next", { n: upcoming.number, case: caseWords(upcoming) });
    if (upcoming.estimated_start) {
      setText(hint, "screen.nextAt", { time: formatCourtMinute(upcoming.estimated_start) });
    }
    return;
  }
  setText(title, "screen.idle");
}

function renderOrder(sitting, showing) {
  const panel = $("order-panel");
  panel.hidden = !sitting || showing || Boolean(kiosk.failure);
  if (panel.hidden) return;
  $("order-title").textContent = sitting.title;
  renderRunningOrder($("order-list"), sitting);
}

installLanguageSwitch();
startCourtClock($("court-clock"));
onLangChange(render);
$("unmute").addEventListener("click", () => playWithSound($("screen-video")));
kiosk.token = takeToken(storageKey);
if (kiosk.token) poll();
else render();
