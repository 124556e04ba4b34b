"""Courtrooms and their named cameras."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from api.deps import Admin, RuntimeDep, SessionDep, Staff
from api.schemas import CourtroomIn, CourtroomOut
from storage.catalog import default_court
from storage.models import Camera, Court, Courtroom

router = APIRouter(prefix="/api/v1/courtrooms", tags=["courtrooms"])


def courtroom_out(courtroom: Courtroom, runtime: RuntimeDep) -> CourtroomOut:
    return CourtroomOut(
        id=courtroom.id,
        court_id=courtroom.court_id,
        name=courtroom.name,
        kind=courtroom.kind,
        cameras=[camera.name for camera in courtroom.cameras],
        publishing=runtime.control_room.publishing_cameras(courtroom.id),
        created_at=courtroom.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CourtroomOut)
async def create_courtroom(
    body: CourtroomIn, session: SessionDep, runtime: RuntimeDep, _: Admin
) -> CourtroomOut:
    if body.court_id is None:
        settings = runtime.settings
        court = await default_court(
            session, name=settings.court_name, timezone=settings.court_timezone
        )
    else:
        found = await session.get(Court, body.court_id)
        if found is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "unknown court_id")
        court = found
    courtroom = Courtroom(court_id=court.id, name=body.name, kind=body.kind)
    courtroom.cameras = [
        Camera(name=name, position=position) for position, name in enumerate(body.cameras)
    ]
    session.add(courtroom)
    await session.commit()
    return courtroom_out(courtroom, runtime)


@router.get("", response_model=list[CourtroomOut])
async def list_courtrooms(session: SessionDep, runtime: RuntimeDep, _: Staff) -> list[CourtroomOut]:
    courtrooms = await session.scalars(select(Courtroom).order_by(Courtroom.created_at))
    return [courtroom_out(courtroom, runtime) for courtroom in courtrooms]


@router.get("/{courtroom_id}", response_model=CourtroomOut)
async def get_courtroom(
    courtroom_id: str, session: SessionDep, runtime: RuntimeDep, _: Staff
) -> CourtroomOut:
    courtroom = await session.get(Courtroom, courtroom_id)
    if courtroom is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "courtroom not found")
    return courtroom_out(courtroom, runtime)
