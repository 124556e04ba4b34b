// /console: the operator's desk for one courtroom (?courtroom=). The staff token is entered once
// and kept in sessionStorage. Feed health is polled every second; alarms come over the
// /api/v1/events websocket and beep, said in the page's language from their code. Every
// action has a button in tab order, most a shortcut too. The hearing's markers and transcript
// stay listed (oldest first) after its recording stops: they are the hearing's, loaded from
// every recording it has.
import { api, storeToken, storedToken } from "./api.js";
import { FeedTile } from "./console-feeds.js";
import { ProgramPanel } from "./console-program.js";
import { SittingPanel } from "./console-sitting.js";
import { FINAL_STATUSES } from "./hearing-status.js";
import { cameraLabel, hasText, installLanguageSwitch, setText, t } from "./i18n.js";
import { formatCourtDateTime, formatCourtTime, startCourtClock } from "./time.js";

const POLL_MS = 1000;
const SITTING_POLL_MS = 5000;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const desk = {
  token: storedToken(),
  courtroomId: params.get("courtroom"),
  hearingId: null,
  hearingChosen: false, // the operator picked a hearing: the server's suggestion no longer moves it
  hearing: null, // the chosen hearing as the feeds list it (status, visibility)
  rooms: [],
  feeds: null,
  tiles: new Map(),
  recordingId: null,
  offRecord: false,
  broadcast: null,
  audio: null,
  alarms: new Map(), // server alarms by kind/subject: {key, vars} or {text} (no known code)
  local: new Map(), // alarms the feeds answer carries (the server decides): {key, vars}
  muted: false,
  pendingMarker: null, // {kind, at} captured when a shortcut was pressed
  logsFor: null, // "hearing/recording" the listed markers and transcript were loaded for
  logsHearing: null, // the hearing the listed markers and transcript belong to
  logsGeneration: 0,
  markers: new Map(), // id -> marker, of every recording of the hearing
  lines: new Map(), // id -> transcript line
  sitting: null, // the SittingPanel, once the console is open
  program: null, // the ProgramPanel, once the console is open
};

function say(key, vars) {
  setText($("action-status"), key, vars);
}

async function act(key, action) {
  try {
    await action();
    say(key);
  } catch (error) {
    setText($("action-status"), "console.failed", { reason: error.detail || error.message });
  }
}

// -- login -------------------------------------------------------------------------------

async function loadCourtrooms(token) {
  const rooms = await api("/api/v1/courtrooms", { token });
  desk.rooms = rooms;
  const select = $("courtroom-select");
  select.replaceChildren(...rooms.map((room) => new Option(room.name, room.id)));
  for (const option of select.options) option.textContent = `${option.textContent} (${option.value})`;
  if (desk.courtroomId) select.value = desk.courtroomId;
  select.disabled = false;
  return rooms;
}

async function login(event) {
  event.preventDefault();
  const token = $("token").value.trim() || desk.token;
  $("login-error").hidden = true;
  try {
    if ($("courtroom-select").disabled) {
      await loadCourtrooms(token);
      storeToken(token);
      desk.token = token;
      if (!desk.courtroomId) {
        $("courtroom-select").focus();
        return;
      }
    }
    desk.courtroomId = $("courtroom-select").value;
    params.set("courtroom", desk.courtroomId);
    history.replaceState(null, "", `${location.pathname}?${params}`);
    open();
  } catch (error) {
    $("login-error").hidden = false;
    $("login-error").textContent = error.status === 401 ? t("console.badToken") : error.message;
  }
}

function open() {
  // The login click is the user gesture that lets audio (meters, beeps) start.
  desk.audio = desk.audio || new AudioContext();
  desk.audio.resume().catch(() => {});
  $("login").hidden = true;
  $("desk").hidden = false;
  poll();
  listenAlarms();
  setInterval(refreshBroadcast, 5000);
  // after "next case" the console follows the courtroom's new hearing in session
  desk.sitting = new SittingPanel({ courtroomId: desk.courtroomId, report: say, changed: () => {
    desk.hearingChosen = false;
    refreshFeeds();
  } });
  pollSitting();
  desk.program = new ProgramPanel({
    courtroomId: desk.courtroomId,
    room: () => desk.rooms.find((room) => room.id === desk.courtroomId),
    report: say,
  });
  desk.program.refresh().catch(() => {});
  $("hearing-select").focus();
}

