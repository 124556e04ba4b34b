// Page text in Simplified Chinese (default) or English, remembered in localStorage.
// One language at a time: after a switch no text of the other language may stay on screen.
// - Static text: data-i18n="key" (textContent), data-i18n-attr="attr:key,attr:key".
// - Dynamic text of one key: setText(el, key, vars) stores key and vars on the element so a
//   switch re-renders it; a var may itself be { key, vars } (e.g. a translated error reason).
// - Text a page builds from several pieces (rows, options, times, camera labels): render it in
//   a function and register that function with onLangChange(render), which runs it after
//   every switch (the "langchange" event on document, which older pages listen to directly).
import zhCN from "../locales/zh-CN.js";
import en from "../locales/en.js";

const CATALOGS = { "zh-CN": zhCN, en };
const DEFAULT_LANG = "zh-CN";
const STORAGE_KEY = "courtcast.lang";

function storedLang() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage can be disabled (private mode); the default then applies
  }
}

let lang = CATALOGS[storedLang()] ? storedLang() : DEFAULT_LANG;

export function currentLang() {
  return lang;
}

// A var that is { key, vars } is translated too, so a stored message re-renders whole.
function varText(value) {
  return value !== null && typeof value === "object" && "key" in value
    ? t(value.key, value.vars ?? {}) : String(value);
}

export function t(key, vars = {}) {
  const template = CATALOGS[lang][key] ?? CATALOGS[DEFAULT_LANG][key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? varText(vars[name]) : whole));
}

export function hasText(key) {
  return key in CATALOGS[DEFAULT_LANG];
}

export function setText(element, key, vars = {}) {
  element.dataset.i18n = key;
  element.dataset.i18nVars = JSON.stringify(vars);
  element.textContent = t(key, vars);
}

export function applyTranslations(root = document) {
  document.documentElement.lang = lang;
  for (const element of root.querySelectorAll("[data-i18n]")) {
    const vars = element.dataset.i18nVars ? JSON.parse(element.dataset.i18nVars) : {};
    element.textContent = t(element.dataset.i18n, vars);
  }
  for (const element of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of element.dataset.i18nAttr.split(",")) {
      const [attribute, key] = pair.split(":");
      element.setAttribute(attribute.trim(), t(key.trim()));
    }
  }
  if (document.body.dataset.titleKey) {
    document.title = `${t(document.body.dataset.titleKey)} · Courtcast`;
  }
}

// Runs `render` after every language switch; returns a function that stops it.
export function onLangChange(render) {
  const listener = () => render(lang);
  document.addEventListener("langchange", listener);
  return () => document.removeEventListener("langchange", listener);
}

// A camera's display name in the current language: the courtroom's label for it
// (CourtroomOut.camera_labels, {"bench": {"zh": "审判席", "en": "Bench"}}), else the locale
// table's name for the usual cameras, else the camera's own name.
export function cameraLabel(camera, labels = {}) {
  const own = labels?.[camera]?.[lang === "zh-CN" ? "zh" : "en"];
  if (own) return own;
  return hasText(`camera.${camera}`) ? t(`camera.${camera}`) : camera;
}

export function setLang(next) {
  if (!CATALOGS[next]) return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, but the page still switches
  }
  applyTranslations();
  document.dispatchEvent(new CustomEvent("langchange", { detail: { lang } }));
}

// Every page has one button[data-lang-switch] in its header: it toggles between the two languages.
export function installLanguageSwitch() {
  for (const button of document.querySelectorAll("[data-lang-switch]")) {
    button.addEventListener("click", () => setLang(lang === "zh-CN" ? "en" : "zh-CN"));
  }
  applyTranslations();
}
