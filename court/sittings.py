"""Sittings (开庭批次): a courtroom's hearings held back to back, the cameras never stopping.

An operator plans a sitting as a running order of scheduled hearings of one courtroom,
starts it (the first hearing's recording starts as any would) and moves on with "next case":
the hearing in session is closed and the next one opens in the same transaction, then the
cameras are handed from one recording to the next at each camera's next keyframe
(court/recordings.py `hand_over`), so each hearing's recording is sealed on its own with no
frame lost or kept twice, and live viewers are judged again at once (the sealed-hearing
rules hold from the switch). Cancelled or closed hearings are passed over.

A sitting is known only to staff who may use its courtroom and see every hearing in it: one
that holds a sealed hearing is invisible, like that hearing, to everyone not assigned to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict, Invalid, NotFound
from court.hearing_states import change_status
from court.hearings import (
    ANOTHER_IN_SESSION,
    begin_recording,
    new_recording,
    running_recording,
)
from court.in_session import FINAL_STATUSES, OPEN_STATUSES, hearing_in_session
from court.live.guard import LiveGuard
from court.principals import Principal
from court.recordings import Recordings, preroll_since
from court.visibility import may_see, require_courtroom
from recorder.retention import RetentionClass
from storage.models import Case, Hearing, Recording
from storage.sitting_models import Sitting, SittingEntry

MAX_ENTRIES = 60  # a long day of parole and commutation cases
SITTING_NOT_FOUND = "sitting not found"


@dataclass(frozen=True, slots=True)
class OrderEntry:
    """One place in the running order, with what a page shows of it."""

    position: int
    hearing: Hearing
    case_number: str
    case_title: str


@dataclass(frozen=True, slots=True)
class CourtTools:
    """What running a sitting needs of the court at large."""

    retention_classes: dict[str, RetentionClass]
    recordings: Recordings
    live_guard: LiveGuard


async def plan_sitting(
    session: AsyncSession,
    principal: Principal,
    *,
    courtroom_id: str,
    title: str,
    scheduled_start: datetime,
    hearing_ids: list[str],
) -> Sitting:
    """A planned sitting of scheduled hearings of one courtroom, in the order given. A hearing
    the caller may not see is refused like an unknown one (Invalid)."""
    require_courtroom(principal, courtroom_id)
    if not 1 <= len(hearing_ids) <= MAX_ENTRIES:
        raise Invalid(f"a sitting holds 1 to {MAX_ENTRIES} hearings")
    if len(set(hearing_ids)) != len(hearing_ids):
        raise Invalid("a hearing appears twice in the running order")
    for hearing_id in hearing_ids:
        hearing = await session.get(Hearing, hearing_id)
        if hearing is None or not await may_see(session, principal, hearing):
            raise Invalid(f"unknown hearing_id {hearing_id}")
        if hearing.courtroom_id != courtroom_id:
            raise Invalid(f"hearing {hearing_id} is in another courtroom")
        if hearing.status != "scheduled":
            raise Invalid(f"hearing {hearing_id} is {hearing.status}, not scheduled")
    sitting = Sitting(
        courtroom_id=courtroom_id,
        title=title,
        scheduled_start=scheduled_start,
        created_by=principal.name,
    )
    session.add(sitting)
    await session.flush()
    for position, hearing_id in enumerate(hearing_ids):
        session.add(SittingEntry(sitting_id=sitting.id, position=position, hearing_id=hearing_id))
    await session.commit()
    return sitting


async def running_order(session: AsyncSession, sitting: Sitting) -> list[OrderEntry]:
    """Every entry in order, with its hearing and case (the caller decides what to show)."""
    rows = await session.execute(
        select(SittingEntry.position, Hearing, Case)
        .join(Hearing, Hearing.id == SittingEntry.hearing_id)
        .join(Case, Case.id == Hearing.case_id)
        .where(SittingEntry.sitting_id == sitting.id)
        .order_by(SittingEntry.position)
    )
    return [
        OrderEntry(position, hearing, case.number, case.title) for position, hearing, case in rows
    ]


async def visible_sitting(session: AsyncSession, principal: Principal, sitting_id: str) -> Sitting:
    """The sitting, or NotFound unless the caller may use its courtroom and see every hearing."""
    sitting = await session.get(Sitting, sitting_id)
    if sitting is None or not principal.may_use_courtroom(sitting.courtroom_id):
        raise NotFound(SITTING_NOT_FOUND)
    for entry in await running_order(session, sitting):
        if not await may_see(session, principal, entry.hearing):
            raise NotFound(SITTING_NOT_FOUND)
    return sitting


async def sittings_of(
    session: AsyncSession, principal: Principal, courtroom_id: str
) -> list[Sitting]:
    """The courtroom's sittings the caller may see, the latest planned first."""
    require_courtroom(principal, courtroom_id)
    sittings = await session.scalars(
        select(Sitting)
        .where(Sitting.courtroom_id == courtroom_id)
        .order_by(Sitting.scheduled_start.desc(), Sitting.id)
    )
    visible: list[Sitting] = []
    for sitting in sittings:
        entries = await running_order(session, sitting)
        if all([await may_see(session, principal, entry.hearing) for entry in entries]):
            visible.append(sitting)
    return visible