// -- feeds -------------------------------------------------------------------------------

async function refreshFeeds() {
  try {
    const feeds = await api(`/api/v1/courtrooms/${encodeURIComponent(desk.courtroomId)}/feeds`);
    render(feeds);
  } catch (error) {
    setText($("backlog"), "console.failed", { reason: error.detail || error.message });
  }
}

async function poll() {
  await refreshFeeds();
  setTimeout(poll, POLL_MS);
}

async function pollSitting() {
  try {
    await Promise.all([desk.sitting.refresh(), desk.program?.refresh()]);
  } catch {
    // shown again on the next poll; the feeds report the connection's state
  }
  setTimeout(pollSitting, SITTING_POLL_MS);
}

// The courtroom's display names of its cameras (CourtroomOut.camera_labels), by camera name.
function cameraLabels() {
  return desk.rooms.find((room) => room.id === desk.courtroomId)?.camera_labels ?? {};
}

function label(camera) {
  return cameraLabel(camera, cameraLabels());
}

function readableSize(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}

function render(feeds) {
  const first = desk.feeds === null;
  desk.feeds = feeds;
  $("room-name").textContent = `· ${feeds.courtroom}`;
  renderHearings(feeds);
  desk.recordingId = feeds.recording_id;
  if (desk.logsFor !== `${desk.hearingId}/${desk.recordingId}`) loadLogs();
  for (const feed of feeds.feeds) {
    let tile = desk.tiles.get(feed.camera);
    if (!tile) {
      tile = new FeedTile({
        camera: feed.camera, label, hearingId: desk.hearingId, token: desk.token, audioContext: desk.audio,
      });
      desk.tiles.set(feed.camera, tile);
      $("feed-grid").append(tile.element);
    }
    tile.setHearing(desk.hearingId);
    tile.update(feed);
  }
  const recording = feeds.recording_id !== null;
  const recordState = $("record-state");
  recordState.className = `badge ${recording ? "badge-live" : ""}`;
  setText(recordState, recording ? "console.recording" : "console.notRecording", {
    since: recording ? formatCourtTime(feeds.recording_started_at) : "",
  });
  $("rec-start").disabled = recording || !desk.hearingId || FINAL_STATUSES.has(desk.hearing?.status);
  $("rec-stop").disabled = !recording;
  // In words an operator reads at a glance: nothing waiting, or how much of how much.
  if (feeds.spool_backlog_bytes === 0 && feeds.upload_backlog === 0) setText($("backlog"), "console.backlog.clear");
  else {
    setText($("backlog"), "console.backlog", {
      spool: readableSize(feeds.spool_backlog_bytes), max: readableSize(feeds.spool_max_bytes),
      segments: feeds.upload_backlog,
    });
  }
  deriveAlarms(feeds);
  if (first) refreshBroadcast();
}

function renderHearings(feeds) {
  const select = $("hearing-select");
  const items = [...feeds.hearings_today];
  if (feeds.hearing && !items.some((h) => h.id === feeds.hearing.id)) items.unshift(feeds.hearing);
  const signature = items.map((h) => `${h.id}:${h.status}`).join(",") + t("console.hearing");
  if (select.dataset.signature !== signature) {
    select.dataset.signature = signature;
    select.replaceChildren(...items.map((h) => new Option(
      `${formatCourtDateTime(h.scheduled_start)} ${h.case_number} ${h.case_title} · ${h.title}`, h.id)));
    if (!items.length) select.append(new Option(t("console.noHearing"), ""));
  }
  if (feeds.recording_id || !desk.hearingChosen) desk.hearingId = feeds.hearing?.id ?? null;
  if (desk.hearingId) select.value = desk.hearingId;
  const hearing = (desk.hearing = items.find((h) => h.id === desk.hearingId) ?? null);
  const status = $("hearing-status");
  status.className = `badge badge-${hearing?.status ?? "none"}`;
  if (hearing) setText(status, statusKey(hearing.status));
  $("codes").hidden = hearing?.visibility !== "restricted";
  $("recess").disabled = hearing?.status !== "in_session";
  $("resume").disabled = hearing?.status !== "recess";
  $("hearing-open").disabled = hearing?.status !== "scheduled";
  $("hearing-close").disabled = !OPEN.has(hearing?.status);
}

const OPEN = new Set(["in_session", "recess"]);

