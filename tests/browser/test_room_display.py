"""The record in the room, in Chromium: a line the clerk types in the console appears on the
courtroom's display (/display/{courtroom}) and in the captions of a phone's /watch within 1 s
of the Enter key; a staff-only line never does. The display shows the case, its parties and
the exhibit being shown, in Chinese and English. Screenshots: display-zh, display-en,
watch-captions-phone-zh, console-staff-only-zh."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import Hearing, created, published_hearing_with_parties
from tests.browser.test_console_lifecycle import open_console
from tests.support.server import RunningServer

SLOW_MS = 20_000
SHOWN_WITHIN_MS = 1_000
# Each page notes when a line first appears in it, by its text, on the browser's clock.
NOTE_ARRIVALS = """(list) => {
  window.arrivals = {};
  new MutationObserver(() => {
    for (const text of document.querySelectorAll(`#${list} .record-text`)) {
      window.arrivals[text.textContent] ??= Date.now();
    }
  }).observe(document.getElementById(list), { childList: true, subtree: true });
}"""


def display_token(api: httpx.Client, courtroom_id: str) -> dict[str, object]:
    return created(
        api.post(
            "/api/v1/tokens",
            json={
                "role": "screen",
                "name": "第三法庭大屏",
                "courtroom_ids": [courtroom_id],
                "place": "courtroom",
                "visibilities": ["public"],
            },
        )
    )


def type_line(console: Page, text: str, *, staff_only: bool = False) -> float:
    """Type a line as the clerk does; the browser's clock when Enter was pressed (ms)."""
    console.locator("#staff-only").set_checked(staff_only)
    console.locator("#line").fill(text)
    pressed: float = console.evaluate("() => Date.now()")
    console.locator("#line").press("Enter")
    expect(console.locator("#transcript-list")).to_contain_text(text, timeout=SLOW_MS)
    return pressed


def test_a_typed_line_reaches_the_display_and_the_captions_within_a_second(
    page: Page, phone_page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    hearing: Hearing = published_hearing_with_parties(page, api)
    recording = created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))
    console = open_console(page, web_server, hearing)
    expect(console.locator("#record-state")).to_contain_text("录制中", timeout=SLOW_MS)

    token = display_token(api, hearing.courtroom_id)
    display = page.context.new_page()
    display.set_viewport_size({"width": 1600, "height": 900})
    display.goto(f"/display/{hearing.courtroom_id}#token={token['token']}")
    assert "token=" not in display.url, "the token leaves the address bar"
    expect(display.locator("#display-parties")).to_contain_text("原告张三", timeout=SLOW_MS)
    phone_page.goto(f"/watch/{hearing.id}")
    phone_page.locator("#captions-toggle").click()
    expect(phone_page.locator("#captions-empty")).to_be_visible(timeout=SLOW_MS)
    display.evaluate(NOTE_ARRIVALS, "record-list")
    phone_page.evaluate(NOTE_ARRIVALS, "captions-list")

    secret = "合议庭备注：证据三另行审查"
    type_line(console, secret, staff_only=True)
    expect(console.locator("#transcript-list li.staff-only")).to_contain_text(secret)
    for line in ("现在开庭。", "请原告陈述诉讼请求。"):
        pressed = type_line(console, line)
        for viewer, items in ((display, "#record-list"), (phone_page, "#captions-list")):
            expect(viewer.locator(items)).to_contain_text(line, timeout=SLOW_MS)
            arrived: float = viewer.evaluate("(text) => window.arrivals[text]", line)
            assert arrived - pressed < SHOWN_WITHIN_MS, (viewer.url, arrived - pressed)
    for viewer, items in ((display, "#record-list"), (phone_page, "#captions-list")):
        expect(viewer.locator(f"{items} li")).to_have_count(2)
        expect(viewer.locator(items)).not_to_contain_text("合议庭备注")
    screenshot(console, "console-staff-only-zh")

    marker = {
        "at": datetime.now(UTC).isoformat(),
        "kind": "exhibit_shown",
        "text": "证据一：借款合同",
    }
    created(api.post(f"/api/v1/recordings/{recording['id']}/markers", json=marker))
    expect(display.locator("#display-exhibit")).to_have_text("证据一：借款合同", timeout=SLOW_MS)
    expect(display.locator("#display-case")).to_contain_text("张三诉李四")
    screenshot(display, "display-zh")
    screenshot(phone_page, "watch-captions-phone-zh")
    display.locator("[data-lang-switch]").click()
    expect(display.locator("#exhibit-heading")).to_have_text("Exhibit being shown")
    expect(display.locator("#record-heading")).to_have_text("Court record")
    screenshot(display, "display-en")
