// The program panel of /console: what the public sees of the courtroom (its program feed). One
// button per camera (the evidence source marked), "recess" for the slate, and "end" to let the
// public pick cameras again. The server switches at the chosen camera's next keyframe and marks
// every switch; an off-record period puts the program on the slate by itself.
import { api } from "./api.js";
import { cameraLabel, setText, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

export class ProgramPanel {
  // room() gives the courtroom (its cameras, labels, evidence sources); report(key, vars) says
  // how an action went
  constructor({ courtroomId, room, report }) {
    this.url = `/api/v1/courtrooms/${encodeURIComponent(courtroomId)}/program`;
    this.room = room;
    this.report = report;
    this.state = null;
    $("program-end").addEventListener("click", () => this.end());
    document.addEventListener("langchange", () => this.render());
  }

  async refresh() {
    this.state = await api(this.url);
    this.render();
  }

  async choose(source) {
    try {
      this.state = await api(this.url, { method: "PUT", body: { source } });
      this.report("console.program.chosen", { source: this.label(source) });
    } catch (error) {
      this.report("console.failed", { reason: error.detail || error.message });
    }
    this.render();
  }

  async end() {
    try {
      await api(this.url, { method: "DELETE" });
      this.state = null;
      this.report("console.program.ended");
    } catch (error) {
      this.report("console.failed", { reason: error.detail || error.message });
    }
    this.render();
  }

  label(source) {
    return source === "recess" ? t("console.program.recess") : cameraLabel(source, this.room()?.camera_labels);
  }

  render() {
    const room = this.room();
    if (!room) return;
    const chosen = this.state?.chosen ?? null;
    const buttons = [...room.cameras, "recess"].map((source) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "program-source";
      button.dataset.source = source;
      button.setAttribute("aria-pressed", String(source === chosen));
      if (source === "recess") setText(button, "console.program.recess");
      else {
        const evidence = (room.evidence_sources ?? []).includes(source);
        setText(button, evidence ? "console.program.evidence" : "console.program.camera", {
          camera: cameraLabel(source, room.camera_labels),
        });
      }
      button.addEventListener("click", () => this.choose(source));
      return button;
    });
    $("program-sources").replaceChildren(...buttons);
    $("program-end").disabled = this.state === null;
    const state = this.state;
    if (!state) setText($("program-state"), "console.program.none");
    else if (state.slate === "off_record") setText($("program-state"), "console.program.offRecord");
    else if (state.slate === "recess") setText($("program-state"), "console.program.onRecess");
    else setText($("program-state"), "console.program.onAir", { camera: cameraLabel(state.on_air, room.camera_labels) });
  }
}
