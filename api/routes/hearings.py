"""Hearings of a case in a courtroom: search, status, and starting their recordings.

Search results carry the case number and title, courtroom, parties and recordings, so a
page lists them without a request per row."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Operator, RuntimeDep, SessionDep, Staff
from api.recording_view import recording_out
from api.routes.cases import case_visible
from api.schemas import (
    HearingIn,
    HearingOut,
    HearingPage,
    HearingPatch,
    HearingResult,
    HearingStatus,
    PartyOut,
    RecordingOut,
    RecordingSummary,
)
from api.search_params import SearchQuery, run_search
from api.visibility import may_see, visible_hearing
from court.in_session import FINAL_STATUSES, OPEN_STATUSES, hearing_in_session
from court.principals import Principal
from recorder.retention import class_for, retain_until
from storage.models import Case, Courtroom, Hearing, Recording
from storage.search import search_hearings
from storage.search_rows import HearingRow, hearing_rows

router = APIRouter(prefix="/api/v1/hearings", tags=["hearings"])


def hearing_out(hearing: Hearing) -> HearingOut:
    return HearingOut.model_validate(hearing, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HearingOut)
async def create_hearing(body: HearingIn, session: SessionDep, principal: Operator) -> HearingOut:
    # a case whose hearings are all sealed is unknown to whoever may see none of them
    case = select(Case.id).where(Case.id == body.case_id, case_visible(principal))
    if await session.scalar(case) is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "unknown case_id")
    if await session.get(Courtroom, body.courtroom_id) is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "unknown courtroom_id")
    if not principal.may_use_courtroom(body.courtroom_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
    hearing = Hearing(
        case_id=body.case_id,
        courtroom_id=body.courtroom_id,
        title=body.title,
        scheduled_start=body.scheduled_start,
        visibility=body.visibility,
        presiding_judge=body.presiding_judge,
    )
    session.add(hearing)
    await session.commit()
    return hearing_out(hearing)


@router.get("", response_model=HearingPage)
async def list_hearings(
    session: SessionDep, principal: Staff, search: Annotated[SearchQuery, Query()]
) -> HearingPage:
    """Newest scheduled first; `status` is the hearing's. Follow `next` as `cursor`."""
    page = await run_search(search_hearings, session, search, principal)
    rows = await hearing_rows(session, page.items)
    return HearingPage(items=[hearing_result(row) for row in rows], next=page.next)


def hearing_result(row: HearingRow) -> HearingResult:
    return HearingResult(
        **hearing_out(row.hearing).model_dump(),
        case_number=row.case.number,
        case_title=row.case.title,
        courtroom_name=row.courtroom.name,
        parties=[PartyOut(name=p.name, role=p.role) for p in row.parties],
        recordings=[
            RecordingSummary.model_validate(r, from_attributes=True) for r in row.recordings
        ],
    )


@router.get("/{hearing_id}", response_model=HearingOut)
async def get_hearing(hearing_id: str, session: SessionDep, principal: Staff) -> HearingOut:
    return hearing_out(await visible_hearing(session, principal, hearing_id))


# Where a hearing may go from each status; "closed" and "cancelled" are final, and only a
# hearing that never opened may be cancelled.
TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"in_session", "closed", "cancelled"}),
    "in_session": frozenset({"recess", "closed"}),
    "recess": frozenset({"in_session", "closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}


def change_status(hearing: Hearing, target: HearingStatus, at: datetime) -> None:
    """Move a hearing on, stamping when it actually began and ended (409 if not allowed)."""
    if target == hearing.status:
        return
    if target not in TRANSITIONS.get(hearing.status, frozenset()):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"a hearing cannot go from {hearing.status} to {target}; from {hearing.status} it"
            f" may go to: {', '.join(sorted(TRANSITIONS.get(hearing.status, ()))) or 'nothing'}",
        )
    hearing.status = target
    if target == "in_session" and hearing.actual_start is None:
        hearing.actual_start = at
    if target == "closed":
        hearing.actual_end = at


async def move(
    session: AsyncSession, principal: Principal, hearing: Hearing, body: HearingPatch
) -> None:
    """Another time or courtroom, only before the hearing opens: once it has, its recordings
    and markers belong where and when it was held (409)."""
    start = body.scheduled_start
    room = body.courtroom_id
    moved = (start is not None and start != hearing.scheduled_start) or (
        room is not None and room != hearing.courtroom_id
    )
    if not moved:
        return
    if hearing.status != "scheduled":
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"a hearing is moved only while scheduled; this one is {hearing.status}",
        )
    if room is not None:
        if await session.get(Courtroom, room) is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "unknown courtroom_id")
        if not principal.may_use_courtroom(room):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
        hearing.courtroom_id = room
    if start is not None:
        hearing.scheduled_start = start.astimezone(UTC)  # as read back from the index


