"""Courtrooms and their named cameras, each with display names in Chinese and English."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from api.deps import Admin, Operator, RuntimeDep, SessionDep, Staff
from api.schemas import CameraLabel, CamerasIn, CourtroomIn, CourtroomOut
from storage.catalog import default_court, recorded_cameras
from storage.models import Camera, Court, Courtroom

router = APIRouter(prefix="/api/v1/courtrooms", tags=["courtrooms"])


def courtroom_out(courtroom: Courtroom, runtime: RuntimeDep) -> CourtroomOut:
    return CourtroomOut(
        id=courtroom.id,
        court_id=courtroom.court_id,
        name=courtroom.name,
        kind=courtroom.kind,
        cameras=[camera.name for camera in courtroom.cameras],
        camera_labels={
            camera.name: CameraLabel(zh=camera.label_zh, en=camera.label_en)
            for camera in courtroom.cameras
        },
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
    unset = CameraLabel()
    courtroom.cameras = [
        Camera(
            name=name,
            position=position,
            label_zh=body.camera_labels.get(name, unset).zh,
            label_en=body.camera_labels.get(name, unset).en,
        )
        for position, name in enumerate(body.cameras)
    ]
    session.add(courtroom)
    await session.commit()
    return courtroom_out(courtroom, runtime)


@router.get("", response_model=list[CourtroomOut])
async def list_courtrooms(session: SessionDep, runtime: RuntimeDep, _: Staff) -> list[CourtroomOut]:
    courtrooms = await session.scalars(select(Courtroom).order_by(Courtroom.created_at))
    return [courtroom_out(courtroom, runtime) for courtroom in courtrooms]


async def find_courtroom(session: SessionDep, courtroom_id: str) -> Courtroom:
    courtroom = await session.get(Courtroom, courtroom_id)
    if courtroom is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "courtroom not found")
    return courtroom


@router.get("/{courtroom_id}", response_model=CourtroomOut)
async def get_courtroom(
    courtroom_id: str, session: SessionDep, runtime: RuntimeDep, _: Staff
) -> CourtroomOut:
    return courtroom_out(await find_courtroom(session, courtroom_id), runtime)


@router.put("/{courtroom_id}/cameras", response_model=CourtroomOut)
async def set_cameras(
    courtroom_id: str,
    body: CamerasIn,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Operator,
) -> CourtroomOut:
    """Set the room's cameras in display order with their display names. A camera is known by
    its name, which stays in URLs, tokens and stored footage: renaming one is removing it and
    adding another, and a camera with recorded footage cannot be removed (409)."""
    courtroom = await find_courtroom(session, courtroom_id)
    if not principal.may_use_courtroom(courtroom.id):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this token may not use that courtroom")
    wanted = {camera.name: camera for camera in body.cameras}
    current = {camera.name: camera for camera in courtroom.cameras}
    removed = sorted(set(current) - set(wanted))
    kept = await recorded_cameras(session, courtroom_id=courtroom.id, cameras=removed)
    if kept:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"camera {', '.join(kept)} has recorded footage and cannot be removed",
        )
    for name in removed:
        await session.delete(current[name])
    for position, wish in enumerate(body.cameras):
        camera = current.get(wish.name)
        if camera is None:
            camera = Camera(courtroom_id=courtroom.id, name=wish.name)
            session.add(camera)
        camera.position, camera.label_zh, camera.label_en = position, wish.zh, wish.en
    await session.commit()
    await session.refresh(courtroom, ["cameras"])
    return courtroom_out(courtroom, runtime)
