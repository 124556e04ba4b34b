// What the public pages call a hearing's status: before it opens it is "starting soon", after
// it closes "closed"; a cancelled hearing (never in session) is said as such, and like a closed
// one never shows a camera.
export const FINAL_STATUSES = new Set(["closed", "cancelled"]);

const WORDS = {
  scheduled: "watch.state.soon",
  closed: "watch.state.closed",
  cancelled: "watch.state.cancelled",
};

export function statusKey(status) {
  return WORDS[status] ?? `hearing.status.${status}`;
}
