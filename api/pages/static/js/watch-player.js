// Plays one camera of a hearing: WHEP first (real time); HLS through hls.js only when WHEP
// fails and the live playlist answers. Reports "connecting", "live", "not-started" (WHEP 404 or
// no frames), "stopped" (the court turned the broadcast off), "code-needed" (a restricted
// hearing: 401), "bad-code" (the code was refused), "retrying", and "switching" (rejoining
// after the court changed the delay: the last picture stays until the new feed's first one).
// A restricted hearing is watched with the viewer ticket cookie the page got for its access
// code (watch.js): no code ever goes into a WHEP or playlist URL.
import { HttpError, deleteResource, negotiate } from "./webrtc.js";

const NO_FRAMES_MS = 4000;    // connected but silent this long: the camera is not sending
const RETRY_MS = 5000;        // how often a waiting viewer asks again
const DROP_GRACE_MS = 3000;
const DECODED_POLL_MS = 50;  // how often a rejoining player asks whether the new feed decodes
const STALL_MS = 250;         // a live picture this long without a new frame is reported
// Answers that mean "the court has stopped the broadcast" rather than "nothing here yet".
const STOPPED_STATUSES = new Set([403, 410, 423, 451]);
// A 403 for a refused access code or ticket says so in its detail (api/access_codes.py); any
// other 403 is the court's kill switch.
const isCodeRefusal = (error) => error.status === 403 && /access code/i.test(error.detail || "");
// Why a code was refused: the server's reason (api/access_codes.py) -> the page's state.
export const REFUSAL_HEADER = "X-Courtcast-Error";
const CODE_REFUSALS = {
  access_code_invalid: "bad-code",
  access_code_expired: "code-expired",
  access_code_in_use: "code-in-use",
};
export const codeRefusal = (reason) => CODE_REFUSALS[reason] || "bad-code";

export class WatchPlayer {
  constructor({ video, still, hearingId, onState, onDrop }) {
    this.video = video;
    this.still = still; // a canvas holding the last picture while the player rejoins
    this.hearingId = hearingId;
    this.onState = onState;
    this.onDrop = onDrop; // the server hung up or the network dropped: the page asks why at once
    this.generation = 0; // bumped on every (re)start so stale callbacks do nothing
    this.pc = null;
    this.resourceUrl = null;
    this.hls = null;
    this.timers = new Set();
    this.state = null;
  }

  setState(state, mode) {
    if (this.state === state && this.mode === mode) return;
    this.state = state;
    this.mode = mode;
    this.onState(state, mode);
  }

