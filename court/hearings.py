"""Hearings of a case in a courtroom: scheduling, moving, cancelling, sealing, and the
recording that opens them.

A courtroom holds one hearing in session; a refusal never says which hearing holds it,
since that one may be sealed. The statuses and their moves are court/hearing_states.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict, Invalid
from court.hearing_states import change_status
from court.in_session import FINAL_STATUSES, OPEN_STATUSES, hearing_in_session
from court.principals import Principal
from court.visibility import case_visible, may_see, require_courtroom
from recorder.retention import RetentionClass, class_for, retain_until
from storage.models import Case, Courtroom, Hearing, Recording

ANOTHER_IN_SESSION = "the courtroom has another hearing in session: close it first"
UNKNOWN_COURTROOM = "unknown courtroom_id"


@dataclass(frozen=True, slots=True)
class HearingChanges:
    """What a desk asks of a hearing; None leaves a field as it is."""

    status: str | None = None
    scheduled_start: datetime | None = None
    courtroom_id: str | None = None
    presiding_judge: str | None = None
    visibility: str | None = None


async def schedule_hearing(
    session: AsyncSession,
    principal: Principal,
    *,
    case_id: str,
    courtroom_id: str,
    title: str,
    scheduled_start: datetime,
    visibility: str,
    presiding_judge: str | None,
) -> Hearing:
    """A new scheduled hearing; a case whose hearings are all sealed is unknown to whoever
    may see none of them (Invalid, like an id that never existed)."""
    case = select(Case.id).where(Case.id == case_id, case_visible(principal))
    if await session.scalar(case) is None:
        raise Invalid("unknown case_id")
    await _usable_courtroom(session, principal, courtroom_id)
    hearing = Hearing(
        case_id=case_id,
        courtroom_id=courtroom_id,
        title=title,
        scheduled_start=scheduled_start,
        visibility=visibility,
        presiding_judge=presiding_judge,
    )
    session.add(hearing)
    await session.commit()
    return hearing


async def _usable_courtroom(session: AsyncSession, principal: Principal, room: str) -> None:
    if await session.get(Courtroom, room) is None:
        raise Invalid(UNKNOWN_COURTROOM)
    require_courtroom(principal, room)


async def change_hearing(
    session: AsyncSession,
    principal: Principal,
    hearing: Hearing,
    changes: HearingChanges,
    *,
    stop_recording: Callable[[str], Awaitable[None]],
) -> None:
    """Move, open, recess, close, cancel, re-judge or (un)seal a hearing the caller operates.
    Closing stops its running recording (through `stop_recording`) before the status moves."""
    await _move(session, principal, hearing, changes)
    if changes.status in OPEN_STATUSES:
        current = await hearing_in_session(session, hearing.courtroom_id)
        if current is not None and current != hearing.id:
            raise Conflict(ANOTHER_IN_SESSION)
    if changes.status == "closed":
        running = await running_recording(session, hearing.id)
        if running is not None:
            await stop_recording(running)
    if changes.status is not None:
        change_status(hearing, changes.status, datetime.now(UTC))
    if changes.presiding_judge is not None:
        hearing.presiding_judge = changes.presiding_judge.strip()
    if changes.visibility is not None:
        hearing.visibility = changes.visibility
    await session.commit()


async def _move(
    session: AsyncSession, principal: Principal, hearing: Hearing, changes: HearingChanges
) -> None:
    """Another time or courtroom, only before the hearing opens: once it has, its recordings
    and markers belong where and when it was held (Conflict)."""
    start, room = changes.scheduled_start, changes.courtroom_id
    moved = (start is not None and start != hearing.scheduled_start) or (
        room is not None and room != hearing.courtroom_id
    )
    if not moved:
        return
    if hearing.status != "scheduled":
        raise Conflict(f"a hearing is moved only while scheduled; this one is {hearing.status}")
    if room is not None:
        await _usable_courtroom(session, principal, room)
        hearing.courtroom_id = room
    if start is not None:
        hearing.scheduled_start = start.astimezone(UTC)  # as read back from the index


async def running_recording(session: AsyncSession, hearing_id: str) -> str | None:
    """The id of the hearing's recording still running, if any."""
    running: str | None = await session.scalar(
        select(Recording.id).where(
            Recording.hearing_id == hearing_id, Recording.status == "recording"
        )
    )
    return running


async def begin_recording(
    session: AsyncSession,
    principal: Principal,
    hearing: Hearing,
    *,
    retention_classes: dict[str, RetentionClass],
) -> tuple[Recording, list[str]]:
    """Index a new recording of a hearing the caller operates, kept as long as its case's
    retention class says, and put the hearing in session; returns it with the courtroom's
    cameras to record."""
    await _take_the_room(session, principal, hearing)
    recording, cameras = await new_recording(
        session, principal, hearing, retention_classes=retention_classes
    )
    await session.commit()
    return recording, cameras


async def new_recording(
    session: AsyncSession,
    principal: Principal,
    hearing: Hearing,
    *,
    retention_classes: dict[str, RetentionClass],
) -> tuple[Recording, list[str]]:
    """The recording's index row and the hearing in session, not yet committed: the caller
    has made sure the courtroom is the hearing's to take."""
    courtroom = await session.get(Courtroom, hearing.courtroom_id)
    assert courtroom is not None  # foreign key
    if await running_recording(session, hearing.id):
        raise Conflict("the hearing is already being recorded")
    if hearing.status in FINAL_STATUSES:
        raise Conflict(f"the hearing is {hearing.status}")
    case = await session.get(Case, hearing.case_id)
    assert case is not None  # foreign key
    retention = class_for(retention_classes, case.case_type)
    started_at = datetime.now(UTC)
    recording = Recording(
        hearing_id=hearing.id,
        courtroom_id=courtroom.id,
        court_id=courtroom.court_id,
        started_by=principal.name,
        started_at=started_at,
        retention_class=retention.name,
        retention_mode=retention.mode,
        retain_until=retain_until(retention, started_at),
    )
    session.add(recording)
    hearing.status = "in_session"
    hearing.actual_start = hearing.actual_start or started_at
    return recording, [camera.name for camera in courtroom.cameras]


async def _take_the_room(session: AsyncSession, principal: Principal, hearing: Hearing) -> None:
    """Starting a hearing's recording moves the courtroom on to it: the hearing in session
    before it is closed, provided its recording has stopped and the caller may see it;
    otherwise Conflict, without saying which hearing holds the room."""
    current_id = await hearing_in_session(session, hearing.courtroom_id)
    if current_id is None or current_id == hearing.id:
        return
    current = await session.get(Hearing, current_id)
    recording = await running_recording(session, current_id)
    if current is None or recording is not None or not await may_see(session, principal, current):
        raise Conflict(ANOTHER_IN_SESSION)
    change_status(current, "closed", datetime.now(UTC))
