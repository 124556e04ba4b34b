"""Parties confirm the record on a tablet in Chromium: each reads the record (without the
staff-only line), signs with a finger on the screen and confirms; the stored signature is the
drawing (dark strokes on white), the server verifies each confirmation against its statement,
signature and manifest, and the judge's review page shows who confirmed which version.
Screenshots: confirm-tablet-zh, review-confirmations-zh."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime

import av
import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import PARTIES, Hearing, created, published_hearing_with_parties
from tests.browser.test_console_review import case_number
from tests.support.server import RunningServer

SLOW_MS = 20_000


def write(api: httpx.Client, recording: str, text: str, staff_only: bool = False) -> None:
    body = {
        "at": datetime.now(UTC).isoformat(),
        "speaker_role": "审判长",
        "text": text,
        "staff_only": staff_only,
    }
    created(api.post(f"/api/v1/recordings/{recording}/transcript", json=body))


def sign(tablet: Page, wiggles: int) -> None:
    """Draw a signature across the pad as a finger would."""
    box = tablet.locator("#signature").bounding_box()
    assert box is not None
    tablet.mouse.move(box["x"] + 40, box["y"] + box["height"] / 2)
    tablet.mouse.down()
    for step in range(1, wiggles * 4 + 1):
        x = box["x"] + 40 + step * (box["width"] - 80) / (wiggles * 4)
        y = box["y"] + box["height"] * (0.3 if step % 2 else 0.7)
        tablet.mouse.move(x, y, steps=4)
    tablet.mouse.up()


def dark_share(png: bytes) -> float:
    """How much of the stored signature is ink."""
    with av.open(io.BytesIO(png), format="png_pipe") as container:
        picture = next(container.decode(video=0)).to_ndarray(format="gray")
    return float((picture < 128).mean())


def test_parties_sign_the_record_on_a_tablet_and_review_shows_it(
    browser: Browser, page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    hearing: Hearing = published_hearing_with_parties(page, api)
    recording = str(created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))["id"])
    write(api, recording, "现在开庭。")
    write(api, recording, "合议庭备注：另行评议", staff_only=True)
    write(api, recording, "原告陈述诉讼请求。")
    time.sleep(3)
    assert api.post(f"/api/v1/recordings/{recording}/stop").status_code == 200

    tablet_context = browser.new_context(
        base_url=web_server.base_url, viewport={"width": 1024, "height": 768}, has_touch=True
    )
    tablet = tablet_context.new_page()
    tablet.goto(f"/confirm/{recording}")
    tablet.get_by_label("书记员令牌").fill(web_server.admin_token)
    tablet.get_by_role("button", name="打开").click()
    expect(tablet.locator("#confirm-lines li")).to_have_count(2, timeout=SLOW_MS)
    expect(tablet.locator("#confirm-lines")).not_to_contain_text("合议庭备注")
    expect(tablet.locator("#sign-panel")).to_be_visible(timeout=SLOW_MS)  # sealed

    tablet.get_by_role("button", name="确认笔录无误并签名").click()
    expect(tablet.locator("#confirm-status")).to_have_text("请先在签名框内签名")
    for index, party in enumerate(PARTIES):
        tablet.locator("#party").select_option(str(index))
        sign(tablet, wiggles=3 + index)
        tablet.get_by_role("button", name="确认笔录无误并签名").click()
        expect(tablet.locator("#confirm-status")).to_contain_text(
            f"{party['role']}{party['name']}已确认第", timeout=SLOW_MS
        )
        expect(tablet.locator("#confirmed li")).to_have_count(index + 1, timeout=SLOW_MS)
    expect(tablet.locator("#confirmed")).to_contain_text("✓ 签名、笔录与录像清单核验一致")
    screenshot(tablet, "confirm-tablet-zh")

    confirmations = api.get(f"/api/v1/recordings/{recording}/confirmations").json()
    assert [(c["party_name"], c["verified"], c["record_lines"]) for c in confirmations] == [
        ("张三", True, 2),
        ("李四", True, 2),
    ]
    for confirmation in confirmations:
        drawn = api.get(
            f"/api/v1/recordings/{recording}/confirmations/{confirmation['id']}/signature.png"
        )
        assert 0.002 < dark_share(drawn.content) < 0.5, "the stored image is the drawing"
    tablet_context.close()

    review = page.context.new_page()
    review.goto("/review")
    review.get_by_label("法官令牌").fill(web_server.admin_token)
    review.get_by_label("案号").fill(case_number(api, hearing.id))
    review.get_by_role("button", name="搜索").click()
    expect(review.locator("#search-status")).to_have_text("找到 1 次庭审", timeout=SLOW_MS)
    review.locator(".open-recording").first.click()
    expect(review.locator("#confirmations li")).to_have_count(2, timeout=SLOW_MS)
    expect(review.locator("#confirmations li").first).to_contain_text("原告张三")
    expect(review.locator("#confirmations li").first).to_contain_text("核验一致")
    screenshot(review, "review-confirmations-zh")
