// The token of an unattended page (a viewing point's kiosk, a courtroom's display): given once
// in the link's fragment (never sent to the server in a URL, wiped from the address bar) and
// kept in localStorage until the court revokes it.
export function takeToken(storageKey) {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const given = fragment.get("token");
  if (given) {
    try {
      localStorage.setItem(storageKey, given);
    } catch {
      // storage disabled: the token lives as long as the page
    }
    history.replaceState(null, "", location.pathname + location.search);
    return given;
  }
  try {
    return localStorage.getItem(storageKey);
  } catch {
    return null;
  }
}
