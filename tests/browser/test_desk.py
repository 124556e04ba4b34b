"""/desk: a courtroom with named cameras, a case with parties and a hearing set up entirely in
the page; a camera's publish link and its QR code (decoded from a screenshot, as a phone would)
open the publish page and go live; the hearing is found in /review by a party's name; the camera
token is revoked. Desktop and phone, with screenshots in both languages."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import av
import httpx
import pytest
import zxingcpp
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.language_sweep import LocaleTables, assert_one_language
from tests.support.serials import case_number, serial
from tests.support.server import RunningServer

COURT = ZoneInfo("Asia/Shanghai")  # the test server's COURTCAST_COURT_TIMEZONE


def decode_qr(png: bytes) -> list[str]:
    """The texts of the QR codes in a PNG screenshot."""
    with av.open(io.BytesIO(png), format="png_pipe") as container:
        frame = next(container.decode(video=0))
    return [barcode.text for barcode in zxingcpp.read_barcodes(frame.to_ndarray(format="gray"))]


@pytest.fixture(scope="module")
def tables() -> LocaleTables:
    return LocaleTables.load()


def user_data(api: httpx.Client) -> list[str]:
    """What people typed, which stays as typed in either language: every name the desk lists."""
    rooms = api.get("/api/v1/courtrooms").json()
    cases = api.get("/api/v1/cases").json()
    hearings = api.get("/api/v1/hearings", params={"limit": 200}).json()["items"]
    tokens = api.get("/api/v1/tokens").json()
    texts = [r["name"] for r in rooms] + [t["name"] for t in tokens]
    texts += [
        label for r in rooms for names in r["camera_labels"].values() for label in names.values()
    ]
    texts += [text for c in cases for text in (c["number"], c["title"])]
    texts += [p[key] for c in cases for p in c["parties"] for key in ("name", "role")]
    texts += [
        text
        for h in hearings
        for text in (
            h["title"],
            h["presiding_judge"],
            h["case_number"],
            h["case_title"],
            h["courtroom_name"],
        )
    ]
    return [text for text in texts if text]


def sign_in(desk: Page, token: str) -> None:
    desk.goto("/desk")
    desk.get_by_label("管理员或操作员令牌").fill(token)
    desk.get_by_role("button", name="打开排期台").click()
    expect(desk.locator("#desk")).to_be_visible()


def room_card(desk: Page, name: str) -> Locator:
    return desk.locator("article.room").filter(has=desk.get_by_role("heading", name=name))


def camera_row(card: Locator, camera: str) -> Locator:
    return card.locator(f'tr[data-camera="{camera}"]')


def accept_next_dialog(page: Page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())


def set_up_courtroom(desk: Page, api: httpx.Client, room: str) -> dict[str, object]:
    desk.get_by_label("法庭名称").fill(room)
    desk.get_by_label("机位（英文名，逗号分隔）").fill("bench, witness")
    desk.get_by_role("button", name="新建法庭").click()
    card = room_card(desk, room)
    expect(card).to_be_visible()
    for camera, zh, en in (("bench", "审判席", "Bench"), ("witness", "证人席", "Witness stand")):
        camera_row(card, camera).locator(".camera-zh").fill(zh)
        camera_row(card, camera).locator(".camera-en").fill(en)
    card.get_by_role("button", name="保存机位").click()
    expect(card.get_by_role("status")).to_have_text("机位已保存。")
    (courtroom,) = [r for r in api.get("/api/v1/courtrooms").json() if r["name"] == room]
    assert courtroom["cameras"] == ["bench", "witness"]
    assert courtroom["camera_labels"] == {
        "bench": {"zh": "审判席", "en": "Bench"},
        "witness": {"zh": "证人席", "en": "Witness stand"},
    }
    return dict(courtroom)


def set_up_case(desk: Page, api: httpx.Client, number: str, party: str) -> dict[str, object]:
    form = desk.locator("#case-form")
    form.get_by_label("案号").fill(number)
    form.get_by_label("案件名称").fill("合同纠纷")
    form.locator(".party-name").nth(0).fill("张三")
    form.locator(".party-role").nth(0).fill("原告")
    form.get_by_role("button", name="添加当事人").click()
    form.locator(".party-name").nth(1).fill(party)
    form.locator(".party-role").nth(1).fill("被告")
    form.get_by_role("button", name="新建案件").click()
    expect(desk.locator("#case-status")).to_have_text(f"案件 {number} 已建立。")
    item = desk.locator("#case-list li").filter(has_text=number)
    expect(item.locator(".parties-text")).to_have_text(f"原告：张三、被告：{party}")
    # edit: a better title (PATCH), parties kept
    item.get_by_role("button", name="修改").click()
    form.get_by_label("案件名称").fill(f"张三诉{party}合同纠纷")
    form.get_by_role("button", name="保存修改").click()
    expect(desk.locator("#case-status")).to_have_text(f"案件 {number} 已修改。")
    (case,) = [c for c in api.get("/api/v1/cases").json() if c["number"] == number]
    assert case["title"] == f"张三诉{party}合同纠纷"
    assert case["parties"] == [{"name": "张三", "role": "原告"}, {"name": party, "role": "被告"}]
    return dict(case)


def schedule_hearing(desk: Page, api: httpx.Client, case_id: str, room: str) -> dict[str, object]:
    day = (datetime.now(COURT) + timedelta(days=1)).date()
    form = desk.locator("#hearing-form")
    expect(form.get_by_label("案件")).to_have_value(case_id)  # the case just saved is chosen
    form.get_by_label("庭审名称").fill("第一次开庭")
    form.get_by_label("法庭").select_option(label=room)
    form.get_by_label("日期").fill(day.isoformat())
    form.get_by_label("时间").fill("09:30")
    form.get_by_label("审判长").fill("王法官")
    form.get_by_label("公开范围").select_option("public")
    form.get_by_role("button", name="排期").click()
    item = desk.locator("#hearing-list li").filter(has_text="第一次开庭").filter(has_text=room)
    expect(item).to_have_count(1)
    expect(item).to_contain_text("审判长：王法官")
    hearings = api.get("/api/v1/hearings", params={"case_id": case_id}).json()["items"]
    (hearing,) = hearings
    start = datetime.fromisoformat(hearing["scheduled_start"])
    assert start == datetime(day.year, day.month, day.day, 9, 30, tzinfo=COURT)
    assert hearing["presiding_judge"] == "王法官"
    return dict(hearing)


def qr_link(desk: Page, card: Locator, base_url: str) -> str:
    """Create the bench camera's link; the QR code shown must decode to exactly the link."""
    camera_row(card, "bench").get_by_role("button", name="生成推流链接").click()
    panel = card.locator(".publish-link-panel")
    expect(panel).to_contain_text("审判席")
    link = panel.locator(".link-text").inner_text()
    assert link.startswith(f"{base_url}/publish#token=")
    qr = panel.locator("img.qr")
    expect(qr).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
    desk.wait_for_function("() => document.querySelector('img.qr')?.naturalWidth > 0")
    assert decode_qr(qr.screenshot()) == [link]
    return link


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_desk_sets_up_a_hearing_and_a_camera_link(
    request: pytest.FixtureRequest,
    viewport: str,
    api: httpx.Client,
    browser: Browser,
    web_server: RunningServer,
    tables: LocaleTables,
) -> None:
    size = "phone" if viewport == "phone_page" else "desktop"
    desk: Page = request.getfixturevalue(viewport)
    tag = serial()
    room, party = f"第{tag}法庭", f"李四{tag}"
    number = f"（2026）湘04民初{tag}号"  # full-width, as a Chinese input method types it

    sign_in(desk, web_server.admin_token)
    courtroom = set_up_courtroom(desk, api, room)
    case = set_up_case(desk, api, number, party)
    schedule_hearing(desk, api, str(case["id"]), room)

    card = room_card(desk, room)
    link = qr_link(desk, card, web_server.base_url)

    # a phone opens the link and publishes at once: courtroom and camera come from the token
    phone = browser.new_context(
        base_url=web_server.base_url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        camera = phone.new_page()
        camera.goto(link)
        camera.get_by_role("button", name="开始推流").click()
        expect(camera.locator("#state")).to_have_class("state state-live", timeout=20_000)
        assert "token=" not in camera.url
    finally:
        phone.close()

    # the hearing is found in /review by a party's name
    review = desk.context.new_page()
    review.goto("/review")
    if review.get_by_label("法官令牌").is_visible():
        review.get_by_label("法官令牌").fill(web_server.admin_token)
    review.get_by_label("当事人").fill(party)
    review.get_by_role("button", name="搜索").click()
    expect(review.locator("#results li").filter(has_text=number)).to_have_count(1)
    review.close()

    # revoke the camera's token: gone from the list and refused by the API
    token_item = desk.locator("#token-list li").filter(has_text=f"{room} · bench")
    expect(token_item).to_have_count(1)
    accept_next_dialog(desk)
    token_item.get_by_role("button", name="撤销").click()
    expect(token_item).to_have_count(0)
    tokens = api.get("/api/v1/tokens").json()
    (revoked,) = [t for t in tokens if t["courtroom_ids"] == [courtroom["id"]]]
    assert revoked["revoked_at"] is not None

    # one language at a time: whatever the desk lists, only user data stays in Chinese
    assert_one_language(desk, tables, name="desk", viewport=size, allowed=user_data(api))


def test_desk_moves_and_cancels_a_hearing(
    page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    tag = serial()
    rooms = [f"第{tag}A法庭", f"第{tag}B法庭"]
    ids = [
        api.post("/api/v1/courtrooms", json={"name": name, "cameras": ["bench"]}).json()["id"]
        for name in rooms
    ]
    number = f"(2026)湘04刑初{tag}号"
    sign_in(page, web_server.admin_token)
    page.locator("#case-form").get_by_label("案号").fill(number)
    page.locator("#case-form").get_by_label("案件名称").fill("盗窃案")
    page.get_by_role("button", name="新建案件").click()
    expect(page.locator("#case-status")).to_have_text(f"案件 {number} 已建立。")
    (case_id,) = [c["id"] for c in api.get("/api/v1/cases").json() if c["number"] == number]
    expect(page.locator("#hearing-case")).to_have_value(case_id)
    form = page.locator("#hearing-form")
    first, second = f"庭前会议{tag}", f"第一次开庭{tag}"
    for title in (first, second):
        form.get_by_label("庭审名称").fill(title)
        form.get_by_label("法庭").select_option(label=rooms[0])
        form.get_by_label("日期").fill("2030-05-06")
        form.get_by_label("时间").fill("09:00")
        form.get_by_role("button", name="排期").click()
        expect(page.locator("#hearing-list li").filter(has_text=title)).to_have_count(1)

    # move the first to 14:30 the next day in the other courtroom
    item = page.locator("#hearing-list li").filter(has_text=first)
    item.get_by_role("button", name="改期或换法庭").click()
    item.locator(".move-date").fill("2030-05-07")
    item.locator(".move-time").fill("14:30")
    item.locator(".move-room").select_option(label=rooms[1])
    item.get_by_role("button", name="确认改期").click()
    expect(page.locator("#hearing-status")).to_have_text("庭审已改期。")

    # cancel the second
    accept_next_dialog(page)
    item = page.locator("#hearing-list li").filter(has_text=second)
    item.get_by_role("button", name="取消庭审").click()
    expect(page.locator("#hearing-status")).to_have_text("庭审已取消。")
    expect(item.locator(".badge-cancelled")).to_have_text("已取消")
    expect(item.get_by_role("button", name="取消庭审")).to_have_count(0)

    found = api.get("/api/v1/hearings", params={"case_id": case_id}).json()["items"]
    by_title = {h["title"]: h for h in found}
    moved = by_title[first]
    assert datetime.fromisoformat(moved["scheduled_start"]) == datetime(
        2030, 5, 7, 14, 30, tzinfo=COURT
    )
    assert moved["courtroom_id"] == ids[1]
    assert by_title[second]["status"] == "cancelled"


def test_desk_says_why_a_case_is_refused(page: Page, web_server: RunningServer) -> None:
    """A case number typed again in full-width is the same case: the page says so in words."""
    number = case_number()
    sign_in(page, web_server.admin_token)
    form = page.locator("#case-form")
    full_width = number.replace("(", "（").replace(")", "）")
    for typed, said in (
        (number, f"案件 {number} 已建立。"),
        (full_width, f"案号 {full_width} 已存在。"),
    ):
        form.get_by_label("案号").fill(typed)
        form.get_by_label("案件名称").fill("合同纠纷")
        form.get_by_role("button", name="新建案件").click()
        expect(page.locator("#case-status")).to_have_text(said)
    page.locator("[data-lang-switch]").click()
    expect(page.locator("#case-status")).to_contain_text("already exists")


def test_operator_desk_is_its_courtrooms(page: Page, api: httpx.Client) -> None:
    """An operator sees and edits only the courtrooms its token may use, and neither creates
    courtrooms nor tokens (an admin's acts): those parts of the desk are not shown."""
    tag = serial()
    mine, other = f"第{tag}甲法庭", f"第{tag}乙法庭"
    rooms = [
        api.post("/api/v1/courtrooms", json={"name": name, "cameras": ["bench"]}).json()
        for name in (mine, other)
    ]
    operator = api.post(
        "/api/v1/tokens",
        json={"role": "operator", "name": "书记员", "courtroom_ids": [rooms[0]["id"]]},
    ).json()["token"]
    sign_in(page, operator)
    expect(room_card(page, mine)).to_be_visible()
    expect(room_card(page, other)).to_have_count(0)
    expect(page.locator("#hearing-room option")).to_have_text([mine])
    expect(page.locator("#room-form")).to_be_hidden()
    expect(page.locator("#tokens")).to_be_hidden()
    expect(page.get_by_role("button", name="生成推流链接")).to_have_count(0)

    card = room_card(page, mine)
    camera_row(card, "bench").locator(".camera-zh").fill("审判席")
    card.get_by_role("button", name="保存机位").click()
    expect(card.get_by_role("status")).to_have_text("机位已保存。")
    saved = api.get(f"/api/v1/courtrooms/{rooms[0]['id']}").json()
    assert saved["camera_labels"]["bench"] == {"zh": "审判席", "en": None}


def test_desk_token_is_shown_once_and_revoked(
    page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    """A judge's token made in the form: its secret shown once (and it works), listed, revoked."""
    tag = serial()
    room = f"第{tag}丙法庭"
    api.post("/api/v1/courtrooms", json={"name": room, "cameras": ["bench"]})
    sign_in(page, web_server.admin_token)
    form = page.locator("#token-form")
    form.get_by_label("角色").select_option("judge")
    form.get_by_label("名称（谁使用）").fill(f"王法官{tag}")
    form.locator("#token-rooms label").filter(has_text=room).locator("input").check()
    form.get_by_role("button", name="生成令牌").click()
    expect(page.locator("#new-token")).to_be_visible()
    secret = page.locator("#new-token-secret").inner_text()
    me = httpx.get(
        f"{web_server.base_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
    ).json()
    assert (me["role"], me["name"], [r["name"] for r in me["courtrooms"]]) == (
        "judge",
        f"王法官{tag}",
        [room],
    )
    item = page.locator("#token-list li").filter(has_text=f"王法官{tag}")
    expect(item).to_contain_text(f"法官 · {room}")
    accept_next_dialog(page)
    item.get_by_role("button", name="撤销").click()
    expect(item).to_have_count(0)
    expect(page.locator("#token-status")).to_have_text(f"令牌“王法官{tag}”已撤销。")
    gone = httpx.get(
        f"{web_server.base_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
    )
    assert gone.status_code == 401
