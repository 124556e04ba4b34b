"""The live rule's whole truth table (court/in_session.py): every combination of its inputs.

The expectations below are written as the court states them, one sentence per
rule, and checked against every combination, not against a copy of the code.
"""

from __future__ import annotations

import itertools

import pytest

from court.in_session import LiveFacts, Refusal, live_verdict

VISIBILITIES = ("public", "restricted", "sealed")
STATUSES = ("scheduled", "in_session", "recess", "closed")


def every_situation() -> list[LiveFacts]:
    """All combinations the index can produce (a hearing cannot be in session in an idle room;
    a viewing point's token is no staff token)."""
    situations = []
    for visibility, status, here, idle, staff, entitled, code, on, screen in itertools.product(
        VISIBILITIES, STATUSES, *([(False, True)] * 7)
    ):
        if (here and idle) or (staff and screen):
            continue
        situations.append(
            LiveFacts(visibility, status, here, idle, staff, entitled, code, on, screen)
        )
    return situations


SITUATIONS = every_situation()


def test_the_table_is_complete() -> None:
    # (here, idle) has three possible values; (staff, screen) three
    assert len(SITUATIONS) == 3 * 4 * 3 * 2**3 * 3


@pytest.mark.parametrize("facts", SITUATIONS, ids=str)
def test_each_situation(facts: LiveFacts) -> None:
    verdict = live_verdict(facts)
    opened = facts.status in ("in_session", "recess")
    live = facts.in_session_here and opened

    # A sealed hearing exists only for entitled staff: everyone else gets "not found".
    if facts.visibility == "sealed" and not (facts.staff and facts.entitled):
        assert verdict is Refusal.NOT_FOUND
        return
    assert verdict is not Refusal.NOT_FOUND

    # Staff of the room watch the hearing in session, or preview an idle room, in real time;
    # never the broadcast, never through another hearing while one is in session.
    if facts.staff:
        if live or (facts.room_idle and facts.status != "closed"):
            assert verdict == "staff"
        else:
            assert verdict is Refusal.NOT_IN_SESSION
        return
    assert verdict != "staff"

    # The public and code holders see a hearing only while it is the room's hearing in session.
    if not live:
        assert verdict is Refusal.NOT_IN_SESSION
        return
    # A viewing point shows what it is granted, with no code, but the kill switch stops it.
    if facts.screen:
        assert verdict == ("screen" if facts.broadcast_on else Refusal.STOPPED)
        return
    assert verdict != "screen"
    # A restricted hearing asks for its code before anything else.
    if facts.visibility == "restricted" and not facts.code:
        assert verdict is Refusal.CODE_NEEDED
        return
    # The kill switch stops every non-staff viewer.
    if not facts.broadcast_on:
        assert verdict is Refusal.STOPPED
        return
    assert verdict == ("public" if facts.visibility == "public" else "code")


def test_not_in_session_looks_the_same_whoever_is_in_session() -> None:
    """A hearing that is not in session answers alike, whatever the room's hearing in session
    is: the rule's inputs do not even include that hearing's visibility."""
    for facts in SITUATIONS:
        if facts.in_session_here or facts.room_idle:
            continue
        # `LiveFacts` has no field for the other hearing, so its sealing cannot change this.
        assert live_verdict(facts) in (Refusal.NOT_IN_SESSION, Refusal.NOT_FOUND)


def test_refusals_carry_the_documented_answers() -> None:
    assert (Refusal.NOT_FOUND.status_code, Refusal.NOT_FOUND.detail) == (404, "hearing not found")
    assert Refusal.NOT_IN_SESSION.status_code == 404
    assert Refusal.CODE_NEEDED.status_code == 401
    assert Refusal.STOPPED.status_code == 403
