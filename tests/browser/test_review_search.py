"""/review finds a hearing the way a judge types its case number (a piece of it, or the whole
number in full-width characters from a Chinese input method) and shows which case it is:
number, title, courtroom and presiding judge in the row. Desktop and phone."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import created
from tests.support.serials import serial
from tests.support.server import RunningServer

FULL_WIDTH = str.maketrans("()0123456789", "（）０１２３４５６７８９")


def case_in_new_courtroom(api: httpx.Client) -> tuple[str, str]:
    """A hearing of a new case with no parties entered; returns (case number, courtroom)."""
    number = f"(2026)湘04民初123{serial()}号"
    room = f"第{serial()}审判庭"
    courtroom = created(api.post("/api/v1/courtrooms", json={"name": room, "cameras": ["bench"]}))
    case = created(
        api.post("/api/v1/cases", json={"number": number, "title": "张三诉李四合同纠纷"})
    )
    created(
        api.post(
            "/api/v1/hearings",
            json={
                "case_id": case["id"],
                "courtroom_id": courtroom["id"],
                "title": "第一次开庭",
                "scheduled_start": datetime.now(UTC).isoformat(),
                "visibility": "public",
                "presiding_judge": "王法官",
            },
        )
    )
    return number, room


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_review_finds_a_case_number_as_typed(
    request: pytest.FixtureRequest, viewport: str, api: httpx.Client, web_server: RunningServer
) -> None:
    number, room = case_in_new_courtroom(api)
    review: Page = request.getfixturevalue(viewport)
    review.goto("/review")
    review.get_by_label("法官令牌").fill(web_server.admin_token)
    for typed in ("民初123", number.translate(FULL_WIDTH)):
        review.get_by_label("案号").fill(typed)
        review.get_by_role("button", name="搜索").click()
        row = review.locator("#results li").filter(has_text=number)
        expect(row).to_have_count(1, timeout=10_000)
        expect(row.locator(".case-number")).to_have_text(number)
        expect(row.locator(".case-title")).to_have_text("张三诉李四合同纠纷")
        expect(row.locator(".courtroom-name")).to_have_text(room)
        expect(row.locator(".judge")).to_have_text("审判长 王法官")
        expect(row).to_contain_text("没有录像")
    review.get_by_label("案号").fill("")
    review.get_by_label("当事人").fill("李四")  # only in the case title
    review.get_by_role("button", name="搜索").click()
    expect(review.locator("#results li").filter(has_text=number)).to_have_count(1)
    screenshot(review, f"review-search-{'phone' if viewport == 'phone_page' else 'desktop'}")