async def start_sitting(
    session: AsyncSession, principal: Principal, sitting: Sitting, tools: CourtTools
) -> Recording:
    """Open the sitting on its first hearing still to be held, recording it as any start does."""
    if sitting.status != "planned":
        raise Conflict(f"the sitting is {sitting.status}")
    position, hearing = _next_to_hold(await running_order(session, sitting), -1)
    recording, cameras = await begin_recording(
        session, principal, hearing, retention_classes=tools.retention_classes
    )
    sitting.status, sitting.position = "running", position
    sitting.started_at = recording.started_at
    await session.commit()
    await tools.live_guard.check_now()
    since = await preroll_since(session, recording)
    await tools.recordings.start_recording(recording, cameras=cameras, preroll_since=since)
    return recording


async def next_case(
    session: AsyncSession, principal: Principal, sitting: Sitting, tools: CourtTools
) -> Recording:
    """Close the hearing in session and hold the next one, the cameras handed over between
    their recordings at a keyframe; returns the next hearing's recording."""
    order = await _running(session, sitting)
    assert sitting.position is not None  # a running sitting has one
    position, following = _next_to_hold(order, sitting.position)
    current = order[sitting.position].hearing
    if await hearing_in_session(session, sitting.courtroom_id) not in (None, current.id):
        raise Conflict(ANOTHER_IN_SESSION)
    previous = await running_recording(session, current.id)
    now = datetime.now(UTC)
    if current.status in OPEN_STATUSES:
        change_status(current, "closed", now)
    recording, cameras = await new_recording(
        session, principal, following, retention_classes=tools.retention_classes
    )
    sitting.position = position
    await session.commit()  # the room's hearing in session is the next one from here
    await tools.live_guard.check_now()
    if previous is None:
        await tools.recordings.start_recording(recording, cameras=cameras)
    else:
        await tools.recordings.hand_over(previous, recording, cameras=cameras)
    return recording


async def end_sitting(
    session: AsyncSession, principal: Principal, sitting: Sitting, tools: CourtTools
) -> None:
    """Close the hearing in session (its recording stored and sealed) and end the sitting."""
    order = await _running(session, sitting)
    assert sitting.position is not None
    current = order[sitting.position].hearing
    previous = await running_recording(session, current.id)
    if previous is not None:
        await tools.recordings.stop_recording(previous)
    if current.status in OPEN_STATUSES:
        change_status(current, "closed", datetime.now(UTC))
    sitting.status, sitting.ended_at = "ended", datetime.now(UTC)
    await session.commit()
    await tools.live_guard.check_now()


async def _running(session: AsyncSession, sitting: Sitting) -> list[OrderEntry]:
    if sitting.status != "running":
        raise Conflict(f"the sitting is {sitting.status}")
    return await running_order(session, sitting)


def _next_to_hold(order: list[OrderEntry], after: int) -> tuple[int, Hearing]:
    """The first entry after `after` whose hearing may still be held (Conflict if none)."""
    for entry in order[after + 1 :]:
        if entry.hearing.status not in FINAL_STATUSES:
            return entry.position, entry.hearing
    raise Conflict("no hearing of the sitting is left to hold: end the sitting")
