"""The families' page, desktop and phone: each refused access code says why, the page shows no
hearing id or protocol name, a restricted hearing is a neutral line without its case, and the
player has volume and full screen controls."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import create_hearing, created, publish_from_page
from tests.browser.test_watch_page import restricted_hearing_in_session

DECODED_FRAMES = "document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames"
HEX_ID = re.compile(r"\b[0-9a-f]{16,}\b")
PROTOCOLS = re.compile(r"WebRTC|WHEP|HLS", re.IGNORECASE)


def assert_family_safe(page: Page, hearing_id: str) -> None:
    """No id, no protocol name anywhere in what the page shows."""
    text = page.locator("body").inner_text()
    assert hearing_id not in text and not HEX_ID.search(text), text
    assert not PROTOCOLS.search(text), text


def new_code(api: httpx.Client, hearing_id: str, **fields: object) -> str:
    body = created(
        api.post(f"/api/v1/hearings/{hearing_id}/access-codes", json={"label": "家属", **fields})
    )
    return str(body["code"])


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_each_refused_code_shows_its_own_message(
    device: str, request: pytest.FixtureRequest, api: httpx.Client
) -> None:
    viewer: Page = request.getfixturevalue(device)
    hearing, _ = restricted_hearing_in_session(api)
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    expired = new_code(api, hearing.id, expires_at=past)
    busy = new_code(api, hearing.id, max_viewers=1)
    tickets = str(api.base_url.join(f"/api/v1/public/hearings/{hearing.id}/tickets"))
    assert httpx.post(tickets, json={"code": busy}).status_code == 201  # another device has it

    viewer.goto(f"/watch/{hearing.id}")
    overlay, hint = viewer.locator("#overlay-text"), viewer.locator("#overlay-hint")
    expect(overlay).to_have_text("此庭审需要访问码", timeout=10_000)
    expect(viewer.locator("#case-title")).to_have_text("不公开庭审")
    assert "不公开审理" not in viewer.locator("body").inner_text()  # the hearing's own title
    cases = [
        ("0000-0000-0001", "访问码无效", "请输入法院发给您的访问码。"),
        (expired, "访问码已过期", "请向法院索取新的访问码。"),
        (
            busy,
            "该访问码已在允许的全部设备上观看",
            "请先关闭其他设备上的观看，或向法院索取新的访问码。",
        ),
    ]
    for code, title, advice in cases:
        viewer.get_by_label("访问码").fill(code)
        viewer.get_by_role("button", name="观看").click()
        expect(overlay).to_have_text(title)
        expect(hint).to_have_text(advice)
        expect(viewer.get_by_label("访问码")).to_be_visible()  # asks again
        assert_family_safe(viewer, hearing.id)
    screenshot(viewer, f"watch-code-in-use-{device}")

    viewer.get_by_role("button", name="切换到英文").click()
    expect(overlay).to_have_text("This access code is already in use on all its devices")
    expect(viewer.locator("#case-title")).to_have_text("Restricted hearing")
    viewer.get_by_label("Access code").fill(expired)
    viewer.get_by_role("button", name="Watch").click()
    expect(overlay).to_have_text("This access code has expired")
    expect(hint).to_have_text("Ask the court for a new code.")
    assert_family_safe(viewer, hearing.id)
    screenshot(viewer, f"watch-code-expired-en-{device}")


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_the_player_has_volume_and_full_screen_and_names_no_protocol(
    device: str, request: pytest.FixtureRequest, page: Page, api: httpx.Client
) -> None:
    hearing = create_hearing(api, ["bench"])
    created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))
    publish_from_page(page, api, hearing, "bench")
    viewer: Page = page.context.new_page() if device == "page" else request.getfixturevalue(device)

    viewer.goto(f"/watch/{hearing.id}")
    viewer.wait_for_function(f"() => {DECODED_FRAMES} > 0", timeout=15_000)
    expect(viewer.locator("#mode")).to_have_text("实时")
    assert_family_safe(viewer, hearing.id)

    volume = viewer.get_by_label("音量")
    expect(volume).to_be_visible()
    expect(volume).to_have_value("0")  # the page starts muted (autoplay)
    volume.fill("0.5")
    assert viewer.evaluate("(v => [v.volume, v.muted])(document.getElementById('player'))") == [
        0.5,
        False,
    ]
    expect(viewer.get_by_role("button", name="静音")).to_be_visible()
    viewer.get_by_role("button", name="静音").click()
    expect(volume).to_have_value("0")

    viewer.get_by_role("button", name="全屏").click()
    viewer.wait_for_function("() => document.fullscreenElement !== null")
    assert viewer.evaluate("document.fullscreenElement.contains(document.getElementById('player'))")
    screenshot(viewer, f"watch-fullscreen-{device}")
    viewer.get_by_role("button", name="退出全屏").click()  # the controls stay on screen
    viewer.wait_for_function("() => document.fullscreenElement === null")
    expect(viewer.get_by_role("button", name="全屏")).to_be_visible()
    screenshot(viewer, f"watch-controls-{device}")


def test_the_public_list_shows_a_restricted_hearing_as_a_neutral_line(
    phone_page: Page, api: httpx.Client
) -> None:
    hearing, _ = restricted_hearing_in_session(api)
    listed = httpx.get(str(api.base_url.join("/api/v1/public/hearings"))).json()["items"]
    item = next(i for i in listed if i["id"] == hearing.id)
    assert (item["case_number"], item["case_title"], item["title"]) == ("", "", "")
    assert (item["visibility"], item["courtroom"]) == ("restricted", "第三法庭")
    one = httpx.get(str(api.base_url.join(f"/api/v1/public/hearings/{hearing.id}"))).json()
    assert one == item

    phone_page.goto("/watch")
    card = phone_page.locator(f'a[href^="/watch/{hearing.id}"]')
    expect(card).to_contain_text("不公开庭审", timeout=10_000)
    expect(card).to_contain_text("第三法庭")
    text = card.inner_text()
    assert "张三诉李四" not in text and "不公开审理" not in text and "民初" not in text
    screenshot(phone_page, "watch-list-restricted-phone")
