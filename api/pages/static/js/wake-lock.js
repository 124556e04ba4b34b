// Keeps the screen on while a camera publishes: a phone that dims and locks stops its camera.
// The browser drops the lock whenever the page is hidden, so it is asked for again when the
// page shows. onChange(state) hears "held", "unavailable" (no API, or the browser refused:
// the screen may sleep) and "off".
export class ScreenWakeLock {
  constructor(onChange) {
    this.onChange = onChange;
    this.wanted = false;
    this.sentinel = null;
    document.addEventListener("visibilitychange", () => {
      if (this.wanted && !this.sentinel && document.visibilityState === "visible") this.request();
    });
  }

  async hold() {
    this.wanted = true;
    if (!this.sentinel) await this.request();
  }

  async release() {
    this.wanted = false;
    const sentinel = this.sentinel;
    this.sentinel = null;
    this.onChange("off");
    await sentinel?.release().catch(() => {});
  }

  async request() {
    if (!navigator.wakeLock) {
      this.onChange("unavailable");
      return;
    }
    let sentinel;
    try {
      sentinel = await navigator.wakeLock.request("screen");
    } catch {
      // refused: hidden page, battery saver, or a policy; the next visibilitychange tries again
      if (this.wanted) this.onChange("unavailable");
      return;
    }
    if (!this.wanted) {
      await sentinel.release();
      return;
    }
    this.sentinel = sentinel;
    sentinel.addEventListener("release", () => {
      if (this.sentinel === sentinel) this.sentinel = null; // hidden page: asked again on return
    });
    this.onChange("held");
  }
}
