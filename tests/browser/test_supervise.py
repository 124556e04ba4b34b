"""The supervisors' desk in Chromium: a supervisor's token sees every courtroom it oversees live
(the public hearing's picture and feed health), figures that match the hearings held, the
archive access log, CSV download; the room's program feed once the court chooses one, and a
line saying the slate; of a sealed hearing it is not assigned to, nothing: not on the wall,
not in the figures. Screenshots: supervise-zh, supervise-en."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.court import Hearing, create_hearing, created, hearing_in, publish_from_page
from tests.support.serials import case_number
from tests.support.server import RunningServer

SLOW_MS = 20_000
FRAMES = "(tile) => tile.querySelector('video').getVideoPlaybackQuality().totalVideoFrames"
# six frames presented from now on (the tile's stream was replaced before it said what it plays)
FRAMES_FROM_NOW = """(tile) => new Promise((resolve) => {
  const video = tile.querySelector("video");
  let frames = 0;
  const count = () => (++frames > 5 ? resolve("shown") : video.requestVideoFrameCallback(count));
  video.requestVideoFrameCallback(count);
  setTimeout(() => resolve(`only ${frames} frames`), 20000);
})"""


def sealed_in_session(api: httpx.Client) -> tuple[str, str]:
    """A sealed hearing being recorded in a room of its own; the room's id and its case number."""
    room = created(api.post("/api/v1/courtrooms", json={"name": "第九法庭", "cameras": ["bench"]}))
    number = case_number("刑初")
    hearing = hearing_in(api, str(room["id"]), ["bench"], visibility="sealed", number=number)
    created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))
    return hearing.courtroom_id, number


def test_the_supervisors_desk_shows_what_it_oversees_and_nothing_of_a_hidden_sealed_hearing(
    page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    hearing: Hearing = create_hearing(api, ["bench"])
    publish_from_page(page, api, hearing, "bench")
    recording = str(created(api.post(f"/api/v1/hearings/{hearing.id}/recordings"))["id"])
    sealed_room, sealed_number = sealed_in_session(api)
    supervisor = created(
        api.post(
            "/api/v1/tokens",
            json={
                "role": "supervisor",
                "name": "院长",
                "courtroom_ids": [hearing.courtroom_id, sealed_room],
            },
        )
    )
    time.sleep(4)  # footage, then a judge opens it: an archive access
    played = api.get(f"/api/v1/recordings/{recording}/cameras/bench/playlist.m3u8")
    assert played.status_code == 200, played.text

    desk = page.context.new_page()
    desk.set_viewport_size({"width": 1440, "height": 1000})
    desk.goto("/supervise")
    desk.get_by_label("监督令牌").fill(str(supervisor["token"]))
    desk.get_by_role("button", name="查看").click()
    expect(desk.locator("#figures tr")).to_have_count(1, timeout=SLOW_MS)  # its public room only
    cells = desk.locator("#figures tr td")
    expect(cells.nth(0)).to_have_text("第三法庭")
    expect(cells.nth(1)).to_have_text("1")
    expect(cells.nth(2)).to_have_text("100%")
    expect(desk.locator("#access tr")).to_have_count(1)
    expect(desk.locator("#access tr")).to_contain_text("录像回放")

    public_tile = desk.locator(f".wall-tile[data-courtroom='{hearing.courtroom_id}']")
    sealed_tile = desk.locator(f".wall-tile[data-courtroom='{sealed_room}']")
    expect(public_tile.locator(".wall-feeds li")).to_contain_text("审判席", timeout=SLOW_MS)
    desk.wait_for_function(
        f"(tile) => ({FRAMES})(tile) > 5", arg=public_tile.element_handle(), timeout=SLOW_MS
    )
    expect(sealed_tile.locator(".wall-hearing")).to_have_text("当前没有可查看的庭审")
    assert sealed_number not in desk.locator("main").inner_text()
    screenshot(desk, "supervise-zh")

    # the court chooses what the public sees: the wall plays that, and says the slate
    room_program = f"/api/v1/courtrooms/{hearing.courtroom_id}/program"
    assert api.put(room_program, json={"source": "bench"}).status_code == 200
    expect(public_tile.locator(".wall-program")).to_have_text("公众正在看：审判席", timeout=SLOW_MS)
    expect(public_tile).to_have_attribute("data-playing", "program")
    assert desk.evaluate(FRAMES_FROM_NOW, public_tile.element_handle()) == "shown"
    assert api.put(room_program, json={"source": "recess"}).status_code == 200
    expect(public_tile.locator(".wall-program")).to_have_text(
        "休庭画面：不对外播出", timeout=SLOW_MS
    )
    expect(public_tile).to_have_attribute("data-playing", "")

    with desk.expect_download() as downloading:
        desk.get_by_role("button", name="下载 CSV").click()
    sheet = downloading.value.path().read_bytes().decode("utf-8-sig")
    assert sheet.splitlines()[0].startswith("group,hearings_held,recorded")
    assert "第三法庭,1,1" in sheet

    desk.locator("[data-lang-switch]").click()
    expect(desk.locator("#figures-heading")).to_have_text("Hearing figures")
    expect(sealed_tile.locator(".wall-hearing")).to_have_text("No hearing to show now")
    screenshot(desk, "supervise-en")
