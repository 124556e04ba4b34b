"""One language at a time: after switching, /review (search results, a recording with its
markers, transcript and export panel), /watch-list and /watch/{hearing} (live) show no text of
the other language, judged against the locale tables; desktop and phone, a screenshot of each
page per language in tests/browser/screenshots/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.court import Hearing, create_hearing, created, publish_from_page
from tests.browser.language_sweep import (
    LocaleTables,
    assert_one_language,
    cjk_strings,
    parse_locale_source,
)
from tests.support.serials import case_number, serial
from tests.support.server import RunningServer

VIEWPORTS = {"desktop": "page", "phone": "phone_page"}
STEADY_S = 3.0
DECODED_FRAMES = "document.getElementById('player').getVideoPlaybackQuality().totalVideoFrames"


@dataclass(frozen=True)
class Court:
    """A public hearing in session whose `dock` camera publishes, with one stopped recording
    (a marker and a transcript line in it) for /review."""

    hearing: Hearing
    case_number: str
    recording_id: str


@pytest.fixture(scope="module")
def tables() -> LocaleTables:
    return LocaleTables.load()


@pytest.fixture(scope="module")
def court(browser: Browser, web_server: RunningServer) -> Iterator[Court]:
    headers = {"Authorization": f"Bearer {web_server.admin_token}"}
    with httpx.Client(base_url=web_server.base_url, headers=headers, timeout=30) as api:
        room = created(
            api.post(
                "/api/v1/courtrooms",
                json={
                    "name": f"第{serial()}法庭",
                    "cameras": ["bench", "dock"],
                    "camera_labels": {"dock": {"zh": "被告人席", "en": "Dock"}},
                },
            )
        )
        number = case_number()
        parties = [{"name": "张三", "role": "原告"}, {"name": "李四", "role": "被告"}]
        case = created(
            api.post(
                "/api/v1/cases",
                json={"number": number, "title": "张三诉李四合同纠纷", "parties": parties},
            )
        )
        hearing = created(
            api.post(
                "/api/v1/hearings",
                json={
                    "case_id": case["id"],
                    "courtroom_id": room["id"],
                    "title": "第一次开庭",
                    "scheduled_start": datetime.now(UTC).isoformat(),
                    "visibility": "public",
                    "presiding_judge": "王法官",
                },
            )
        )
        court_hearing = Hearing(str(hearing["id"]), str(room["id"]), ["bench", "dock"])
        context = browser.new_context(base_url=web_server.base_url)
        try:
            recording = created(api.post(f"/api/v1/hearings/{hearing['id']}/recordings"))
            publish_from_page(context.new_page(), api, court_hearing, "dock")
            record_a_while(api, str(recording["id"]))
            yield Court(court_hearing, number, str(recording["id"]))
        finally:
            context.close()


def picture_since(api: httpx.Client, recording_id: str) -> datetime | None:
    """When the dock camera's picture last began (its first segment, or the first after the
    last discontinuity: WebRTC may change picture size as it ramps up, and a clip may not cross
    such a change); None before the first segment."""
    path = f"/api/v1/recordings/{recording_id}/cameras/dock/playlist.m3u8"
    last_epoch = api.get(path).text.split("#EXT-X-DISCONTINUITY")[-1]
    found = re.search(r"#EXT-X-PROGRAM-DATE-TIME:(\S+)", last_epoch)
    return datetime.fromisoformat(found[1]) if found else None


def record_a_while(api: httpx.Client, recording_id: str) -> None:
    """Record until the picture has been steady for STEADY_S, then stop, and put a marker and
    a transcript line in that steady stretch (so a clip from the marker can be exported)."""
    deadline = time.monotonic() + 30
    while (since := picture_since(api, recording_id)) is None or (
        datetime.now(UTC) - since
    ).total_seconds() < STEADY_S:
        assert time.monotonic() < deadline, f"no steady picture recorded (since {since})"
        time.sleep(0.5)
    stopped = api.post(f"/api/v1/recordings/{recording_id}/stop")
    assert stopped.status_code == 200, stopped.text
    since = picture_since(api, recording_id)
    (dock,) = (track for track in stopped.json()["tracks"] if track["camera"] == "dock")
    end = datetime.fromisoformat(dock["last_segment_end"])
    assert since is not None and end > since
    at = (since + min(timedelta(seconds=1), (end - since) / 2)).isoformat()
    created(
        api.post(
            f"/api/v1/recordings/{recording_id}/markers",
            json={"at": at, "kind": "witness_sworn", "text": "证人王五"},
        )
    )
    created(
        api.post(
            f"/api/v1/recordings/{recording_id}/transcript",
            json={"at": at, "speaker_role": "审判长", "text": "现在开庭。"},
        )
    )


def user_data(api: httpx.Client, *paths: str) -> set[str]:
    """The CJK strings of these API answers: what staff typed may show in either language."""
    return set().union(*(cjk_strings(api.get(path).json()) for path in paths))


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_review_speaks_one_language(
    request: pytest.FixtureRequest,
    viewport: str,
    court: Court,
    tables: LocaleTables,
    api: httpx.Client,
    web_server: RunningServer,
) -> None:
    review: Page = request.getfixturevalue(VIEWPORTS[viewport])
    review.goto("/review")
    review.get_by_label("法官令牌").fill(web_server.admin_token)
    review.get_by_label("案号").fill(court.case_number)
    review.get_by_role("button", name="搜索").click()
    expect(review.locator("#search-status")).to_have_text("找到 1 次庭审", timeout=10_000)
    review.locator(".open-recording").first.click()
    expect(review.locator("#viewer")).to_be_visible()
    expect(review.locator("#markers li")).to_have_count(1, timeout=10_000)
    review.locator("#clip-marker").select_option(index=1)
    with review.expect_download():
        review.locator("#export-mp4").click()
    expect(review.locator("#export-range")).to_contain_text("已导出", timeout=15_000)

    allowed = user_data(
        api,
        f"/api/v1/hearings?case_number={court.case_number}",
        "/api/v1/courtrooms",
        f"/api/v1/recordings/{court.recording_id}/markers",
        f"/api/v1/recordings/{court.recording_id}/transcript",
    )
    assert_one_language(review, tables, name="review", viewport=viewport, allowed=allowed)

    # Camera names by their display label, times on the court's clock, in each language
    caption = review.locator("#videos figcaption")
    expect(caption).to_have_text("被告人席")
    expect(review.locator("#main-camera option")).to_have_text(["被告人席"])
    position = review.locator("#position").text_content()
    review.locator("[data-lang-switch]").click()
    expect(caption).to_have_text("Dock")
    expect(review.locator("#export-range")).to_contain_text("Exported")
    expect(review.locator("#search-status")).to_have_text("1 hearing(s) found")
    assert review.locator("#position").text_content() == position  # 24-hour court clock

    # A refused export says why in the page's language (from its reason code), and switches
    clip_from, clip_to = (review.locator(f"#clip-{end}").input_value() for end in ("from", "to"))
    review.locator("#clip-from").fill(clip_to)
    review.locator("#clip-to").fill(clip_from)
    review.locator("#export-mp4").click()
    status = review.locator("#export-status")
    expect(status).to_have_text(
        "Error: That time range is empty or outside the recording", timeout=10_000
    )
    review.locator("[data-lang-switch]").click()
    expect(status).to_have_text("出错了：所选时段无效或不在录像范围内")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", ["watch-list", "watch"])
def test_public_pages_speak_one_language(
    request: pytest.FixtureRequest,
    name: str,
    viewport: str,
    court: Court,
    tables: LocaleTables,
    api: httpx.Client,
) -> None:
    watcher: Page = request.getfixturevalue(VIEWPORTS[viewport])
    if name == "watch-list":
        watcher.goto("/watch")
        expect(watcher.locator(f"a[href*='{court.hearing.id}']")).to_be_visible(timeout=10_000)
        shown = "/api/v1/public/hearings"
    else:
        watcher.goto(f"/watch/{court.hearing.id}?camera=dock")
        watcher.wait_for_function(f"() => {DECODED_FRAMES} > 0", timeout=15_000)
        shown = f"/api/v1/public/hearings/{court.hearing.id}"
    allowed = user_data(api, shown)
    assert_one_language(watcher, tables, name=name, viewport=viewport, allowed=allowed)
    if name == "watch":  # the camera the court named 被告人席 / Dock, in either language
        dock = watcher.locator("#camera option[value='dock']")
        for _ in range(2):
            lang = watcher.evaluate("() => document.documentElement.lang")
            expect(dock).to_have_text({"zh-CN": "被告人席", "en": "Dock"}[lang])
            watcher.locator("[data-lang-switch]").click()


# What api.js makes of refusals, in each language: [code, status, no mapping (405)].
REFUSALS = """async (hearingId) => {
  const { api, errorMessage } = await import("/assets/js/api.js");
  const { setLang } = await import("/assets/js/i18n.js");
  const calls = [
    [`/api/v1/public/hearings/${hearingId}/tickets`, "POST", { code: "0000-0000-0000" }],
    ["/api/v1/hearings/no-such-hearing", "GET"],
    ["/api/v1/hearings/no-such-hearing", "PUT", {}],
  ];
  const errors = [];
  for (const [path, method, body] of calls) {
    errors.push(await api(path, { method, body }).then(() => null, (error) => error));
  }
  const said = {};
  for (const lang of ["zh-CN", "en"]) {
    setLang(lang);
    said[lang] = errors.map(errorMessage);
  }
  return said;
}"""


def test_api_refusals_read_in_the_page_language(
    page: Page, api: httpx.Client, web_server: RunningServer
) -> None:
    hearing = create_hearing(api, ["bench"])
    restricted = api.patch(f"/api/v1/hearings/{hearing.id}", json={"visibility": "restricted"})
    assert restricted.status_code == 200, restricted.text
    page.goto("/review")
    page.evaluate(f"() => sessionStorage.setItem('courtcast.token', '{web_server.admin_token}')")
    said = page.evaluate(REFUSALS, hearing.id)
    assert said == {
        "zh-CN": ["访问码无效", "找不到要找的内容（可能已被删除）", "Method Not Allowed"],
        "en": [
            "The access code is not valid",
            "Not found (it may have been removed)",
            "Method Not Allowed",
        ],
    }


def test_locale_tables_parse_as_the_pages_read_them() -> None:
    source = """// a comment, "quoted"