  later(generation, delay, action) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (generation === this.generation) action();
    }, delay);
    this.timers.add(timer);
  }

  // The court changed the delay: the server hung this viewer up. Join the new feed at once,
  // keeping the last picture (and saying so) until the new feed shows its first one, which
  // comes about `waitMs` (the new delay) later.
  rejoin(camera, waitMs) {
    return this.play(camera, { keepPicture: true, waitMs });
  }

  async play(camera, { keepPicture = false, waitMs = 0 } = {}) {
    if (keepPicture) this.freeze();
    else this.thaw();
    const generation = ++this.generation;
    await this.release();
    if (generation !== this.generation) return; // halted or moved on while hanging up
    this.camera = camera;
    this.setState(keepPicture ? "switching" : "connecting", "webrtc");
    try {
      await this.playWhep(generation, keepPicture, waitMs);
    } catch (error) {
      if (generation !== this.generation) return;
      await this.closePeer();
      if (await this.playHls(generation)) return;
      if (error instanceof HttpError && error.status === 401) {
        this.setState("code-needed", null);
        return; // nothing to retry until the viewer types a code
      }
      if (error instanceof HttpError && isCodeRefusal(error)) {
        this.setState(codeRefusal(error.reason), null);
        return;
      }
      if (error instanceof HttpError && STOPPED_STATUSES.has(error.status)) this.setState("stopped", null);
      else if (error instanceof HttpError && error.status === 404) this.setState("not-started", null);
      else this.setState("retrying", null);
      this.later(generation, RETRY_MS, () => this.play(camera));
    }
  }

  async playWhep(generation, keepPicture = false, waitMs = 0) {
    const pc = (this.pc = new RTCPeerConnection());
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.addEventListener("track", (event) => {
      stream.addTrack(event.track);
      if (!keepPicture) this.video.srcObject = stream;
      // Keeping the picture: the old one stays until the new video has decoded a frame.
      else if (event.track.kind === "video") this.showWhenDecoded(pc, event.receiver, stream);
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc !== this.pc) return;
      if (["failed", "disconnected", "closed"].includes(pc.connectionState)) {
        this.onDrop?.();
        this.later(generation, DROP_GRACE_MS, () => {
          if (pc.connectionState !== "connected") this.play(this.camera);
        });
      }
    });
    const url = `/whep/${encodeURIComponent(this.hearingId)}/${encodeURIComponent(this.camera)}`;
    this.resourceUrl = await negotiate(pc, url, null);
    this.watchFrames(generation, "webrtc", keepPicture ? waitMs : 0);
  }

  async showWhenDecoded(pc, receiver, stream) {
    while (pc === this.pc) {
      const stats = await receiver.getStats();
      for (const report of stats.values()) {
        if (report.type === "inbound-rtp" && report.framesDecoded > 0) {
          if (pc !== this.pc) return;
          this.video.srcObject = stream;
          this.video.requestVideoFrameCallback(() => this.thaw()); // the new picture is up
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, DECODED_POLL_MS));
    }
  }

  // Frames decoded is the truth: a connected peer may still carry nothing (camera off).
  // `waitMs`: a new delay's first picture comes this much later; until then no alarm.
  watchFrames(generation, mode, waitMs = 0) {
    const decodedFrames = () => this.video.getVideoPlaybackQuality?.().totalVideoFrames ?? 0;
    let frames = decodedFrames(); // the counter may carry the previous source's frames
    let lastChange = performance.now();
    let asked = false; // whether this stall was reported to the page already
    const check = () => {
      const now = performance.now();
      const decoded = decodedFrames();
      if (decoded < frames) frames = decoded; // a new source restarted the count
      if (decoded > frames) {
        frames = decoded;
        lastChange = now;
        asked = false;
        this.setState("live", mode);
      } else if (now - lastChange > NO_FRAMES_MS + waitMs) {
        this.setState("not-started", mode);
      } else if (frames > 0 && !asked && now - lastChange > STALL_MS) {
        asked = true; // the picture froze: the court may have cut it, ask now, not next poll
        this.onDrop?.();
      }
      this.later(generation, 250, check);
    };
    check();
  }

  async playHls(generation) {
    const camera = encodeURIComponent(this.camera);
    const url = `/live/${encodeURIComponent(this.hearingId)}/${camera}/playlist.m3u8`;
    try {
      const probe = await fetch(url, { cache: "no-store" });
      if (!probe.ok) return false;
    } catch {
      return false;
    }
    if (generation !== this.generation) return true;
    if (!(await this.attachHls(generation, url, true))) return false;
    this.watchFrames(generation, "hls");
    return true;
  }

  // A closed hearing's replay (an HLS playlist from its start): state "replay" while it plays.
  async replay(url) {
    this.thaw();
    const generation = ++this.generation;
    await this.release();
    if (generation !== this.generation) return;
    if (await this.attachHls(generation, url, false)) this.setState("replay", "hls");
  }

  async attachHls(generation, url, lowLatency) {
    this.video.srcObject = null;
    if (this.video.canPlayType("application/vnd.apple.mpegurl") && !window.MediaSource) {
      this.video.src = url; // Safari on iPhone plays HLS itself
    } else {
      const { default: Hls } = await import("/vendor/hls.js/hls.min.mjs");
      if (!Hls.isSupported()) return false;
      // LL-HLS parts; hls.js may only start on a segment's first (independent) part, up to a
      // segment behind its target: playing up to 1.5x catches up to PART-HOLD-BACK.
      this.hls = new Hls(lowLatency ? { lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5 } : {});
      this.hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal && generation === this.generation) {
          this.setState("retrying", null);
          this.later(generation, RETRY_MS, () => (lowLatency ? this.play(this.camera) : this.replay(url)));
        }
      });
      this.hls.loadSource(url);
      this.hls.attachMedia(this.video);
    }
    this.video.play().catch(() => {}); // muted autoplay is allowed; a refusal just waits for a tap
    return true;
  }

  // Hang up by DELETE before closing the peer: the server drops a closed peer at once, and a
  // DELETE sent after that answered 404 on every camera switch.
  async closePeer() {
    const pc = this.pc;
    const resourceUrl = this.resourceUrl;
    this.pc = null;
    this.resourceUrl = null;
    await deleteResource(resourceUrl, null);
    pc?.close();
  }

  // Hangs up what plays; the caller has bumped the generation so stale callbacks do nothing.
  async release() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.hls?.destroy();
    this.hls = null;
    await this.closePeer();
  }

  // The last picture, drawn over the video while its source changes.
  freeze() {
    const { videoWidth: width, videoHeight: height } = this.video;
    if (!width || !height) return;
    this.still.width = width;
    this.still.height = height;
    this.still.getContext("2d").drawImage(this.video, 0, 0, width, height);
    this.still.hidden = false;
  }

  thaw() {
    this.still.hidden = true;
  }

  // The court cut the broadcast: hang up and blank the picture at once.
  async halt(state) {
    this.thaw();
    const generation = ++this.generation;
    this.video.pause();
    this.video.srcObject = null;
    this.video.removeAttribute("src");
    await this.release();
    if (generation !== this.generation) return; // the court let it play again meanwhile
    this.state = null;
    this.setState(state, null);
  }

  hangUpOnExit() {
    deleteResource(this.resourceUrl, null, { keepalive: true });
  }
}
