// The sitting panel of /console: the courtroom's running sitting (开庭批次), else its next
// planned one, as a running order with the case in session marked, and one click (Alt+N) for
// "next case": the server closes the hearing in session and opens the next while the cameras
// keep recording. Polled every few seconds, and at once after each of its own actions.
import { api } from "./api.js";
import { setText, t } from "./i18n.js";
import { formatCourtDateTime } from "./time.js";

const $ = (id) => document.getElementById(id);
const FINAL = new Set(["closed", "cancelled"]);

export class SittingPanel {
  // report(key, vars) says how an action went; changed() lets the console follow the new hearing
  constructor({ courtroomId, report, changed }) {
    this.courtroomId = courtroomId;
    this.report = report;
    this.changed = changed;
    this.sitting = null;
    this.busy = false;
    $("sitting-start").addEventListener("click", () => this.run("start", "console.sitting.started"));
    $("sitting-next").addEventListener("click", () => this.next());
    $("sitting-end").addEventListener("click", () => this.end());
    document.addEventListener("langchange", () => this.render());
  }

  async refresh() {
    const sittings = await api(`/api/v1/sittings?courtroom_id=${encodeURIComponent(this.courtroomId)}`);
    const planned = sittings.filter((s) => s.status === "planned");
    this.sitting = sittings.find((s) => s.status === "running") ?? planned[planned.length - 1] ?? null;
    this.render();
  }

  // The entry after the one in session whose hearing may still be held, as the server picks it.
  upcoming() {
    const sitting = this.sitting;
    if (!sitting || sitting.status === "ended") return null;
    const after = sitting.status === "running" ? sitting.position : -1;
    return sitting.entries.find((e) => e.position > after && !FINAL.has(e.status)) ?? null;
  }

  render() {
    const sitting = this.sitting;
    $("sitting-panel").hidden = sitting === null;
    if (!sitting) return;
    $("sitting-title").textContent = `${sitting.title} · ${formatCourtDateTime(sitting.scheduled_start)}`;
    $("sitting-order").replaceChildren(...sitting.entries.map((entry) => this.item(entry)));
    const running = sitting.status === "running";
    const upcoming = this.upcoming();
    $("sitting-start").hidden = sitting.status !== "planned";
    $("sitting-next").hidden = !running;
    $("sitting-next").disabled = this.busy || upcoming === null;
    $("sitting-end").hidden = !running;
    $("sitting-end").disabled = this.busy;
    if (upcoming) {
      setText($("sitting-upcoming"), "console.sitting.upcoming", {
        n: upcoming.position + 1, case: `${upcoming.case_number} ${upcoming.case_title}`,
      });
    } else setText($("sitting-upcoming"), running ? "console.sitting.last" : "console.sitting.over");
  }

  item(entry) {
    const li = document.createElement("li");
    const current = this.sitting.status === "running" && entry.position === this.sitting.position;
    li.className = current ? "current" : FINAL.has(entry.status) ? "done" : "";
    if (current) li.setAttribute("aria-current", "step");
    li.dataset.hearing = entry.hearing_id;
    const number = document.createElement("strong");
    number.textContent = `${entry.position + 1}. `;
    const words = document.createElement("span");
    words.textContent = `${entry.case_number} ${entry.case_title} · ${entry.title} `;
    const visibility = document.createElement("span");
    visibility.className = `badge badge-${entry.visibility}`;
    visibility.textContent = t(`desk.visibility.${entry.visibility}`);
    const status = document.createElement("span");
    status.className = `badge badge-${entry.status}`;
    status.textContent = t(`hearing.status.${entry.status}`);
    li.append(number, words, visibility, " ", status);
    return li;
  }

  async next() {
    const upcoming = this.upcoming();
    if (!upcoming || this.sitting?.status !== "running") return;
    await this.run("next", "console.sitting.moved", { n: upcoming.position + 1 });
  }

  async end() {
    if (this.sitting?.status !== "running" || !confirm(t("console.sitting.confirmEnd"))) return;
    await this.run("end", "console.sitting.ended");
  }

  async run(action, doneKey, vars) {
    if (this.busy || !this.sitting) return;
    this.busy = true;
    this.render();
    try {
      this.sitting = await api(`/api/v1/sittings/${this.sitting.id}/${action}`, { method: "POST" });
      this.report(doneKey, vars);
      this.changed();
    } catch (error) {
      this.report("console.failed", { reason: error.detail || error.message });
    } finally {
      this.busy = false;
      this.render();
    }
  }
}
