"""Figures for the oversight of parole and commutation hearings (全程监督): per courtroom and
period, how many hearings were held, how many of them were watched live, how many viewing
points (prison screens) and family devices (access-code devices) watched, and for how many
minutes in all.

A hearing counts in the period its actual start falls in. A caller sees the figures of the
courtrooms its token may use and, of sealed hearings, only those it may see (an admin, or a
token assigned to them): a count must not tell a hidden hearing was held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.courtrooms import list_courtrooms
from court.principals import Principal
from court.visibility import may_see
from storage.models import Hearing
from storage.viewing_models import ViewingSession

HELD = ("in_session", "recess", "closed")


@dataclass(frozen=True, slots=True)
class RoomFigures:
    courtroom_id: str
    courtroom: str
    kind: str  # courtroom, prison...
    hearings_held: int
    held_with_live_viewing: int
    viewing_points: int  # distinct screens that watched
    family_devices: int  # distinct access-code devices that watched
    viewers: int  # every live viewer who is not staff (public, codes, screens)
    viewing_minutes: float


async def viewing_figures(
    session: AsyncSession,
    principal: Principal,
    *,
    start: datetime,
    end: datetime,
    courtroom_id: str | None = None,
) -> list[RoomFigures]:
    """One row per courtroom the caller may use (or the one asked for), oldest room first."""
    rooms = await list_courtrooms(session, only=principal.courtroom_ids)
    rooms = [room for room in rooms if courtroom_id in (None, room.id)]
    figures = []
    for room in rooms:
        held = await held_hearings(session, principal, [room.id], start=start, end=end)
        watched = await viewing_sessions(session, [hearing.id for hearing in held])
        figures.append(
            RoomFigures(
                courtroom_id=room.id,
                courtroom=room.name,
                kind=room.kind,
                hearings_held=len(held),
                held_with_live_viewing=len({s.hearing_id for s in watched}),
                viewing_points=len({s.screen_id for s in watched if s.screen_id}),
                family_devices=len(
                    {(s.code_id, s.device_id) for s in watched if s.code_id and s.device_id}
                ),
                viewers=len(watched),
                viewing_minutes=round(sum(_minutes(s) for s in watched), 1),
            )
        )
    return figures


async def held_hearings(
    session: AsyncSession,
    principal: Principal,
    courtroom_ids: list[str],
    *,
    start: datetime,
    end: datetime,
) -> list[Hearing]:
    """The hearings of these courtrooms that started in [start, end), as the caller may see
    them (a sealed one only for an admin or a token assigned to it), oldest first."""
    rows = await session.scalars(
        select(Hearing)
        .where(
            Hearing.courtroom_id.in_(courtroom_ids),
            Hearing.status.in_(HELD),
            Hearing.actual_start >= start,
            Hearing.actual_start < end,
        )
        .order_by(Hearing.actual_start, Hearing.id)
    )
    return [hearing for hearing in rows if await may_see(session, principal, hearing)]


async def viewing_sessions(session: AsyncSession, hearing_ids: list[str]) -> list[ViewingSession]:
    if not hearing_ids:
        return []
    rows = await session.scalars(
        select(ViewingSession).where(ViewingSession.hearing_id.in_(hearing_ids))
    )
    return list(rows)


def _minutes(row: ViewingSession) -> float:
    """A viewer a crash cut off (no end) counts for nothing: its length is not known."""
    if row.ended_at is None:
        return 0.0
    return max(0.0, (row.ended_at - row.started_at).total_seconds() / 60)
