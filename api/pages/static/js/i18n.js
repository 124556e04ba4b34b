// Page text in Simplified Chinese (default) or English, remembered in localStorage.
// Static text: data-i18n="key" (textContent), data-i18n-attr="attr:key,attr:key".
// Dynamic text: setText(el, key, vars) stores key and vars on the element so a switch re-renders it.
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

export function t(key, vars = {}) {
  const template = CATALOGS[lang][key] ?? CATALOGS[DEFAULT_LANG][key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
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
