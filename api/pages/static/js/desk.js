// /desk: the scheduling desk. An admin (or an operator, within its courtrooms) sets up
// courtrooms and cameras, cases and parties, hearings, tokens and cameras' publish links here.
// The staff token is entered once and kept in sessionStorage, as on the console.
import { api, storeToken, storedToken } from "./api.js";
import { installCases, loadCases } from "./desk-cases.js";
import { $, errorMessage, shared } from "./desk-common.js";
import { installHearings, loadHearings } from "./desk-hearings.js";
import { installRooms, loadRooms } from "./desk-rooms.js";
import { installTokens, loadTokens } from "./desk-tokens.js";
import { installLanguageSwitch, setText } from "./i18n.js";

const DESK_ROLES = new Set(["admin", "operator"]);

function refuse(key, vars = {}) {
  storeToken(null);
  $("login").hidden = false;
  $("desk").hidden = true;
  $("login-error").hidden = false;
  setText($("login-error"), key, vars);
}

async function open(token) {
  const me = await api("/api/v1/me", { token });
  if (!DESK_ROLES.has(me.role)) {
    refuse("desk.notForRole");
    return;
  }
  storeToken(token);
  shared.me = me;
  $("who-name").textContent = me.name;
  $("who").hidden = false;
  setText($("who-role"), `desk.role.${me.role}`);
  $("login").hidden = true;
  $("desk").hidden = false;
  installRooms();
  installCases();
  installHearings();
  const loads = [loadRooms(), loadCases()];
  if (me.role === "admin") {
    installTokens();
    loads.push(loadTokens());
  }
  await Promise.all(loads);
  await loadHearings();
}

async function login(token) {
  $("login-error").hidden = true;
  try {
    await open(token);
  } catch (error) {
    const [key, vars] = errorMessage(error);
    refuse(key, vars);
  }
}

installLanguageSwitch();
$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  login($("token").value.trim());
});
if (storedToken()) login(storedToken());
else $("login").hidden = false;
