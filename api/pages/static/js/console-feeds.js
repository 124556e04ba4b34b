// One camera tile of the operator console: a WHEP preview with the staff token (real time, not
// the public broadcast), an audio level meter fed by WebAudio, and the feed's health figures.
// The camera shows by its display name in the page's language (`label(camera)`).
import { setText, t } from "./i18n.js";
import { deleteResource, negotiate } from "./webrtc.js";

export class FeedTile {
  constructor({ camera, label, hearingId, token, audioContext }) {
    this.camera = camera;
    this.label = label;
    this.hearingId = hearingId;
    this.token = token;
    this.audioContext = audioContext;
    this.pc = null;
    this.resourceUrl = null;
    this.level = 0;
    this.element = this.build();
  }

  build() {
    const tile = document.createElement("article");
    tile.className = "feed-tile panel";
    tile.dataset.camera = this.camera;
    tile.innerHTML = `
      <div class="video-frame"><video playsinline autoplay muted></video>
        <span class="video-label"></span>
        <span class="feed-state badge"></span></div>
      <div class="meter-row"><span class="small" data-i18n="console.audio">${t("console.audio")}</span>
        <meter min="0" max="1" low="0.6" high="0.85" optimum="0.3" value="0"></meter></div>
      <p class="health small"></p>`;
    this.video = tile.querySelector("video");
    this.meter = tile.querySelector("meter");
    this.health = tile.querySelector(".health");
    this.badge = tile.querySelector(".feed-state");
    this.name = tile.querySelector(".video-label");
    this.feed = null; // the last health figures, said again after a language switch
    this.retranslate();
    return tile;
  }

  retranslate() {
    const name = this.label(this.camera);
    this.name.textContent = name;
    this.meter.setAttribute("aria-label", `${name} ${t("console.audio")}`);
    if (this.feed) this.showHealth(this.feed);
  }

  async connect() {
    if (this.pc || !this.hearingId) return;
    const pc = (this.pc = new RTCPeerConnection());
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.addEventListener("track", (event) => {
      stream.addTrack(event.track);
      this.video.srcObject = stream;
      if (event.track.kind === "audio") this.meterOn(event.track);
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc === this.pc && ["failed", "closed"].includes(pc.connectionState)) this.disconnect();
    });
    const url = `/whep/${encodeURIComponent(this.hearingId)}/${encodeURIComponent(this.camera)}`;
    try {
      this.resourceUrl = await negotiate(pc, url, this.token);
    } catch {
      if (pc === this.pc) this.disconnect();
    }
  }

  meterOn(track) {
    const context = this.audioContext;
    if (!context) return;
    const source = context.createMediaStreamSource(new MediaStream([track]));
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const pc = this.pc;
    const draw = () => {
      if (pc !== this.pc) return;
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const value of samples) sum += value * value;
      const rms = Math.sqrt(sum / samples.length);
      // dBFS from -60 to 0 onto 0..1: speech sits in the middle of the bar.
      this.level = Math.max(0, Math.min(1, (20 * Math.log10(rms || 1e-6) + 60) / 60));
      this.meter.value = this.level;
      requestAnimationFrame(draw);
    };
    draw();
  }

  disconnect() {
    const pc = this.pc;
    this.pc = null;
    // Hang up by DELETE before closing the peer: a closed peer is dropped by the server at
    // once, and the DELETE that followed answered 404 on every switch.
    deleteResource(this.resourceUrl, this.token).finally(() => pc?.close());
    this.resourceUrl = null;
    this.video.srcObject = null;
    this.meter.value = 0;
  }

  setHearing(hearingId) {
    if (hearingId === this.hearingId) return;
    this.disconnect();
    this.hearingId = hearingId;
  }

  // `feed` is one entry of GET /api/v1/courtrooms/{id}/feeds.
  update(feed) {
    this.feed = feed;
    this.showHealth(feed);
    if (feed.publishing) this.connect();
    else if (this.pc) this.disconnect();
  }

  // The server says what is worth a word (court/monitoring/feed_health.py): `feed.notes`.
  showHealth(feed) {
    this.badge.className = `feed-state badge badge-feed-${feed.connection}`; // not the red "live"
    setText(this.badge, `console.conn.${feed.connection}`);
    const parts = [
      t("console.health.fps", { fps: feed.fps }),
      t("console.health.kbps", { kbps: Math.round(feed.bitrate_bps / 1000) }),
      ...feed.notes.map((note) => t(`console.health.${note.kind}`, { s: note.s })),
    ];
    this.health.textContent = feed.publishing ? parts.join(" · ") : t("console.health.offline");
  }

  decodedFrames() {
    return this.video.getVideoPlaybackQuality?.().totalVideoFrames ?? 0;
  }
}