// A status another page may add before this one has words for it shows as closed.
function statusKey(status) {
  return hasText(`hearing.status.${status}`) ? `hearing.status.${status}` : "hearing.status.closed";
}

// -- alarms ------------------------------------------------------------------------------

// The token goes in the first message, never in the URL (URLs are logged).
function listenAlarms() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/v1/events`);
  socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "auth", token: desk.token })));
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    const alarm = message.alarm;
    // this room's alarms and the installation's (the spool), not another courtroom's
    if (!alarm || (alarm.courtroom_id && alarm.courtroom_id !== desk.courtroomId)) return;
    const key = `${alarm.kind}/${alarm.subject}`;
    if (message.type === "alarm.cleared") desk.alarms.delete(key);
    else desk.alarms.set(key, alarmWords(alarm));
    showAlarms();
  });
  // 1008: the token was refused, revoked or expired; asking again would not help.
  socket.addEventListener("close", (event) => { if (event.code !== 1008) setTimeout(listenAlarms, 3000); });
}

// A server alarm in the page's words: its code's text with its params (sizes readable), or its
// English message only when this page has no words for its code.
function alarmWords(alarm) {
  const key = `alarm.${alarm.code}`;
  if (!alarm.code || !hasText(key)) return { text: alarm.message };
  const vars = Object.fromEntries(Object.entries(alarm.params ?? {}).map(([name, value]) => [
    name, name.endsWith("_bytes") ? readableSize(value) : value,
  ]));
  return { key, vars };
}

function alarmText(words) {
  if (words.text !== undefined) return words.text;
  const vars = { ...words.vars };
  if (vars.camera !== undefined) vars.camera = label(vars.camera); // its name in this language
  return t(words.key, vars);
}

// The alarms the server raises from this room's feeds and the spool (FeedsOut.alarms).
function deriveAlarms(feeds) {
  const next = new Map(feeds.alarms.map((alarm) => [
    `${alarm.kind}/${alarm.camera ?? ""}`,
    { key: `console.alarm.${alarm.kind}`, vars: alarm.camera === null ? {} : { camera: alarm.camera } },
  ]));
  const changed = [...next.keys()].some((key) => !desk.local.has(key)) || next.size !== desk.local.size;
  desk.local = next;
  if (changed) showAlarms();
}

function showAlarms() {
  const messages = [...desk.alarms.values(), ...desk.local.values()].map(alarmText);
  const list = $("alarm-list");
  const before = list.childElementCount;
  list.replaceChildren(...messages.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  $("alarm-banner").hidden = messages.length === 0;
  if (messages.length > before) beep();
}

function beep() {
  if (desk.muted || !desk.audio) return;
  const now = desk.audio.currentTime;
  for (const offset of [0, 0.3]) {
    const oscillator = desk.audio.createOscillator();
    const gain = desk.audio.createGain();
    oscillator.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, now + offset);
    gain.gain.exponentialRampToValueAtTime(0.001, now + offset + 0.25);
    oscillator.connect(gain).connect(desk.audio.destination);
    oscillator.start(now + offset);
    oscillator.stop(now + offset + 0.25);
  }
}

// -- recording, recess, off-record --------------------------------------------------------

async function startRecording() {
  if (!desk.hearingId || desk.recordingId) return;
  await act("console.done.recStart", async () => {
    const recording = await api(`/api/v1/hearings/${desk.hearingId}/recordings`, { method: "POST" });
    desk.recordingId = recording.id;
    $("rec-start").disabled = true;
    $("rec-stop").disabled = false;
    loadLogs();
  });
}

async function stopRecording() {
  if (!desk.recordingId) return;
  if (!confirm(t("console.confirmStop"))) return;
  await act("console.done.recStop", () => api(`/api/v1/recordings/${desk.recordingId}/stop`, { method: "POST" }));
}

async function mark(kind, text = "", at = new Date()) {
  if (!desk.recordingId) throw new Error(t("console.needRecording"));
  const marker = await api(`/api/v1/recordings/${desk.recordingId}/markers`, {
    method: "POST", body: { at: at.toISOString(), kind, text },
  });
  desk.markers.set(marker.id, marker);
  showLogs();
}

async function setStatus(status, kind) {
  await act(`console.done.${kind}`, async () => {
    await api(`/api/v1/hearings/${desk.hearingId}`, { method: "PATCH", body: { status } });
    if (desk.recordingId) await mark(kind);
  });
  refreshFeeds();
}

// Opening makes the hearing the room's hearing in session: public pages go live with it.
async function openHearing() {
  if (desk.hearing?.status !== "scheduled") return;
  desk.hearingChosen = true; // the console stays on this hearing whatever the server suggests
  await act("console.done.open", () => api(`/api/v1/hearings/${desk.hearingId}`, {
    method: "PATCH", body: { status: "in_session" },
  }));
  refreshFeeds();
}

// Closing always stops a running recording (the server does, and keeps it); the dialog says so
// and asks whether the broadcast stops too.
function askToClose() {
  if (!OPEN.has(desk.hearing?.status)) return;
  const recording = desk.recordingId !== null;
  $("close-stop-recording").checked = true;
  $("close-stop-recording").disabled = true;
  $("close-stop-recording").closest("label").hidden = !recording;
  $("close-recording-note").hidden = !recording;
  $("close-stop-broadcast").checked = true;
  $("close-dialog").returnValue = "";
  $("close-dialog").showModal();
}

async function closeHearing() {
  if ($("close-dialog").returnValue !== "close") return;
  const hearingId = desk.hearingId;
  const stopBroadcast = $("close-stop-broadcast").checked;
  desk.hearingChosen = true; // its markers and transcript stay on screen
  await act("console.done.close", async () => {
    await api(`/api/v1/hearings/${hearingId}`, { method: "PATCH", body: { status: "closed" } });
    if (stopBroadcast) {
      desk.broadcast = await api(`/api/v1/hearings/${hearingId}/broadcast`, {
        method: "PUT", body: { on: false, delay_s: desk.broadcast?.delay_s ?? 0 },
      });
      showBroadcast();
    }
  });
  refreshFeeds();
}

async function toggleOffRecord(event) {
  event?.preventDefault();
  const reason = $("offrecord-reason").value.trim();
  if (!desk.offRecord && !reason) {
    say("console.offRecord.needReason");
    $("offrecord-reason").focus();
    return;
  }
  await act(desk.offRecord ? "console.done.offEnd" : "console.done.offStart", async () => {
    await mark(desk.offRecord ? "off_record_end" : "off_record_start", desk.offRecord ? "" : reason);
    $("offrecord-reason").value = "";
  });
}

function showOffRecord() {
  $("offrecord-state").hidden = !desk.offRecord;
  setText($("offrecord-label"), desk.offRecord ? "console.offRecord.end" : "console.offRecord.start");
}

// -- markers and transcript ---------------------------------------------------------------

// Every recording of the hearing (found through its case), each one's markers and lines. What
// is listed is kept and added to (a marker posted while this loads stays); another hearing's
// lists are emptied at once.
async function loadLogs() {
  const { hearingId, recordingId } = desk;
  desk.logsFor = `${hearingId}/${recordingId}`;
  const generation = ++desk.logsGeneration;
  if (desk.logsHearing !== hearingId) {
    desk.logsHearing = hearingId;
    desk.markers.clear();
    desk.lines.clear();
    showLogs();
  }
  const recordings = new Set(recordingId ? [recordingId] : []);
  try {
    if (hearingId) {
      const hearing = await api(`/api/v1/hearings/${encodeURIComponent(hearingId)}`);
      const page = await api(`/api/v1/recordings?case_id=${encodeURIComponent(hearing.case_id)}&limit=200`);
      for (const item of page.items) if (item.hearing_id === hearingId) recordings.add(item.id);
    }
    const logs = await Promise.all([...recordings].map((id) => Promise.all([
      api(`/api/v1/recordings/${id}/markers`), api(`/api/v1/recordings/${id}/transcript`),
    ])));
    if (desk.logsHearing !== hearingId) return; // another hearing was chosen meanwhile
    for (const [markers, lines] of logs) {
      for (const marker of markers) desk.markers.set(marker.id, marker);
      for (const line of lines) desk.lines.set(line.id, line);
    }
  } catch (error) {
    if (generation !== desk.logsGeneration) return;
    desk.logsFor = null; // asked again on the next poll
    setText($("action-status"), "console.failed", { reason: error.detail || error.message });
    return;
  }
  showLogs();
}

const byTime = (a, b) => Date.parse(a.at) - Date.parse(b.at) || a.created_at.localeCompare(b.created_at);

function logItem(at, strong, text) {
  const li = document.createElement("li");
  li.innerHTML = `<time></time> <strong></strong> <span></span>`;
  li.querySelector("time").textContent = formatCourtTime(at);
  strong(li.querySelector("strong"));
  li.querySelector("span").textContent = text;
  return li;
}

// Both lists oldest first, the newest at the bottom and scrolled into view.
function showLogs() {
  const markers = [...desk.markers.values()].sort(byTime);
  $("marker-list").replaceChildren(...markers.map((marker) => logItem(
    marker.at, (strong) => setText(strong, `marker.${marker.kind}`), marker.text)));
  const lines = [...desk.lines.values()].sort(byTime);
  $("transcript-list").replaceChildren(...lines.map((line) => {
    const item = logItem(line.at, (strong) => { strong.textContent = line.speaker_role; }, line.text);
    item.classList.toggle("staff-only", line.staff_only); // never on the room's display
    return item;
  }));
  for (const list of [$("marker-list"), $("transcript-list")]) list.scrollTop = list.scrollHeight;
  // Off the record is a state of the running recording: its own markers decide.
  desk.offRecord = false;
  for (const marker of markers) {
    if (marker.recording_id !== desk.recordingId) continue;
    if (marker.kind === "off_record_start") desk.offRecord = true;
    if (marker.kind === "off_record_end") desk.offRecord = false;
  }
  showOffRecord();
}

// A shortcut stamps the marker's time at the key press; the text can follow.
function beginMarker(kind) {
  desk.pendingMarker = { kind, at: new Date() };
  $("marker-kind").value = kind;
  $("marker-text").focus();
  setText($("action-status"), "console.marker.pending", { time: formatCourtTime(desk.pendingMarker.at) });
}

async function submitMarker(event) {
  event.preventDefault();
  const pending = desk.pendingMarker;
  const kind = $("marker-kind").value;
  const at = pending && pending.kind === kind ? pending.at : new Date();
  desk.pendingMarker = null;
  await act("console.done.marker", async () => {
    await mark(kind, $("marker-text").value.trim(), at);
    $("marker-text").value = "";
  });
}

async function submitLine(event) {
  event.preventDefault();
  const text = $("line").value.trim();
  const speaker = $("speaker").value.trim();
  if (!text || !speaker) return;
  const at = new Date(); // the clerk's wall clock when the line is entered
  await act("console.done.line", async () => {
    if (!desk.recordingId) throw new Error(t("console.needRecording"));
    const line = await api(`/api/v1/recordings/${desk.recordingId}/transcript`, {
      method: "POST",
      body: { at: at.toISOString(), speaker_role: speaker, text, staff_only: $("staff-only").checked },
    });
    desk.lines.set(line.id, line);
    showLogs();
    $("line").value = "";
  });
}

// -- broadcast ----------------------------------------------------------------------------

async function refreshBroadcast() {
  if (!desk.hearingId) return;
  try {
    desk.broadcast = await api(`/api/v1/hearings/${desk.hearingId}/broadcast`);
    showBroadcast();
    if (!$("codes").hidden) loadCodes();
  } catch {
    // shown on the next poll
  }
}

function showBroadcast() {
  const state = desk.broadcast;
  const button = $("broadcast-toggle");
  button.className = state.on ? "danger" : "primary";
  setText(button, state.on ? "console.kill" : "console.broadcastOn");
  button.setAttribute("aria-pressed", String(!state.on));
  if (document.activeElement !== $("delay")) $("delay").value = state.delay_s;
  const counts = Object.entries(state.viewers).map(([camera, n]) => `${label(camera)} ${n}`).join(" · ");
  setText($("viewers"), state.on ? "console.viewers" : "console.broadcastOff", {
    counts: counts || "0", delay: state.delay_s,
  });
}

async function putBroadcast(on) {
  const delay = Math.max(0, Math.min(60, Number($("delay").value) || 0));
  await act(on ? "console.done.broadcastOn" : "console.done.kill", async () => {
    desk.broadcast = await api(`/api/v1/hearings/${desk.hearingId}/broadcast`, {
      method: "PUT", body: { on, delay_s: delay },
    });
    showBroadcast();
  });
}

async function loadCodes() {
  const codes = await api(`/api/v1/hearings/${desk.hearingId}/access-codes`);
  $("code-list").replaceChildren(...codes.filter((c) => !c.revoked_at).map((code) => {
    const li = document.createElement("li");
    li.textContent = t("console.code.item", { label: code.label, watching: code.watching, max: code.max_viewers });
    const revoke = document.createElement("button");
    revoke.type = "button";
    revoke.className = "small-button";
    setText(revoke, "console.code.revoke");
    revoke.addEventListener("click", () => act("console.done.revoke", async () => {
      await api(`/api/v1/hearings/${desk.hearingId}/access-codes/${code.id}`, { method: "DELETE" });
      await loadCodes();
    }));
    li.append(" ", revoke);
    return li;
  }));
}

async function createCode(event) {
  event.preventDefault();
  await act("console.done.code", async () => {
    const code = await api(`/api/v1/hearings/${desk.hearingId}/access-codes`, {
      method: "POST", body: { label: $("code-label").value.trim(), max_viewers: Number($("code-max").value) || 1 },
    });
    $("new-code").hidden = false;
    setText($("new-code"), "console.code.new", { code: code.code, label: code.label });
    $("code-label").value = "";
    await loadCodes();
  });
}

// -- keyboard ------------------------------------------------------------------------------

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);

function onKey(event) {
  if ($("desk").hidden) return;
  const key = event.key.toLowerCase();
  if (event.altKey && !event.ctrlKey && !event.metaKey) {
    const action = {
      r: startRecording, x: stopRecording,
      p: () => setStatus("recess", "recess"), o: () => setStatus("in_session", "resume"),
      f: toggleOffRecord, k: () => putBroadcast(!desk.broadcast?.on), n: () => desk.sitting?.next(),
    }[event.code.startsWith("Key") ? event.code.slice(3).toLowerCase() : ""]; // Alt changes event.key
    if (action) {
      event.preventDefault();
      action();
    }
    return;
  }
  if (event.key === "Escape" && TYPING.has(document.activeElement?.tagName)) {
    document.activeElement.blur();
    return;
  }
  if (event.ctrlKey || event.metaKey || TYPING.has(document.activeElement?.tagName)) return;
  const kinds = { m: "note", w: "witness_sworn", e: "exhibit_shown" };
  if (kinds[key]) {
    event.preventDefault();
    beginMarker(kinds[key]);
  } else if (key === "t") {
    event.preventDefault();
    $("line").focus();
  }
}

// -- start -----------------------------------------------------------------------------------

installLanguageSwitch();
startCourtClock($("court-clock"));
$("login").addEventListener("submit", login);
$("hearing-select").addEventListener("change", () => {
  desk.hearingChosen = true;
  desk.hearingId = $("hearing-select").value || null;
  refreshBroadcast();
});
$("rec-start").addEventListener("click", startRecording);
$("rec-stop").addEventListener("click", stopRecording);
$("recess").addEventListener("click", () => setStatus("recess", "recess"));
$("resume").addEventListener("click", () => setStatus("in_session", "resume"));
$("hearing-open").addEventListener("click", openHearing);
$("hearing-close").addEventListener("click", askToClose);
$("close-dialog").addEventListener("close", closeHearing);
$("offrecord-form").addEventListener("submit", toggleOffRecord);
$("marker-form").addEventListener("submit", submitMarker);
$("transcript-form").addEventListener("submit", submitLine);
$("broadcast-toggle").addEventListener("click", () => putBroadcast(!desk.broadcast?.on));
$("delay-apply").addEventListener("click", () => putBroadcast(desk.broadcast?.on ?? true));
$("code-form").addEventListener("submit", createCode);
$("alarm-mute").addEventListener("click", () => { desk.muted = !desk.muted; setText($("alarm-mute"), desk.muted ? "console.alarm.unmute" : "console.alarm.mute"); });
document.addEventListener("keydown", onKey);
// Text built from several pieces (camera names, alarms, viewer counts) is rebuilt on a switch.
document.addEventListener("langchange", () => {
  for (const tile of desk.tiles.values()) tile.retranslate();
  showAlarms();
  if (desk.broadcast) showBroadcast();
});

$("login").hidden = false;
if (desk.token) {
  $("token").placeholder = t("console.tokenKept");
  $("token").required = false;
  loadCourtrooms(desk.token).catch(() => storeToken(null));
}
$("token").focus();
