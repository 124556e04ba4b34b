"""A family on a phone waits for its case in a sitting: before it comes up, the page shows the
running order with its case marked, where it stands and an estimated start, and the case in
session; when the operator moves on to it, the case's code plays it; when the sitting ends the
page says the hearing has closed. The public case is named, the family's restricted one only by
its place (its own page knows which it is)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, create_sitting, created, publish_from_page
from tests.browser.test_console_sitting import another_hearing
from tests.browser.test_watch_families import DECODED_FRAMES, assert_family_safe

SLOW_MS = 20_000


def test_a_family_waits_for_its_case_then_watches_it(
    page: Page, phone_page: Page, api: httpx.Client
) -> None:
    first = create_hearing(api, ["bench"])
    family_hearing = another_hearing(api, first.courtroom_id, "罪犯王某某假释", "restricted")
    case = api.get(f"/api/v1/hearings/{family_hearing}").json()["case_id"]
    code = created(api.post(f"/api/v1/cases/{case}/access-codes", json={"label": "王某某的家属"}))[
        "code"
    ]
    sitting = create_sitting(api, first.courtroom_id, [first.id, family_hearing])
    publish_from_page(page, api, first, "bench")
    url = f"/api/v1/sittings/{sitting}"
    assert api.post(f"{url}/start").status_code == 200

    phone_page.goto(f"/watch/{family_hearing}?code={code}")
    place = phone_page.locator("#sitting-place")
    expect(place).to_contain_text("本案为本批次第 2 案，预计", timeout=SLOW_MS)
    expect(phone_page.locator("#sitting-now")).to_have_text("正在进行：第 1 案")
    order = phone_page.locator("#sitting-order li")
    expect(order).to_have_count(2)
    expect(order.nth(0)).to_contain_text("张三诉李四")  # the public case, named
    expect(order.nth(1)).to_have_class("mine")
    expect(order.nth(1)).not_to_contain_text("王某某")  # the family's case is not named
    assert phone_page.evaluate(f"() => {DECODED_FRAMES}") == 0  # nothing of the other case
    assert_family_safe(phone_page, family_hearing)
    screenshot(phone_page, "family-waiting-phone-zh")

    assert api.post(f"{url}/next").status_code == 200
    phone_page.wait_for_function(f"() => {DECODED_FRAMES} > 10", timeout=SLOW_MS)
    expect(place).to_have_text("本案正在审理")
    screenshot(phone_page, "family-live-phone-zh")

    assert api.post(f"{url}/end").status_code == 200
    expect(phone_page.locator("#overlay-text")).to_have_text("已闭庭", timeout=SLOW_MS)
    expect(phone_page.locator("#sitting-panel")).to_be_hidden()
