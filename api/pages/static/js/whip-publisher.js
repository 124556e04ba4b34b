// Publishes a MediaStream over WHIP and keeps it published: a connection that stays failed or
// disconnected for more than 3 s is torn down (DELETE) and offered again, with backoff.
// A camera another device is publishing (409) is tried again too: that device may stop, or be
// this one's own publication from before a network drop, which the server lets go when stale.
import { HttpError, deleteResource, negotiate, preferH264 } from "./webrtc.js";

const DROP_GRACE_MS = 3000;       // ICE often recovers from a short "disconnected" by itself
const CONNECT_TIMEOUT_MS = 15000; // an answer that never leads to "connected" counts as a drop
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
// The server will not accept the same offer whatever we wait: bad token, camera or offer.
const FATAL_STATUSES = new Set([400, 401, 403, 404]);

export class WhipPublisher {
  // onState(state, detail): state is "connecting" | "live" | "reconnecting" | "error" | "idle";
  // a "reconnecting" detail says why in `cause` (see retryCause).
  constructor({ url, token, stream, onState }) {
    this.url = url;
    this.token = token;
    this.stream = stream;
    this.onState = onState;
    this.pc = null;
    this.resourceUrl = null;
    this.running = false;
    this.attempt = 0;
    this.dropTimer = null;
    this.wake = null; // resolves the current backoff wait early (the network came back)
    this.onOnline = () => this.wake?.();
  }

  async start() {
    this.running = true;
    window.addEventListener("online", this.onOnline);
    await this.connectWithRetries();
  }

  async stop() {
    this.running = false;
    window.removeEventListener("online", this.onOnline);
    this.wake?.();
    await this.teardown();
    this.onState("idle", {});
  }

  // Sent from pagehide: the page may be gone before a normal fetch completes.
  hangUpOnExit() {
    if (this.running) deleteResource(this.resourceUrl, this.token, { keepalive: true });
  }

  // A device switch while publishing: the same sender carries the new track, no renegotiation.
  async replaceTrack(track) {
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === track.kind);
    if (sender) await sender.replaceTrack(track);
  }

  async connectWithRetries() {
    while (this.running) {
      try {
        this.onState(this.attempt === 0 ? "connecting" : "retrying", { attempt: this.attempt });
        await this.connect();
        return;
      } catch (error) {
        await this.teardown();
        if (!this.running) return;
        if (error instanceof HttpError && FATAL_STATUSES.has(error.status)) {
          this.running = false;
          this.onState("error", { status: error.status, error });
          return;
        }
        await this.backoff(retryCause(error));
      }
    }
  }

  async backoff(cause) {
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    const seconds = Math.round(delay / 1000);
    this.onState("reconnecting", { attempt: this.attempt, seconds, cause });
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => { clearTimeout(timer); resolve(); };
    });
    this.wake = null;
  }

  async connect() {
    const pc = (this.pc = new RTCPeerConnection());
    for (const track of this.stream.getTracks()) {
      const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [this.stream] });
      if (track.kind === "video") preferH264(transceiver);
    }
    pc.addEventListener("connectionstatechange", () => this.connectionChanged(pc));
    this.resourceUrl = await negotiate(pc, this.url, this.token);
    if (pc.connectionState !== "connected") this.armDropTimer(pc, CONNECT_TIMEOUT_MS);
  }

  connectionChanged(pc) {
    if (pc !== this.pc || !this.running) return;
    const state = pc.connectionState;
    if (state === "connected") {
      clearTimeout(this.dropTimer);
      this.dropTimer = null;
      this.attempt = 0;
      this.onState("live", { since: new Date() });
    } else if (state === "disconnected" || state === "failed") {
      this.armDropTimer(pc, DROP_GRACE_MS);
    }
  }

  armDropTimer(pc, delay) {
    if (this.dropTimer) return;
    this.dropTimer = setTimeout(async () => {
      this.dropTimer = null;
      if (pc !== this.pc || !this.running || pc.connectionState === "connected") return;
      await this.teardown();
      await this.backoff("dropped");
      await this.connectWithRetries();
    }, delay);
  }

  async teardown() {
    clearTimeout(this.dropTimer);
    this.dropTimer = null;
    const pc = this.pc;
    const resourceUrl = this.resourceUrl;
    this.pc = null;
    this.resourceUrl = null;
    pc?.close();
    await deleteResource(resourceUrl, this.token);
  }
}

// Why an offer failed, for the page to say: "busy" (409, another device publishes the camera),
// "server" (another refusal worth retrying, e.g. 503), "unreachable" (fetch found no server)
// or "dropped" (the connection itself failed).
function retryCause(error) {
  if (error instanceof HttpError) return error.status === 409 ? "busy" : "server";
  return error instanceof TypeError ? "unreachable" : "dropped";
}
