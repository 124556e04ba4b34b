"""Hearings of a case in a courtroom, and starting their recordings."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from api.deps import Operator, RuntimeDep, SessionDep, Staff
from api.recording_view import recording_out
from api.schemas import HearingIn, HearingOut, RecordingOut
from recorder.retention import class_for, retain_until
from storage.models import Case, Courtroom, Hearing, Recording

router = APIRouter(prefix="/api/v1/hearings", tags=["hearings"])


def hearing_out(hearing: Hearing) -> HearingOut:
    return HearingOut.model_validate(hearing, from_attributes=True)


async def find_hearing(session: SessionDep, hearing_id: str) -> Hearing:
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "hearing not found")
    return hearing


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HearingOut)
async def create_hearing(body: HearingIn, session: SessionDep, _: Operator) -> HearingOut:
    if await session.get(Case, body.case_id) is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "unknown case_id")
    if await session.get(Courtroom, body.courtroom_id) is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "unknown courtroom_id")
    hearing = Hearing(
        case_id=body.case_id,
        courtroom_id=body.courtroom_id,
        title=body.title,
        scheduled_start=body.scheduled_start,
        visibility=body.visibility,
    )
    session.add(hearing)
    await session.commit()
    return hearing_out(hearing)


@router.get("", response_model=list[HearingOut])
async def list_hearings(
    session: SessionDep, _: Staff, case_id: str | None = None, courtroom_id: str | None = None
) -> list[HearingOut]:
    query = select(Hearing).order_by(Hearing.scheduled_start.desc()).limit(500)
    if case_id:
        query = query.where(Hearing.case_id == case_id)
    if courtroom_id:
        query = query.where(Hearing.courtroom_id == courtroom_id)
    return [hearing_out(hearing) for hearing in await session.scalars(query)]


@router.get("/{hearing_id}", response_model=HearingOut)
async def get_hearing(hearing_id: str, session: SessionDep, _: Staff) -> HearingOut:
    return hearing_out(await find_hearing(session, hearing_id))


@router.post(
    "/{hearing_id}/recordings", status_code=status.HTTP_201_CREATED, response_model=RecordingOut
)
async def start_recording(
    hearing_id: str, session: SessionDep, runtime: RuntimeDep, principal: Operator
) -> RecordingOut:
    hearing = await find_hearing(session, hearing_id)
    courtroom = await session.get(Courtroom, hearing.courtroom_id)
    assert courtroom is not None  # foreign key
    if not principal.may_use_courtroom(courtroom.id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
    active = await session.scalar(
        select(Recording.id).where(
            Recording.courtroom_id == courtroom.id, Recording.status == "recording"
        )
    )
    if active is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"courtroom is already recording (recording {active})"
        )
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
    await session.commit()
    await runtime.control_room.start_recording(
        recording, cameras=[camera.name for camera in courtroom.cameras]
    )
    return await recording_out(session, runtime, recording)
