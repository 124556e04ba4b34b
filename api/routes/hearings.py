"""Hearings of a case in a courtroom: search, status, and starting their recordings.

Search results carry the case number and title, courtroom, parties and recordings, so a
page lists them without a request per row. The rules are court/hearings.py's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import (
    OperatedHearing,
    Operator,
    RuntimeDep,
    SessionDep,
    SettingsDep,
    Staff,
    VisibleHearing,
)
from api.holder import CourtroomTaken, HearingAtHolder
from api.recording_view import recording_out
from api.schemas.cases import PartyOut
from api.schemas.hearings import HearingIn, HearingOut, HearingPage, HearingPatch, HearingResult
from api.schemas.recordings import RecordingOut, RecordingSummary
from api.search_params import SearchQuery, run_search
from court.hearings import HearingChanges, change_hearing, schedule_hearing
from court.recordings import record_hearing
from storage.models import Hearing
from storage.search import search_hearings
from storage.search_rows import HearingRow, hearing_rows

router = APIRouter(prefix="/api/v1/hearings", tags=["hearings"])


def hearing_out(hearing: Hearing) -> HearingOut:
    return HearingOut.model_validate(hearing, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HearingOut)
async def create_hearing(body: HearingIn, session: SessionDep, principal: Operator) -> HearingOut:
    hearing = await schedule_hearing(
        session,
        principal,
        case_id=body.case_id,
        courtroom_id=body.courtroom_id,
        title=body.title,
        scheduled_start=body.scheduled_start,
        visibility=body.visibility,
        presiding_judge=body.presiding_judge,
    )
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
async def get_hearing(_: Staff, hearing: VisibleHearing) -> HearingOut:
    return hearing_out(hearing)


@router.patch("/{hearing_id}", response_model=HearingOut)
async def update_hearing(
    body: HearingPatch,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Operator,
    hearing: OperatedHearing,
    _: HearingAtHolder,
) -> HearingOut:
    """Opening, recess, closing and sealing change who may watch the courtroom live: running
    viewers are judged again before this answers. Closing stops the hearing's recording.
    A scheduled hearing may be moved (another time or courtroom) or cancelled, for good."""
    changes = HearingChanges(**body.model_dump())
    stop = runtime.recordings.stop_recording
    await change_hearing(session, principal, hearing, changes, stop_recording=stop)
    await runtime.live_guard.check_now()
    return hearing_out(hearing)


@router.post(
    "/{hearing_id}/recordings", status_code=status.HTTP_201_CREATED, response_model=RecordingOut
)
async def start_recording(
    session: SessionDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    principal: Operator,
    hearing: OperatedHearing,
    _: CourtroomTaken,
) -> RecordingOut:
    recording = await record_hearing(
        session,
        principal,
        hearing,
        retention_classes=settings.retention_table,
        recordings=runtime.recordings,
        live_guard=runtime.live_guard,
    )
    return await recording_out(session, runtime, recording)
