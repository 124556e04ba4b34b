// /confirm/{recording}: the tablet the clerk hands to each party at the end of a hearing. The
// party reads the record (no staff-only line), chooses its name, signs on the screen and
// confirms; the server refuses a record that changed since it was shown (the page reloads it).
// Parties confirm once the recording has stopped and been sealed: until then the page waits.
import { api, errorReason, storeToken, storedToken } from "./api.js";
import { installLanguageSwitch, setText } from "./i18n.js";
import { renderRecord } from "./live-record.js";
import { renderConfirmations, shortVersion } from "./record-confirmations.js";
import { SignaturePad } from "./signature-pad.js";

const WAIT_MS = 2000;
const $ = (id) => document.getElementById(id);
const recordingId = decodeURIComponent(location.pathname.split("/").pop());
const base = `/api/v1/recordings/${encodeURIComponent(recordingId)}`;
const pad = new SignaturePad($("signature"));
let record = null;

async function load() {
  try {
    record = await api(`${base}/record`);
  } catch (error) {
    $("token-form").hidden = error.status !== 401;
    setText($("confirm-status"), "confirm.failed", { reason: errorReason(error) });
    return;
  }
  $("token-form").hidden = true;
  $("confirm-case").textContent = `${record.case_number} ${record.case_title} · ${record.hearing_title}`;
  setText($("confirm-version"), "confirm.version", { v: shortVersion(record.sha256) });
  renderRecord($("confirm-lines"), record.lines);
  const select = $("party");
  const chosen = select.value;
  select.replaceChildren(...record.parties.map((party, index) => {
    const option = document.createElement("option");
    option.value = String(index);
    option.textContent = `${party.role} ${party.name}`;
    return option;
  }));
  if (chosen) select.value = chosen;
  $("sign-panel").hidden = !record.sealed;
  if (!record.sealed) {
    setText($("confirm-status"), "confirm.notSealed");
    setTimeout(load, WAIT_MS);
  }
  renderConfirmations($("confirmed"), await api(`${base}/confirmations`));
}

async function confirm(event) {
  event.preventDefault();
  if (!pad.drawn) return setText($("confirm-status"), "confirm.empty");
  const party = record.parties[Number($("party").value)];
  try {
    await api(`${base}/confirmations`, {
      method: "POST",
      body: {
        party_name: party.name, party_role: party.role,
        record_sha256: record.sha256, signature_png: pad.pngBase64(),
      },
    });
    setText($("confirm-status"), "confirm.done", {
      role: party.role, name: party.name, v: shortVersion(record.sha256),
    });
    pad.clear();
  } catch (error) {
    setText($("confirm-status"), "confirm.failed", { reason: errorReason(error) });
  }
  await load(); // a record corrected meanwhile is shown again, to be read before signing
}

installLanguageSwitch();
$("clear").addEventListener("click", () => pad.clear());
$("sign-panel").addEventListener("submit", confirm);
$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  storeToken($("token").value.trim());
  load();
});
if (storedToken()) load();
else $("token-form").hidden = false;
