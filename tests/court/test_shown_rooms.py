"""What a lease row says a room shows the public is read back as written, and anything else
in it (a row written by a newer or broken process) reads as a dark room, never an error."""

from __future__ import annotations

from typing import Any

import pytest

from court.live.shown_rooms import DARK, ShownProgram, ShownRoom


@pytest.mark.parametrize(
    "room",
    [
        DARK,
        ShownRoom(["bench", "witness"], None),
        ShownRoom(["bench"], ShownProgram("bench", None)),
        ShownRoom([], ShownProgram(None, "off_record")),
    ],
)
def test_a_room_reads_back_as_written(room: ShownRoom) -> None:
    assert ShownRoom.from_json(room.to_json()) == room


@pytest.mark.parametrize(
    "stored",
    [
        None,
        [],
        "bench",
        {},
        {"cameras": "bench"},
        {"cameras": ["bench", 7]},
        {"cameras": ["bench"], "program": {"on_air": 7, "slate": None}},
        {"cameras": ["bench"], "program": {"on_air": None, "slate": ["recess"]}},
    ],
)
def test_anything_else_is_a_dark_room(stored: Any) -> None:
    assert ShownRoom.from_json(stored) == DARK
