// What every section of /desk shares: building elements, saying how an action went (in the
// page's language, never the server's English), and the rooms and cases other sections pick from.
import { errorReason } from "./api.js";
import { setText, t } from "./i18n.js";

export const $ = (id) => document.getElementById(id);

// el("li", {className: "x", dataset: {id: 1}}, child, "text") -> element
export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  const { dataset, i18n, ...rest } = props;
  Object.assign(element, rest);
  if (dataset) Object.assign(element.dataset, dataset);
  if (i18n) setText(element, ...(Array.isArray(i18n) ? i18n : [i18n]));
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

// A field name the API reports (the last part of a 422's `loc`) as the page calls it.
const FIELDS = {
  name: "desk.field.name", number: "desk.field.number", title: "desk.field.title",
  cameras: "desk.field.cameras", parties: "desk.field.parties", role: "desk.field.role",
  scheduled_start: "desk.field.start", presiding_judge: "desk.field.judge",
  case_id: "desk.field.case", courtroom_id: "desk.field.room", camera: "desk.field.camera",
  zh: "desk.field.label", en: "desk.field.label", expires_at: "desk.field.expires",
  text: "desk.field.link",
};

// Known refusals, matched on the API's `detail`, each with the words of its own message.
const REFUSALS = [
  [/^case (.+) already exists/, (m) => ["desk.error.caseExists", { number: m[1] }]],
  [/^camera (.+) has recorded footage/, (m) => ["desk.error.cameraRecorded", { camera: m[1] }]],
  [/may not use that courtroom/, () => ["desk.error.room"]],
  [/moved only while scheduled|cannot go from \w+ to cancelled/,
    () => ["desk.error.notScheduled"]],
  [/camera names must be unique/, () => ["desk.error.cameraTwice"]],
  [/camera name .* must be/, () => ["desk.error.cameraName"]],
  [/has no camera/, () => ["desk.error.noCamera"]],
  [/camera token names exactly one/, () => ["desk.error.cameraToken"]],
];

function invalidFields(detail) {
  try {
    const parsed = JSON.parse(detail);
    if (!Array.isArray(parsed)) return null;
    const names = parsed.map((item) => {
      const loc = (item.loc || []).filter((part) => typeof part === "string");
      return t(FIELDS[loc.at(-1)] || FIELDS[loc.at(-2)] || "desk.field.other");
    });
    return [...new Set(names)].join(t("desk.listSeparator"));
  } catch {
    return null;
  }
}

// [key, vars] saying what went wrong, from an HttpError (or a network failure): the desk's own
// words for refusals it knows, the fields a 422 names, else api.js's reason by code or status.
export function errorMessage(error) {
  const detail = String(error.detail ?? "");
  for (const [pattern, message] of REFUSALS) {
    const match = detail.match(pattern);
    if (match) return message(match);
  }
  const fields = error.status === 422 ? invalidFields(detail) : null;
  if (fields) return ["desk.error.fields", { fields }];
  return ["desk.failed", { reason: errorReason(error) }];
}

export function report(element, key, vars = {}) {
  element.classList.remove("error-text");
  setText(element, key, vars);
}

export function fail(element, error) {
  const [key, vars] = errorMessage(error);
  setText(element, key, vars);
  element.classList.add("error-text");
}

// Run a form's action, saying "done" or the error in its status line; the button waits meanwhile.
export async function attempt(statusElement, action, doneKey, button = null) {
  if (button) button.disabled = true;
  try {
    const result = await action();
    if (doneKey) report(statusElement, doneKey);
    return result;
  } catch (error) {
    fail(statusElement, error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

// Copy text to the clipboard; falls back to selecting it when the browser refuses.
export async function copyText(text, source, statusElement) {
  try {
    await navigator.clipboard.writeText(text);
    report(statusElement, "desk.copied");
  } catch {
    const range = document.createRange();
    range.selectNodeContents(source);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    report(statusElement, "desk.copyByHand");
  }
}

// The rooms and cases sections own their lists; the others listen for "desk:rooms" / "desk:cases".
export const shared = { me: null, rooms: [], cases: [] };

export function publish(name, value) {
  shared[name] = value;
  document.dispatchEvent(new CustomEvent(`desk:${name}`));
}
