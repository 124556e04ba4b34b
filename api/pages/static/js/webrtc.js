// The HTTP half of WHIP (RFC 9725) and WHEP: one POST of a complete offer, DELETE to leave.
// Courtcast's aiortc peers take no trickled candidates, so the offer waits for ICE gathering.

export class HttpError extends Error {
  constructor(status, detail, reason = null) {
    super(`HTTP ${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
    this.reason = reason; // the server's machine-readable X-Courtcast-Error, when it gave one
  }
}

const GATHERING_TIMEOUT_MS = 2000;

// Resolves once gathering is complete, or after the timeout with what was gathered by then.
export function iceGatheringComplete(pc, timeoutMs = GATHERING_TIMEOUT_MS) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", onChange);
      resolve();
    };
    const onChange = () => { if (pc.iceGatheringState === "complete") done(); };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener("icegatheringstatechange", onChange);
  });
}

async function errorDetail(response) {
  const text = await response.text();
  try {
    const detail = JSON.parse(text).detail;
    return typeof detail === "string" ? detail : JSON.stringify(detail);
  } catch {
    return text || response.statusText;
  }
}

// Offers, POSTs and applies the answer; returns the absolute URL of the created resource.
export async function negotiate(pc, url, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringComplete(pc);
  const headers = { "Content-Type": "application/sdp" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: "POST", headers, body: pc.localDescription.sdp });
  if (response.status !== 201) {
    const reason = response.headers.get("X-Courtcast-Error");
    throw new HttpError(response.status, await errorDetail(response), reason);
  }
  const answer = await response.text();
  const location = response.headers.get("Location");
  await pc.setRemoteDescription({ type: "answer", sdp: answer });
  return location ? new URL(location, new URL(url, document.baseURI)).href : null;
}

// Best effort: the server also notices a silent peer by itself. `keepalive` lets the request
// outlive the page when it is sent from pagehide.
export async function deleteResource(resourceUrl, token, { keepalive = false } = {}) {
  if (!resourceUrl) return;
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  try {
    await fetch(resourceUrl, { method: "DELETE", headers, keepalive, signal: AbortSignal.timeout(3000) });
  } catch {
    // already gone, or the network is down: nothing more to do
  }
}

// H.264 first (packetization-mode 1, constrained baseline before the others): it remuxes into
// fMP4 and plays everywhere. The other codecs stay as fallbacks.
export function preferH264(transceiver) {
  const capabilities = RTCRtpSender.getCapabilities?.("video");
  if (!capabilities || !transceiver.setCodecPreferences) return;
  const rank = (codec) => {
    if (codec.mimeType.toLowerCase() !== "video/h264") return 3;
    const fmtp = codec.sdpFmtpLine || "";
    if (!fmtp.includes("packetization-mode=1")) return 2;
    return /profile-level-id=42e0/i.test(fmtp) ? 0 : 1;
  };
  const codecs = [...capabilities.codecs].sort((a, b) => rank(a) - rank(b));
  transceiver.setCodecPreferences(codecs);
}
