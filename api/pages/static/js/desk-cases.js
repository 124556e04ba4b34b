// Cases with their parties: case numbers are kept as typed (the server compares them by key, so
// （2026）湘04民初123号 and (2026)湘04民初123号 are one case); editing replaces title and parties.
import { api } from "./api.js";
import { $, attempt, el, publish, report, shared } from "./desk-common.js";
import { applyTranslations, onLangChange, t } from "./i18n.js";

const PARTY_ROLES = ["plaintiff", "defendant", "third", "appellant", "appellee", "accused", "applicant"];
let editing = null; // the case being edited, or null when the form creates one

function roleList() {
  let list = $("party-roles");
  if (!list) {
    list = el("datalist", { id: "party-roles" });
    document.body.append(list);
  }
  list.replaceChildren(...PARTY_ROLES.map((role) => el("option", { value: t(`desk.partyRole.${role}`) })));
}

function partyRow(party = { name: "", role: "" }) {
  const name = el("input", { className: "party-name", maxLength: 200, value: party.name });
  name.dataset.i18nAttr = "aria-label:desk.party.name,placeholder:desk.party.name";
  const role = el("input", { className: "party-role", maxLength: 32, value: party.role });
  role.setAttribute("list", "party-roles");
  role.dataset.i18nAttr = "aria-label:desk.party.role,placeholder:desk.party.role";
  const remove = el("button", { type: "button", className: "small-button", dataset: { i18n: "desk.party.remove" } });
  const row = el("div", { className: "party-row" }, name, role, remove);
  remove.addEventListener("click", () => row.remove());
  applyTranslations(row);
  return row;
}

function setParties(parties) {
  const rows = $("case-form").querySelector(".party-rows");
  rows.replaceChildren(...(parties.length ? parties : [{ name: "", role: "" }]).map(partyRow));
}

// Rows with a name are parties; a name without a role is refused by the API with its field named.
function formParties() {
  return [...$("case-form").querySelectorAll(".party-row")]
    .map((row) => ({ name: row.querySelector(".party-name").value.trim(), role: row.querySelector(".party-role").value.trim() }))
    .filter((party) => party.name || party.role);
}

function partiesText(parties) {
  return parties.map((party) => `${party.role}${t("desk.colon")}${party.name}`).join(t("desk.listSeparator"));
}

export function caseText(found) {
  return `${found.number} · ${found.title}`;
}

function startEditing(found) {
  editing = found;
  $("case-number").value = found.number;
  $("case-number").readOnly = true;
  $("case-title").value = found.title;
  setParties(found.parties);
  $("case-submit").dataset.i18n = "desk.case.save";
  $("case-cancel").hidden = false;
  applyTranslations($("case-form"));
  $("case-title").focus();
}

function resetForm() {
  editing = null;
  $("case-form").reset();
  $("case-number").readOnly = false;
  setParties([]);
  $("case-submit").dataset.i18n = "desk.case.create";
  $("case-cancel").hidden = true;
  applyTranslations($("case-form"));
}

function render() {
  const list = $("case-list");
  if (shared.cases.length === 0) {
    list.replaceChildren(el("li", { className: "muted", i18n: "desk.case.none" }));
    return;
  }
  list.replaceChildren(...shared.cases.map((found) => {
    const edit = el("button", { type: "button", className: "small-button", i18n: "desk.edit" });
    edit.addEventListener("click", () => startEditing(found));
    return el("li", { dataset: { case: found.id } },
      el("div", { className: "grow" },
        el("strong", { className: "case-number-text", textContent: found.number }), " ",
        el("span", { textContent: found.title }),
        el("p", { className: "small muted parties-text", textContent: partiesText(found.parties) })),
      edit);
  }));
}

export async function loadCases() {
  publish("cases", await api("/api/v1/cases"));
}

async function submit(event) {
  event.preventDefault();
  const parties = formParties();
  const title = $("case-title").value.trim();
  const saved = editing
    ? await attempt($("case-status"), () => api(`/api/v1/cases/${encodeURIComponent(editing.id)}`,
      { method: "PATCH", body: { title, parties } }), null, $("case-submit"))
    : await attempt($("case-status"), () => api("/api/v1/cases",
      { method: "POST", body: { number: $("case-number").value.trim(), title, parties } }), null, $("case-submit"));
  if (!saved) return;
  const said = editing ? "desk.case.saved" : "desk.case.created";
  resetForm();
  await loadCases();
  document.dispatchEvent(new CustomEvent("desk:case-chosen", { detail: saved.id }));
  report($("case-status"), said, { number: saved.number });
}

export function installCases() {
  roleList();
  setParties([]);
  $("case-form").querySelector(".add-party").addEventListener("click", () => {
    const row = partyRow();
    $("case-form").querySelector(".party-rows").append(row);
    row.querySelector("input").focus();
  });
  $("case-form").addEventListener("submit", submit);
  $("case-cancel").addEventListener("click", resetForm);
  document.addEventListener("desk:cases", render);
  onLangChange(() => {
    roleList();
    render();
  });
}