export default {
  "a": "x // not a comment", /* a block
  comment */ "b": "{n} 次",
};
"""
    assert parse_locale_source(source) == {"a": "x // not a comment", "b": "{n} 次"}
    with pytest.raises(ValueError, match="keys defined twice: a"):
        parse_locale_source('export default { "a": "1", "a": "2" };')
    tables = LocaleTables.load()
    assert tables.tables["en"]["review.title"] == "Recording review"
    assert "庭审录像调阅" in tables.foreign_messages("en")


def test_the_sweep_names_text_of_the_other_language() -> None:
    tables = LocaleTables.load()
    texts = [
        {"where": "h1", "text": "庭审录像调阅"},  # a Chinese label left on an English page
        {"where": "#status", "text": "找到 3 次庭审"},  # a Chinese message with its var filled
        {"where": ".parties", "text": "Parties: 原告 张三；被告 李四"},  # user data, Chinese ；
        {"where": ".judge", "text": "Presiding: 王法官"},  # user data alone: fine
        {"where": "button", "text": "中文"},  # the switch names the other language: fine
    ]
    allowed = {"原告", "张三", "被告", "李四", "王法官"}
    found = [f.where for f in tables.findings("en", texts, allowed)]
    assert found == ["h1", "#status", ".parties"]
    english_left = [
        {"where": "#status", "text": "2 hearing(s) found"},
        {"where": "b", "text": "搜索"},
    ]
    assert [f.where for f in tables.findings("zh-CN", english_left)] == ["#status"]
