// A sitting's running order as families and prison screens see it (GET /api/v1/public/hearings/
// {id} and /api/v1/screens/{id} send it): sealed hearings are already left out and numbered
// around, a hearing the viewer may not know by name comes without its case.
import { t } from "./i18n.js";
import { formatCourtMinute } from "./time.js";

const FINAL = new Set(["closed", "cancelled"]);

export function caseWords(entry) {
  return entry.case_number ? `${entry.case_number} ${entry.case_title}` : t("sitting.restrictedCase");
}

// One <li> per hearing: "Case N  case · state · about HH:MM"; `mine` (a hearing id) is marked.
export function renderRunningOrder(list, sitting, mine = null) {
  list.replaceChildren(...sitting.entries.map((entry) => {
    const li = document.createElement("li");
    li.className = entry.current ? "current" : FINAL.has(entry.status) ? "done" : "";
    if (entry.hearing_id === mine) li.classList.add("mine");
    const at = entry.estimated_start
      ? ` · ${t("sitting.at", { time: formatCourtMinute(entry.estimated_start) })}` : "";
    const own = entry.hearing_id === mine ? `${t("sitting.mine")} ` : "";
    li.textContent = `${own}${t("sitting.caseN", { n: entry.number })} ${caseWords(entry)}`
      + ` · ${t(`hearing.status.${entry.status}`)}${at}`;
    return li;
  }));
}
