"""Alarms reach pages as a code and its params (the page says them in its language); the
English message stays for logs and API clients."""

from __future__ import annotations

import asyncio
from typing import Any

from court.monitoring.alarms import Alarm, AlarmBoard


def test_an_alarm_carries_its_code_and_params_beside_its_message() -> None:
    alarm = Alarm(
        "no_frames",
        "room/bench",
        "no frames from camera bench for 2.5 s",
        details={"camera": "bench"},
        courtroom_id="room",
    )
    body = alarm.as_json()
    assert body["code"] == "no_frames"
    assert body["params"] == {"camera": "bench"}
    assert body["message"] == "no frames from camera bench for 2.5 s"


def test_listeners_hear_the_code_and_params() -> None:
    async def heard() -> dict[str, Any]:
        board = AlarmBoard()
        events = board.listen()
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0)
        board.raise_alarm(
            Alarm("spool_full", "spool", "spool full", details={"used_bytes": 9, "max_bytes": 9})
        )
        event = await first
        return event

    event = asyncio.run(heard())
    assert event["type"] == "alarm.raised"
    assert event["alarm"]["code"] == "spool_full"
    assert event["alarm"]["params"] == {"used_bytes": 9, "max_bytes": 9}
