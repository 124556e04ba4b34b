// Who confirmed which version of a recording's record (GET /api/v1/recordings/{id}/confirmations),
// each checked by the server against the bytes it speaks for: the tablet page and review show it.
import { setText } from "./i18n.js";
import { formatCourtDateTime } from "./time.js";

export const shortVersion = (sha256) => sha256.slice(0, 8);

export function renderConfirmations(list, confirmations) {
  if (!confirmations.length) {
    const none = document.createElement("li");
    setText(none, "confirmations.none");
    list.replaceChildren(none);
    return;
  }
  list.replaceChildren(...confirmations.map((c) => {
    const item = document.createElement("li");
    item.dataset.confirmationId = c.id;
    const who = document.createElement("span");
    setText(who, "confirmations.item", {
      role: c.party_role, name: c.party_name, v: shortVersion(c.record_sha256),
      time: formatCourtDateTime(c.confirmed_at), by: c.taken_by,
    });
    const check = document.createElement("span");
    check.className = c.verified ? "confirmation-ok" : "confirmation-broken";
    if (c.verified) setText(check, "confirmations.verified");
    else setText(check, "confirmations.broken", { problems: c.problems.join("; ") });
    item.append(who, " ", check);
    if (!c.current) {
      const changed = document.createElement("span");
      changed.className = "confirmation-changed";
      setText(changed, "confirmations.changed");
      item.append(" ", changed);
    }
    return item;
  }));
}