ANOTHER_IN_SESSION = "the courtroom has another hearing in session: close it first"


async def require_room_free(session: AsyncSession, hearing: Hearing) -> None:
    """A courtroom holds one hearing in session; the answer never says which (it may be sealed)."""
    current = await hearing_in_session(session, hearing.courtroom_id)
    if current is not None and current != hearing.id:
        raise HTTPException(status.HTTP_409_CONFLICT, ANOTHER_IN_SESSION)


async def take_the_room(session: AsyncSession, principal: Principal, hearing: Hearing) -> None:
    """Starting a hearing's recording moves the courtroom on to it: the hearing in session
    before it is closed, provided its recording has stopped and the caller may see it;
    otherwise 409, without saying which hearing holds the room."""
    current_id = await hearing_in_session(session, hearing.courtroom_id)
    if current_id is None or current_id == hearing.id:
        return
    current = await session.get(Hearing, current_id)
    recording = await session.scalar(
        select(Recording.id).where(
            Recording.hearing_id == current_id, Recording.status == "recording"
        )
    )
    if current is None or recording is not None or not await may_see(session, principal, current):
        raise HTTPException(status.HTTP_409_CONFLICT, ANOTHER_IN_SESSION)
    change_status(current, "closed", datetime.now(UTC))


@router.patch("/{hearing_id}", response_model=HearingOut)
async def update_hearing(
    hearing_id: str,
    body: HearingPatch,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Operator,
) -> HearingOut:
    """Opening, recess, closing and sealing change who may watch the courtroom live: running
    viewers are judged again before this answers. Closing stops the hearing's recording.
    A scheduled hearing may be moved (another time or courtroom) or cancelled, for good."""
    hearing = await visible_hearing(session, principal, hearing_id)
    if not principal.may_use_courtroom(hearing.courtroom_id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
    await move(session, principal, hearing, body)
    if body.status in OPEN_STATUSES:
        await require_room_free(session, hearing)
    if body.status == "closed":
        running = await session.scalar(
            select(Recording.id).where(
                Recording.hearing_id == hearing.id, Recording.status == "recording"
            )
        )
        if running is not None:
            await runtime.control_room.stop_recording(running)
    if body.status is not None:
        change_status(hearing, body.status, datetime.now(UTC))
    if body.presiding_judge is not None:
        hearing.presiding_judge = body.presiding_judge.strip()
    if body.visibility is not None:
        hearing.visibility = body.visibility
    await session.commit()
    await runtime.live_guard.check_now()
    return hearing_out(hearing)


@router.post(
    "/{hearing_id}/recordings", status_code=status.HTTP_201_CREATED, response_model=RecordingOut
)
async def start_recording(
    hearing_id: str, session: SessionDep, runtime: RuntimeDep, principal: Operator
) -> RecordingOut:
    hearing = await visible_hearing(session, principal, hearing_id)
    courtroom = await session.get(Courtroom, hearing.courtroom_id)
    assert courtroom is not None  # foreign key
    if not principal.may_use_courtroom(courtroom.id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
    await take_the_room(session, principal, hearing)
    if await session.scalar(
        select(Recording.id).where(
            Recording.hearing_id == hearing.id, Recording.status == "recording"
        )
    ):
        raise HTTPException(status.HTTP_409_CONFLICT, "the hearing is already being recorded")
    if hearing.status in FINAL_STATUSES:
        raise HTTPException(status.HTTP_409_CONFLICT, f"the hearing is {hearing.status}")
    case = await session.get(Case, hearing.case_id)
    assert case is not None  # foreign key
    retention = class_for(runtime.settings.retention_table, case.case_type)
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
    await session.commit()
    await runtime.live_guard.check_now()  # viewers of a hearing that was previewing are judged
    await runtime.control_room.start_recording(
        recording, cameras=[camera.name for camera in courtroom.cameras]
    )
    return await recording_out(session, runtime, recording)
