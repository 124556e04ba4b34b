"""A closed hearing's replay plays on the families' page in Chromium (hls.js), with where and
why it was cut; before it is published the page shows the "closed" card."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, created, publish_from_page
from tests.browser.test_watch_families import DECODED_FRAMES

SLOW_MS = 20_000


def mark(api: httpx.Client, recording: str, kind: str, text: str = "") -> None:
    at = datetime.now(UTC).isoformat()
    created(
        api.post(
            f"/api/v1/recordings/{recording}/markers", json={"at": at, "kind": kind, "text": text}
        )
    )


def test_a_published_replay_plays_with_its_cut_stated(
    page: Page, phone_page: Page, api: httpx.Client
) -> None:
    hearing = create_hearing(api, ["bench"])
    publish_from_page(page, api, hearing, "bench")
    recording = str(created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))["id"])
    time.sleep(3)
    mark(api, recording, "off_record_start", "调解")
    time.sleep(3)
    mark(api, recording, "off_record_end")
    time.sleep(3)
    closed = api.patch(f"/api/v1/hearings/{hearing.id}", json={"status": "closed"})
    assert closed.status_code == 200, closed.text

    phone_page.goto(f"/watch/{hearing.id}")
    expect(phone_page.locator("#overlay-text")).to_have_text("已闭庭", timeout=SLOW_MS)
    published = api.put(f"/api/v1/hearings/{hearing.id}/replay", json={"days": 7})
    assert published.status_code == 200, published.text
    phone_page.reload()
    phone_page.wait_for_function(f"() => {DECODED_FRAMES} > 10", timeout=SLOW_MS)
    expect(phone_page.locator("#overlay")).to_be_hidden()
    expect(phone_page.locator("#replay-cuts li")).to_have_count(1)
    expect(phone_page.locator("#replay-cuts li")).to_contain_text("休录部分：调解")
    screenshot(phone_page, "replay-phone-zh")
