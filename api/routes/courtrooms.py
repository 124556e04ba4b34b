"""Courtrooms and their named cameras, each with display names in Chinese and English
(the rules are court/courtrooms.py's)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Admin, OperatedCourtroom, Operator, RuntimeDep, SessionDep, SettingsDep, Staff
from api.schemas.courtrooms import (
    CameraLabel,
    CamerasIn,
    CourtroomIn,
    CourtroomOut,
    camera_labels,
)
from court import courtrooms as rooms
from court.courtrooms import CameraSpec, DefaultCourt
from court.live.shown_rooms import shown_rooms
from court.runtime import Runtime
from storage.models import Courtroom

router = APIRouter(prefix="/api/v1/courtrooms", tags=["courtrooms"])


async def courtrooms_out(
    session: AsyncSession, runtime: Runtime, courtrooms: list[Courtroom]
) -> list[CourtroomOut]:
    """Each with the cameras publishing now, wherever its room is held."""
    shown = await shown_rooms(session, runtime, {courtroom.id for courtroom in courtrooms})
    return [
        CourtroomOut(
            id=courtroom.id,
            court_id=courtroom.court_id,
            name=courtroom.name,
            kind=courtroom.kind,
            cameras=[camera.name for camera in courtroom.cameras],
            camera_labels=camera_labels(courtroom.cameras),
            evidence_sources=[c.name for c in courtroom.cameras if c.kind == "evidence"],
            publishing=shown[courtroom.id].cameras,
            created_at=courtroom.created_at,
        )
        for courtroom in courtrooms
    ]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CourtroomOut)
async def create_courtroom(
    body: CourtroomIn, session: SessionDep, runtime: RuntimeDep, settings: SettingsDep, _: Admin
) -> CourtroomOut:
    unset = CameraLabel()
    labels = [body.camera_labels.get(name, unset) for name in body.cameras]
    courtroom = await rooms.create_courtroom(
        session,
        court_id=body.court_id,
        default=DefaultCourt(settings.court_name, settings.court_timezone),
        name=body.name,
        kind=body.kind,
        cameras=[
            CameraSpec(
                name, label.zh, label.en, "evidence" if name in body.evidence_sources else "camera"
            )
            for name, label in zip(body.cameras, labels, strict=True)
        ],
    )
    (out,) = await courtrooms_out(session, runtime, [courtroom])
    return out


@router.get("", response_model=list[CourtroomOut])
async def list_courtrooms(session: SessionDep, runtime: RuntimeDep, _: Staff) -> list[CourtroomOut]:
    return await courtrooms_out(session, runtime, list(await rooms.list_courtrooms(session)))


@router.get("/{courtroom_id}", response_model=CourtroomOut)
async def get_courtroom(
    courtroom_id: str, session: SessionDep, runtime: RuntimeDep, _: Staff
) -> CourtroomOut:
    courtroom = await rooms.find_courtroom(session, courtroom_id)
    (out,) = await courtrooms_out(session, runtime, [courtroom])
    return out


@router.put("/{courtroom_id}/cameras", response_model=CourtroomOut)
async def set_cameras(
    body: CamerasIn,
    session: SessionDep,
    runtime: RuntimeDep,
    _: Operator,
    courtroom: OperatedCourtroom,
) -> CourtroomOut:
    """Set the room's cameras in display order with their display names. A camera is known by
    its name, which stays in URLs, tokens and stored footage: renaming one is removing it and
    adding another, and a camera with recorded footage cannot be removed (409)."""
    wishes = [CameraSpec(camera.name, camera.zh, camera.en, camera.kind) for camera in body.cameras]
    await rooms.set_cameras(session, courtroom, wishes)
    (out,) = await courtrooms_out(session, runtime, [courtroom])
    return out
