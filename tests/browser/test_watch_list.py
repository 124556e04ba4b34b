"""/watch lists today's hearings; /watch/{id} plays one and stops within a second of the kill
switch, saying the court stopped it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, publish_from_page
from tests.support.serials import case_number

FRAMES = "document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames"


def test_watch_list_and_kill_switch(page: Page, phone_page: Page, api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    publish_from_page(page, api, hearing, "bench")
    assert api.patch(f"/api/v1/hearings/{hearing.id}", json={"status": "in_session"}).is_success

    phone_page.goto("/watch")
    card = phone_page.locator(f'a[href^="/watch/{hearing.id}"]')
    expect(card).to_be_visible(timeout=10_000)
    expect(card).to_contain_text("张三诉李四")
    expect(card).to_contain_text("直播中")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "watch-list-phone")

    card.click()
    expect(phone_page.locator("#case-title")).to_contain_text("张三诉李四")
    phone_page.wait_for_function(f"() => {FRAMES} > 0", timeout=15_000)
    expect(phone_page.locator("#live-badge")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "watch-live-phone")

    cut = api.put(f"/api/v1/hearings/{hearing.id}/broadcast", json={"on": False})
    assert cut.status_code == 200, cut.text
    cut_at = time.monotonic()
    expect(phone_page.locator("#overlay-text")).to_have_text("直播已被法院停止", timeout=1_000)
    assert time.monotonic() - cut_at < 1.2
    frames = phone_page.evaluate(FRAMES)
    time.sleep(1)
    assert phone_page.evaluate(FRAMES) == frames, "frames still decoding after the kill switch"
    screenshot(phone_page, "watch-stopped-phone")


def create_sealed_hearing(api: httpx.Client, courtroom_id: str) -> str:
    """A sealed hearing today in that courtroom, beside its public one."""
    number = case_number("刑初")
    case = api.post("/api/v1/cases", json={"number": number, "title": "未成年人案"})
    assert case.status_code == 201, case.text
    sealed = api.post(
        "/api/v1/hearings",
        json={
            "case_id": case.json()["id"],
            "courtroom_id": courtroom_id,
            "title": "不公开审理",
            "scheduled_start": datetime.now(UTC).isoformat(),
            "visibility": "sealed",
        },
    )
    assert sealed.status_code == 201, sealed.text
    return str(sealed.json()["id"])


def test_public_hearings_hide_sealed(api: httpx.Client) -> None:
    hearing = create_hearing(api, ["bench"])
    sealed = create_sealed_hearing(api, hearing.courtroom_id)
    assert api.get(f"/api/v1/hearings/{sealed}").status_code == 200, "the sealed hearing exists"
    public = httpx.get(str(api.base_url.join(f"/api/v1/public/hearings/{hearing.id}")))
    assert public.status_code == 200
    assert public.json()["broadcast_on"] is True
    unknown = httpx.get(str(api.base_url.join("/api/v1/public/hearings/nope")))
    hidden = httpx.get(str(api.base_url.join(f"/api/v1/public/hearings/{sealed}")))
    assert unknown.status_code == hidden.status_code == 404
    assert hidden.json() == unknown.json(), "a sealed hearing must look unknown"
    listed = httpx.get(str(api.base_url.join("/api/v1/public/hearings"))).json()
    listed_ids = [item["id"] for item in listed["items"]]
    assert hearing.id in listed_ids
    assert sealed not in listed_ids
    assert all(item["visibility"] != "sealed" for item in listed["items"])
