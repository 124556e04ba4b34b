// /supervise: the supervisors' desk (日监控、月通报、季分析), read-only. The live wall of every
// courtroom the token may use, the figures of the period by courtroom, presiding judge, case
// type or court (a chart, a table, CSV and JSON downloads), and the archive access log of the
// hearings the token oversees. A sealed hearing shows only to a token assigned to it.
import { api, authHeaders, errorReason, storeToken, storedToken } from "./api.js";
import { el } from "./desk-common.js";
import { installLanguageSwitch, setText } from "./i18n.js";
import { startWall } from "./supervise-wall.js";
import { courtDateString, courtDayBound, formatCourtDateTime } from "./time.js";

const $ = (id) => document.getElementById(id);
const DAY_MS = 24 * 3600 * 1000;
let wallStarted = false;

function period() {
  return { from: courtDayBound($("date-from").value, false), to: courtDayBound($("date-to").value, true) };
}

const percent = (share) => `${Math.round(share * 100)}%`;

function renderFigures(rows) {
  $("figures").replaceChildren(...rows.map((row) => el("tr", {},
    el("td", {}, row.group || "—"), el("td", {}, String(row.hearings_held)),
    el("td", {}, percent(row.share_recorded)), el("td", {}, percent(row.share_livestreamed)),
    el("td", {}, `${row.gaps} / ${row.gap_minutes}′`),
    el("td", { title: Object.entries(row.off_record_reasons).map(([r, m]) => `${r}: ${m}′`).join("; ") },
      String(row.off_record_minutes)),
    el("td", {}, `${row.peak_viewers} / ${row.total_viewers}`))));
  const most = Math.max(1, ...rows.map((row) => row.hearings_held));
  $("chart").replaceChildren(...rows.map((row) => el("div", { className: "chart-row" },
    el("span", { className: "chart-label" }, row.group || "—"),
    el("span", { className: "chart-bar", style: `width: ${(60 * row.hearings_held) / most}%` }),
    el("span", { className: "chart-value" },
      `${row.hearings_held} · ${percent(row.share_recorded)} · ${percent(row.share_livestreamed)}`))));
}

function renderAccess(entries) {
  $("access").replaceChildren(...entries.map((entry) => {
    const kind = el("td", {});
    setText(kind, `supervise.kind.${entry.kind}`);
    return el("tr", {}, el("td", {}, formatCourtDateTime(entry.at)), el("td", {}, entry.actor), kind,
      el("td", {}, entry.case_number), el("td", {}, entry.courtroom), el("td", {}, entry.source));
  }));
}

async function show(event) {
  event?.preventDefault();
  const typed = $("token").value.trim();
  if (typed) storeToken(typed);
  const query = new URLSearchParams({ ...period(), by: $("by").value });
  setText($("supervise-status"), "supervise.loading");
  try {
    const [figures, access] = await Promise.all([
      api(`/api/v1/oversight/supervision?${query}`),
      api(`/api/v1/oversight/access-log?${new URLSearchParams(period())}`),
    ]);
    renderFigures(figures);
    renderAccess(access);
    setText($("supervise-status"), "supervise.shown", { n: figures.length });
    $("token-field").hidden = true;
    if (!wallStarted) {
      wallStarted = true;
      startWall();
    }
  } catch (error) {
    setText($("supervise-status"), "supervise.failed", { reason: errorReason(error) });
    if (error.status === 401) $("token-field").hidden = false;
  }
}

// Downloads need the token, so the file is fetched and handed over as a blob.
async function download(format) {
  const query = new URLSearchParams({ ...period(), by: $("by").value, format });
  const response = await fetch(`/api/v1/oversight/supervision?${query}`, { headers: authHeaders(), cache: "no-store" });
  if (!response.ok) return setText($("supervise-status"), "supervise.failed", { reason: response.statusText });
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `supervision-${$("by").value}.${format}` });
  link.click();
  URL.revokeObjectURL(link.href);
}

installLanguageSwitch();
$("date-to").value = courtDateString();
$("date-from").value = courtDateString(new Date(Date.now() - 30 * DAY_MS));
$("period-form").addEventListener("submit", show);
$("download-csv").addEventListener("click", () => download("csv"));
$("download-json").addEventListener("click", () => download("json"));
$("token-field").hidden = Boolean(storedToken());
if (storedToken()) show();
