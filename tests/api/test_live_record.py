"""The record in the room (api/routes/live_record.py): who reads the clerk's record as it is
written, how soon a change reaches a waiting viewer, and what never reaches one."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.fixtures_api import create_case, create_courtroom, create_hearing
from tests.support.server import RunningServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def in_session(admin: httpx.AsyncClient, room: str, hearing: str) -> str:
    """Start the hearing's recording (no camera needed): it is its room's hearing in session."""
    started = await admin.post(f"/api/v1/hearings/{hearing}/recordings")
    assert started.status_code == 201, started.text
    recording: str = started.json()["id"]
    return recording


async def write(
    admin: httpx.AsyncClient, recording: str, text: str, **extra: Any
) -> dict[str, Any]:
    body = {"at": datetime.now(UTC).isoformat(), "speaker_role": "审判长", "text": text, **extra}
    written = await admin.post(f"/api/v1/recordings/{recording}/transcript", json=body)
    assert written.status_code == 201, written.text
    line: dict[str, Any] = written.json()
    return line


def texts(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [line["text"] for line in answer.json()["lines"]]


async def test_a_waiting_viewer_gets_each_line_and_correction_within_a_second_and_no_staff_line(
    api_server: RunningServer,
) -> None:
    async with (
        api_server.client() as admin,
        httpx.AsyncClient(base_url=api_server.base_url, timeout=30) as anyone,
    ):
        room = (await create_courtroom(admin, ["bench"])).id
        hearing = await create_hearing(admin, room)
        url = f"/api/v1/live/{hearing}/record"
        early = await anyone.get(url)
        assert (early.status_code, early.json()) == (
            404,
            {"detail": "the hearing is not in session"},
        )
        recording = await in_session(admin, room, hearing)
        first = await anyone.get(url)
        assert first.json() == {"version": 0, "lines": []}
        assert first.headers["cache-control"] == "private, no-store"

        waiting = asyncio.ensure_future(anyone.get(url, params={"after": 0}))
        await asyncio.sleep(0.5)
        assert not waiting.done()
        await write(admin, recording, "仅供合议庭：证据三另行审查", staff_only=True)
        await asyncio.sleep(1.0)
        assert not waiting.done()  # a staff-only line changes nothing shown
        line = await write(admin, recording, "现在开庭。")
        written_at = time.monotonic()
        answer = await waiting
        assert time.monotonic() - written_at < 1.0
        assert answer.json()["version"] == 1
        assert texts(answer) == ["现在开庭。"]

        waiting = asyncio.ensure_future(anyone.get(url, params={"after": 1}))
        await asyncio.sleep(0.3)
        edited = await admin.put(
            f"/api/v1/recordings/{recording}/transcript/{line['id']}",
            json={"speaker_role": "审判长", "text": "现在开庭，核对当事人身份。"},
        )
        assert edited.status_code == 200, edited.text
        corrected = (await waiting).json()
        assert corrected["version"] == 2
        assert [(x["text"], x["corrected"]) for x in corrected["lines"]] == [
            ("现在开庭，核对当事人身份。", True)
        ]
        staff = await admin.get(url)
        assert texts(staff) == ["现在开庭，核对当事人身份。"]  # the shown record, staff too


async def test_the_delay_holds_lines_back_and_the_kill_switch_cuts_the_record(
    api_server: RunningServer,
) -> None:
    async with (
        api_server.client() as admin,
        httpx.AsyncClient(base_url=api_server.base_url, timeout=30) as anyone,
    ):
        room = (await create_courtroom(admin, ["bench"])).id
        hearing = await create_hearing(admin, room)
        recording = await in_session(admin, room, hearing)
        delayed = await admin.put(
            f"/api/v1/hearings/{hearing}/broadcast", json={"on": True, "delay_s": 2}
        )
        assert delayed.status_code == 200, delayed.text
        url = f"/api/v1/live/{hearing}/record"
        await write(admin, recording, "请证人退庭。")
        assert texts(await anyone.get(url)) == []  # not before the broadcast shows it
        assert texts(await admin.get(url)) == ["请证人退庭。"]  # staff see the live edge
        waited = time.monotonic()
        answer = await anyone.get(url, params={"after": 0})
        assert texts(answer) == ["请证人退庭。"]
        assert 1.0 < time.monotonic() - waited < 3.0
        cut = await admin.put(f"/api/v1/hearings/{hearing}/broadcast", json={"on": False})
        assert cut.status_code == 200, cut.text
        stopped = await anyone.get(url)
        assert (stopped.status_code, stopped.json()) == (
            403,
            {"detail": "the court has stopped the broadcast of this hearing"},
        )


async def test_sealed_and_restricted_records_answer_as_their_video_does(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        sealed_room = (await create_courtroom(admin, ["bench"])).id
        sealed = await create_hearing(admin, sealed_room, "sealed")
        sealed_recording = await in_session(admin, sealed_room, sealed)
        await write(admin, sealed_recording, "密封案件的记录")
        room = (await create_courtroom(admin, ["bench"])).id
        case = await create_case(admin)
        restricted = await create_hearing(admin, room, "restricted", case_id=case)
        recording = await in_session(admin, room, restricted)
        await write(admin, recording, "家属可见的记录")
        made = await admin.post(f"/api/v1/cases/{case}/access-codes", json={"label": "家属"})
        assert made.status_code == 201, made.text
        judge = await admin.post("/api/v1/tokens", json={"role": "judge", "name": "审判员"})
        assert texts(await admin.get(f"/api/v1/live/{sealed}/record")) == ["密封案件的记录"]
    async with httpx.AsyncClient(base_url=api_server.base_url, timeout=30) as anyone:
        for hearing in (sealed, "0" * 32):
            hidden = await anyone.get(f"/api/v1/live/{hearing}/record")
            assert (hidden.status_code, hidden.json()) == (404, {"detail": "hearing not found"})
        asked = await anyone.get(f"/api/v1/live/{restricted}/record")
        assert asked.status_code == 401, asked.text
        opened = await anyone.get(
            f"/api/v1/live/{restricted}/record", params={"code": made.json()["code"]}
        )
        assert texts(opened) == ["家属可见的记录"]
    async with api_server.client(judge.json()["token"]) as unassigned:
        hidden = await unassigned.get(f"/api/v1/live/{sealed}/record")
        assert (hidden.status_code, hidden.json()) == (404, {"detail": "hearing not found"})


async def test_the_display_shows_the_case_parties_and_exhibit_or_a_notice(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        other = (await create_courtroom(admin, ["bench"])).id
        parties = [{"name": "张三", "role": "原告"}, {"name": "李四", "role": "被告"}]
        case = await create_case(admin, parties=parties)
        hearing = await create_hearing(admin, room, case_id=case)
        screen = await admin.post(
            "/api/v1/tokens",
            json={
                "role": "screen",
                "name": "法庭大屏",
                "place": "courtroom",
                "courtroom_ids": [room],
                "visibilities": ["public"],
            },
        )
        assert screen.status_code == 201, screen.text
        display = f"/api/v1/courtrooms/{room}/display"
        async with api_server.client(screen.json()["token"]) as wall:
            idle = await wall.get(display)
            assert idle.json() == {"courtroom": "第三法庭", "hearing": None, "notice": None}
            recording = await in_session(admin, room, hearing)
            marker = await admin.post(
                f"/api/v1/recordings/{recording}/markers",
                json={
                    "at": datetime.now(UTC).isoformat(),
                    "kind": "exhibit_shown",
                    "text": "证据一：借款合同",
                },
            )
            assert marker.status_code == 201, marker.text
            shown = (await wall.get(display)).json()["hearing"]
            assert shown["id"] == hearing
            assert shown["parties"] == parties
            assert shown["exhibit"] == "证据一：借款合同"
            await admin.post(f"/api/v1/recordings/{recording}/stop")
            sealed = await create_hearing(admin, room, "sealed")
            await in_session(admin, room, sealed)
            notice = await wall.get(display)
            assert notice.json() == {
                "courtroom": "第三法庭",
                "hearing": None,
                "notice": "not_for_this_display",
            }
            for unreachable in (other, "0" * 32):
                refused = await wall.get(f"/api/v1/courtrooms/{unreachable}/display")
                assert (refused.status_code, refused.json()) == (
                    404,
                    {"detail": "courtroom not found"},
                )
