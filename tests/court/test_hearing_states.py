"""The hearing state machine without a database: every move, its stamps and its refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from court.errors import Conflict
from court.hearing_states import TRANSITIONS, change_status, refusal
from storage.models import Hearing

AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def hearing(status: str) -> Hearing:
    return Hearing(status=status, actual_start=None, actual_end=None)


@pytest.mark.parametrize("current", sorted(TRANSITIONS))
@pytest.mark.parametrize("target", sorted(TRANSITIONS))
def test_every_move_is_allowed_exactly_as_the_table_says(current: str, target: str) -> None:
    allowed = target == current or target in TRANSITIONS[current]
    assert (refusal(current, target) is None) == allowed
    subject = hearing(current)
    if allowed:
        change_status(subject, target, AT)
        assert subject.status == target
    else:
        with pytest.raises(Conflict):
            change_status(subject, target, AT)
        assert subject.status == current


def test_refusal_names_where_the_hearing_may_go() -> None:
    assert refusal("in_session", "cancelled") == (
        "a hearing cannot go from in_session to cancelled; from in_session it may go to:"
        " closed, recess"
    )
    assert refusal("closed", "in_session") == (
        "a hearing cannot go from closed to in_session; from closed it may go to: nothing"
    )


def test_opening_stamps_the_first_start_and_closing_the_end() -> None:
    subject = hearing("scheduled")
    change_status(subject, "in_session", AT)
    change_status(subject, "recess", LATER)
    change_status(subject, "in_session", LATER)
    assert subject.actual_start == AT  # a return from recess is not a new start
    change_status(subject, "closed", LATER)
    assert subject.actual_end == LATER
    change_status(subject, "closed", AT)  # staying put changes nothing
    assert subject.actual_end == LATER


def test_only_a_scheduled_hearing_may_be_cancelled_and_it_stays_so() -> None:
    subject = hearing("scheduled")
    change_status(subject, "cancelled", AT)
    assert (subject.actual_start, subject.actual_end) == (None, None)
    assert TRANSITIONS["cancelled"] == frozenset()
