"""Viewing points: screens in a prison's cell blocks, education hall and visiting room.

A screen holds a `screen` token (court/principals.py) naming the courtrooms it may show and
which hearings there (public, restricted; never sealed). Its kiosk page asks this module what
to show now: the hearing in session it may show (and its cameras), or a notice that the
hearing in session is not for this screen (nothing more is said of it: it may be sealed),
and between hearings the running order of the room's sitting with "next: case N".

A screen follows, among its courtrooms, the first whose hearing in session it may show; else
one with a hearing in session it may not show (the notice); else one with a sitting planned
or running (the earliest planned start); else its first courtroom, idle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.courtrooms import list_courtrooms
from court.errors import NotFound
from court.in_session import hearings_in_session
from court.principals import Principal
from court.running_order import ShownOrder, order_for
from storage.models import Case, Courtroom, Hearing, Token
from storage.sitting_models import Sitting

SCREEN_NOT_FOUND = "screen not found"
Notice = Literal["not_for_this_screen", "broadcast_stopped"]


@dataclass(frozen=True, slots=True)
class ShownHearing:
    hearing: Hearing
    case_number: str
    case_title: str


@dataclass(frozen=True, slots=True)
class ScreenState:
    """What a screen shows now."""

    screen: Token
    courtroom: Courtroom | None
    hearing: ShownHearing | None  # the hearing in session, when this screen may show it
    notice: Notice | None
    order: ShownOrder | None  # the running order of the room's sitting, if it has one


async def the_screen(session: AsyncSession, principal: Principal, screen_id: str) -> Token:
    """The viewing point, asked by itself or by an admin (else NotFound)."""
    token = await session.get(Token, screen_id)
    own = principal.role == "screen" and principal.token_id == screen_id
    if token is None or token.role != "screen" or not (own or principal.role == "admin"):
        raise NotFound(SCREEN_NOT_FOUND)
    return token


async def screen_state(session: AsyncSession, screen: Token) -> ScreenState:
    """What the screen shows now (the caller marks a hearing whose broadcast is cut)."""
    rooms = await list_courtrooms(session, only=screen.courtroom_ids)
    rooms.sort(key=lambda room: screen.courtroom_ids.index(room.id))
    in_session = await hearings_in_session(session, [room.id for room in rooms])
    grants = set(screen.visibilities or ())
    showable: list[tuple[Courtroom, Hearing]] = []
    hidden: list[Courtroom] = []
    for room in rooms:
        hearing_id = in_session.get(room.id)
        hearing = await session.get(Hearing, hearing_id) if hearing_id else None
        if hearing is None:
            continue
        if hearing.visibility in grants:
            showable.append((room, hearing))
        else:
            hidden.append(room)
    now = datetime.now(UTC)
    if showable:
        room, hearing = showable[0]
        case = await session.get(Case, hearing.case_id)
        assert case is not None  # foreign key
        shown = ShownHearing(hearing, case.number, case.title)
        return await _with_order(session, screen, room, shown, None, now)
    if hidden:
        return await _with_order(session, screen, hidden[0], None, "not_for_this_screen", now)
    return await _with_order(session, screen, await _idle_room(session, rooms), None, None, now)


async def _idle_room(session: AsyncSession, rooms: list[Courtroom]) -> Courtroom | None:
    """With no hearing in session anywhere: the room whose sitting comes first, else the first."""
    if not rooms:
        return None
    sitting = await session.scalar(
        select(Sitting)
        .where(Sitting.courtroom_id.in_([r.id for r in rooms]), Sitting.status != "ended")
        .order_by(Sitting.scheduled_start, Sitting.id)
    )
    return next((r for r in rooms if sitting and r.id == sitting.courtroom_id), rooms[0])


async def _with_order(
    session: AsyncSession,
    screen: Token,
    room: Courtroom | None,
    hearing: ShownHearing | None,
    notice: Notice | None,
    now: datetime,
) -> ScreenState:
    """The state with the room's sitting: the running one, else the next planned."""
    sitting = None
    if room is not None:
        sitting = await session.scalar(
            select(Sitting)
            .where(Sitting.courtroom_id == room.id, Sitting.status != "ended")
            .order_by((Sitting.status == "running").desc(), Sitting.scheduled_start, Sitting.id)
        )
    order = None
    if sitting is not None:
        grants = set(screen.visibilities or ())
        order = await order_for(session, sitting, named=lambda h: h.visibility in grants, now=now)
    return ScreenState(screen, room, hearing, notice, order)
