"""A sitting on the console: the running order with the case in session marked, "next case"
in one click (and Alt+N) while a browser camera publishes, the console following each new
hearing in session and its recording never stopping, in Chinese and English."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import Hearing, create_hearing, create_sitting, created, publish_from_page
from tests.browser.test_console_lifecycle import SLOW_MS, open_console
from tests.support.serials import case_number
from tests.support.server import RunningServer

CASES = ("罪犯王某某减刑", "罪犯李某某假释", "罪犯赵某某减刑")


def another_hearing(api: httpx.Client, courtroom_id: str, title: str, visibility: str) -> str:
    number = case_number("刑更")
    case = created(api.post("/api/v1/cases", json={"number": number, "title": title}))
    hearing = created(
        api.post(
            "/api/v1/hearings",
            json={
                "case_id": case["id"],
                "courtroom_id": courtroom_id,
                "title": "减刑假释听证",
                "scheduled_start": datetime.now(UTC).isoformat(),
                "visibility": visibility,
            },
        )
    )
    return str(hearing["id"])


def recordings_of(api: httpx.Client, courtroom_id: str, hearing_id: str) -> list[dict[str, str]]:
    found = api.get("/api/v1/hearings", params={"courtroom_id": courtroom_id})
    (row,) = [item for item in found.json()["items"] if item["id"] == hearing_id]
    recordings: list[dict[str, str]] = row["recordings"]
    return recordings


def test_the_console_runs_a_sitting_case_after_case(
    page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    first: Hearing = create_hearing(api, ["bench"])
    hearings = [first.id] + [
        another_hearing(api, first.courtroom_id, title, visibility)
        for title, visibility in zip(CASES[1:], ("restricted", "public"), strict=True)
    ]
    sitting = create_sitting(api, first.courtroom_id, hearings)
    publish_from_page(page, api, first, "bench")
    console = open_console(page, web_server, first)
    order = console.locator("#sitting-order li")
    expect(order).to_have_count(3, timeout=SLOW_MS)
    expect(console.locator("#sitting-upcoming")).to_contain_text("下一案：第 1 案")

    console.locator("#sitting-start").click()
    expect(order.nth(0)).to_have_attribute("aria-current", "step", timeout=SLOW_MS)
    expect(console.locator("#record-state")).to_contain_text("录制中", timeout=SLOW_MS)
    expect(console.locator("#sitting-upcoming")).to_contain_text("下一案：第 2 案")
    screenshot(console, "console-sitting-zh")

    console.locator("#sitting-next").click()
    expect(order.nth(1)).to_have_attribute("aria-current", "step", timeout=SLOW_MS)
    expect(order.nth(0)).to_have_class("done")
    expect(console.locator("#action-status")).to_contain_text("第 2 案已开庭，录像未中断")
    expect(console.locator("#hearing-select")).to_have_value(hearings[1], timeout=SLOW_MS)
    expect(console.locator("#record-state")).to_contain_text("录制中", timeout=SLOW_MS)

    console.locator("[data-lang-switch]").click()
    expect(console.locator("#sitting-upcoming")).to_contain_text("Next: case 3")
    console.keyboard.press("Alt+N")  # the shortcut does what the button does
    expect(order.nth(2)).to_have_attribute("aria-current", "step", timeout=SLOW_MS)
    expect(console.locator("#sitting-upcoming")).to_have_text(
        "This is the last case of the sitting"
    )
    expect(console.locator("#sitting-next")).to_be_disabled()
    screenshot(console, "console-sitting-en")

    console.once("dialog", lambda dialog: dialog.accept())
    console.locator("#sitting-end").click()
    expect(console.locator("#sitting-upcoming")).to_have_text(
        "The sitting has ended", timeout=SLOW_MS
    )
    ended = api.get(f"/api/v1/sittings/{sitting}").json()
    assert ended["status"] == "ended"
    # one recording per hearing, each stopped and stored: the camera never stopped between
    for hearing_id in hearings:
        (recording,) = recordings_of(api, first.courtroom_id, hearing_id)
        assert recording["status"] == "stopped", recording
