"""Courtrooms and their named cameras, each with display names in Chinese and English.

A camera is known by its name, which stays in URLs, tokens and stored footage: renaming one
is removing it and adding another, and a camera with recorded footage cannot be removed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict, Invalid, NotFound
from storage.catalog import default_court, recorded_cameras
from storage.models import Camera, Court, Courtroom


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """A camera as a desk names it: its name and its display labels (None: unset)."""

    name: str
    label_zh: str | None = None
    label_en: str | None = None
    kind: str = "camera"  # or "evidence": a screen or document camera showing exhibits


@dataclass(frozen=True, slots=True)
class DefaultCourt:
    """The installation's court, made on first use when a request names none."""

    name: str
    timezone: str


async def court_id_for(session: AsyncSession, court_id: str | None, default: DefaultCourt) -> str:
    """The named court (Invalid if unknown) or the installation's own."""
    if court_id is None:
        court = await default_court(session, name=default.name, timezone=default.timezone)
        return court.id
    if await session.get(Court, court_id) is None:
        raise Invalid("unknown court_id")
    return court_id


async def create_courtroom(
    session: AsyncSession,
    *,
    court_id: str | None,
    default: DefaultCourt,
    name: str,
    kind: str,
    cameras: list[CameraSpec],
) -> Courtroom:
    courtroom = Courtroom(
        court_id=await court_id_for(session, court_id, default), name=name, kind=kind
    )
    courtroom.cameras = [
        Camera(
            name=spec.name,
            position=position,
            label_zh=spec.label_zh,
            label_en=spec.label_en,
            kind=spec.kind,
        )
        for position, spec in enumerate(cameras)
    ]
    session.add(courtroom)
    await session.commit()
    return courtroom


async def list_courtrooms(session: AsyncSession, *, only: Collection[str] = ()) -> list[Courtroom]:
    """Oldest first; `only` narrows the list to those ids (empty: every courtroom)."""
    query = select(Courtroom).order_by(Courtroom.created_at, Courtroom.id)
    if only:
        query = query.where(Courtroom.id.in_(sorted(only)))
    return list(await session.scalars(query))


async def find_courtroom(session: AsyncSession, courtroom_id: str) -> Courtroom:
    courtroom = await session.get(Courtroom, courtroom_id)
    if courtroom is None:
        raise NotFound("courtroom not found")
    return courtroom


async def set_cameras(
    session: AsyncSession, courtroom: Courtroom, cameras: list[CameraSpec]
) -> None:
    """The room's cameras become `cameras`, in that display order (Conflict when one to be
    removed has recorded footage)."""
    wanted = {camera.name: camera for camera in cameras}
    current = {camera.name: camera for camera in courtroom.cameras}
    removed = sorted(set(current) - set(wanted))
    kept = await recorded_cameras(session, courtroom_id=courtroom.id, cameras=removed)
    if kept:
        raise Conflict(f"camera {', '.join(kept)} has recorded footage and cannot be removed")
    for name in removed:
        await session.delete(current[name])
    for position, wish in enumerate(cameras):
        camera = current.get(wish.name)
        if camera is None:
            camera = Camera(courtroom_id=courtroom.id, name=wish.name)
            session.add(camera)
        camera.position, camera.label_zh, camera.label_en = position, wish.label_zh, wish.label_en
        camera.kind = wish.kind
    await session.commit()
    await session.refresh(courtroom, ["cameras"])
