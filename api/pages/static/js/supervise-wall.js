// The supervisors' live wall: each courtroom the token may use, its hearing in session (never a
// sealed one the token is not assigned to: the server leaves it out) and each camera's health,
// live over WHEP, muted: the room's program feed (what the public sees) while the court runs
// one, nothing on its slate, else the first camera. Asked again every few seconds.
import { api, storedToken } from "./api.js";
import { el } from "./desk-common.js";
import { cameraLabel, setText } from "./i18n.js";
import { deleteResource, negotiate } from "./webrtc.js";

const HEALTH_MS = 5000;
const tiles = new Map(); // courtroom id -> { tile, video, pc, resource, watching }

function tileOf(room) {
  let entry = tiles.get(room.id);
  if (entry) return entry;
  const video = el("video", { muted: true, autoplay: true, playsInline: true, className: "wall-video" });
  const tile = el("article", { className: "wall-tile", dataset: { courtroom: room.id } },
    el("h3", {}, room.name), video, el("p", { className: "wall-program small" }),
    el("p", { className: "wall-hearing small" }), el("ul", { className: "wall-feeds small" }));
  document.getElementById("wall").append(tile);
  entry = { tile, video, pc: null, resource: null, watching: null };
  tiles.set(room.id, entry);
  return entry;
}

async function watch(entry, hearingId, camera) {
  const target = hearingId && camera ? `${hearingId}/${camera}` : null;
  if (target === entry.watching) return;
  entry.pc?.close();
  deleteResource(entry.resource, storedToken());
  Object.assign(entry, { pc: null, resource: null, watching: target });
  entry.tile.dataset.playing = target ? camera : ""; // what the tile plays, for those who ask
  entry.video.srcObject = null;
  if (!target) return;
  const pc = (entry.pc = new RTCPeerConnection());
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addEventListener("track", (event) => {
    entry.video.srcObject = new MediaStream([event.track]);
    entry.video.play().catch(() => {});
  });
  try {
    entry.resource = await negotiate(pc, `/whep/${encodeURIComponent(hearingId)}/${encodeURIComponent(camera)}`, storedToken());
  } catch {
    entry.watching = null; // asked again with the next health round
  }
}

// What the wall plays: the program while there is one (null on its slate), else the first camera.
function shown(entry, room, program) {
  const line = entry.tile.querySelector(".wall-program");
  if (!program) {
    line.textContent = "";
    return room.cameras[0];
  }
  if (program.on_air) {
    setText(line, "supervise.program.onAir", { camera: cameraLabel(program.on_air, room.camera_labels) });
    return "program";
  }
  setText(line, program.slate === "off_record" ? "supervise.program.offRecord" : "supervise.program.recess");
  return null;
}

function renderHealth(entry, room, feeds, program) {
  const hearing = feeds.hearing;
  const line = entry.tile.querySelector(".wall-hearing");
  if (hearing) line.textContent = `${hearing.case_number} ${hearing.case_title}`;
  else setText(line, "supervise.noHearing");
  entry.tile.querySelector(".wall-feeds").replaceChildren(...feeds.feeds.map((feed) => {
    const item = el("li", { className: feed.publishing ? "feed-ok" : "feed-down" });
    setText(item, feed.publishing ? "supervise.feed.live" : "supervise.feed.down", {
      camera: cameraLabel(feed.camera, room.camera_labels), fps: Math.round(feed.fps),
      kbps: Math.round(feed.bitrate_bps / 1000),
    });
    return item;
  }));
  return watch(entry, hearing?.id ?? null, shown(entry, room, program));
}

export async function refreshWall() {
  const rooms = await api("/api/v1/courtrooms");
  await Promise.all(rooms.map(async (room) => {
    const entry = tileOf(room);
    try {
      const base = `/api/v1/courtrooms/${encodeURIComponent(room.id)}`;
      const [feeds, program] = await Promise.all([api(`${base}/feeds`), api(`${base}/program`)]);
      await renderHealth(entry, room, feeds, program);
    } catch {
      setText(entry.tile.querySelector(".wall-hearing"), "supervise.unreachable");
    }
  }));
}

export function startWall() {
  const round = () => refreshWall().catch(() => {}).finally(() => setTimeout(round, HEALTH_MS));
  round();
}
