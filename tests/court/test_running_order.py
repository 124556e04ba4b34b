"""Estimated starts and the shown running order of a sitting, without an index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from court.running_order import DEFAULT_HEARING_S, estimated_starts, next_shown, shown_order
from court.sittings import OrderEntry
from storage.models import Hearing
from storage.sitting_models import Sitting

NOW = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def entry(
    position: int, visibility: str, status: str = "scheduled", **times: datetime
) -> OrderEntry:
    hearing = Hearing(
        id=f"h{position}", title="听证", visibility=visibility, status=status, **times
    )
    return OrderEntry(position, hearing, f"(2026)湘04刑更{position}号", "减刑")


def test_a_planned_sitting_counts_from_its_planned_start_in_default_steps() -> None:
    sitting = Sitting(status="planned", position=None, scheduled_start=NOW + timedelta(hours=1))
    order = [entry(0, "public"), entry(1, "restricted"), entry(2, "public")]
    step = timedelta(seconds=DEFAULT_HEARING_S)
    assert estimated_starts(sitting, order, NOW) == {
        0: NOW + timedelta(hours=1),
        1: NOW + timedelta(hours=1) + step,
        2: NOW + timedelta(hours=1) + 2 * step,
    }


def test_a_running_sitting_takes_its_own_average_and_sealed_hearings_take_no_time() -> None:
    sitting = Sitting(status="running", position=1, scheduled_start=NOW - timedelta(hours=1))
    ten = timedelta(minutes=10)
    order = [
        entry(0, "public", "closed", actual_start=NOW - 3 * ten, actual_end=NOW - 2 * ten),
        entry(1, "public", "in_session", actual_start=NOW - ten),
        entry(2, "sealed"),
        entry(3, "restricted"),
        entry(4, "public", "cancelled"),
        entry(5, "public"),
    ]
    # the current hearing began 10 min ago and hearings take 10 min here: the next starts now
    assert estimated_starts(sitting, order, NOW) == {3: NOW, 5: NOW + ten}

    shown = shown_order(sitting, order, named=lambda h: h.visibility == "public", now=NOW)
    assert [(e.number, e.hearing_id) for e in shown] == [
        (1, "h0"),
        (2, "h1"),
        (3, "h3"),
        (4, "h4"),
        (5, "h5"),
    ]
    assert [e.current for e in shown] == [False, True, False, False, False]
    assert shown[2].case_number == "" and shown[4].case_number == "(2026)湘04刑更5号"
    upcoming = next_shown(shown)
    assert upcoming is not None and upcoming.hearing_id == "h3"


def test_an_ended_sitting_estimates_nothing() -> None:
    sitting = Sitting(status="ended", position=0, scheduled_start=NOW)
    assert estimated_starts(sitting, [entry(0, "public", "closed")], NOW) == {}
