"""The program control on the console, in Chromium: the operator puts the bench camera, then
the evidence source, on air for the public; a family's phone on /watch follows the program (no
camera to pick) and shows the off-record slate when the clerk goes off the record. Screenshots:
console-program-zh, watch-program-phone-zh, watch-off-record-phone-zh."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, created, publish_from_page
from tests.browser.test_console_lifecycle import DECODED_FRAMES, open_console
from tests.support.server import RunningServer

SLOW_MS = 20_000


def frames(page: Page) -> int:
    decoded: int = page.evaluate(f"() => {DECODED_FRAMES}")
    return decoded


def test_the_operator_chooses_the_public_picture_and_the_phone_follows(
    page: Page, phone_page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    room = {
        "name": "科技法庭",
        "cameras": ["bench", "doc"],
        "camera_labels": {"doc": {"zh": "证据展示", "en": "Evidence"}},
        "evidence_sources": ["doc"],
    }
    hearing = create_hearing(api, ["bench", "doc"], room=room)
    publish_from_page(page, api, hearing, "bench")
    publish_from_page(page.context.new_page(), api, hearing, "doc")
    created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))
    console = open_console(page, web_server, hearing)
    expect(console.locator("#program-state")).to_have_text(
        "未导播：公众可自选机位", timeout=SLOW_MS
    )

    console.locator("#program-sources button[data-source='bench']").click()
    expect(console.locator("#program-state")).to_have_text("公众正在看：审判席")
    phone_page.goto(f"/watch/{hearing.id}")
    phone_page.wait_for_function(f"() => {DECODED_FRAMES} > 10", timeout=SLOW_MS)
    expect(phone_page.locator("#camera-choice")).to_be_hidden()  # the court chooses

    console.locator("#program-sources button[data-source='doc']").click()
    expect(console.locator("#program-state")).to_have_text("公众正在看：证据展示")
    expect(console.locator("#program-sources button[data-source='doc']")).to_have_attribute(
        "aria-pressed", "true"
    )
    before = frames(phone_page)
    phone_page.wait_for_function(f"() => {DECODED_FRAMES} > {before + 30}", timeout=SLOW_MS)
    screenshot(console, "console-program-zh")
    screenshot(phone_page, "watch-program-phone-zh")

    console.locator("#offrecord-reason").fill("调解")
    console.locator("#offrecord").click()
    expect(console.locator("#offrecord-state")).to_be_visible(timeout=SLOW_MS)
    expect(phone_page.locator("#overlay-text")).to_have_text("休录中", timeout=SLOW_MS)
    expect(console.locator("#program-state")).to_have_text(
        "休录中：公众看到休录画面，录像继续", timeout=SLOW_MS
    )
    screenshot(phone_page, "watch-off-record-phone-zh")
    console.locator("#offrecord").click()  # back on the record: the program comes back
    expect(phone_page.locator("#overlay")).to_be_hidden(timeout=SLOW_MS)
    resumed = frames(phone_page)
    phone_page.wait_for_function(f"() => {DECODED_FRAMES} > {resumed + 10}", timeout=SLOW_MS)
