"""Which hearing owns a courtroom's live feeds, and who may watch them: one rule for every path.

A courtroom's cameras show whatever happens in the room, so its live media may
reach a viewer only through the hearing in session there: the one whose
recording runs, else the one an operator opened (in session or in recess).
WHEP, the live HLS playlist and its segments, and the guard that re-checks
running viewers all decide with `live_verdict`, so they cannot disagree.

A hearing that is not the room's hearing in session answers as one that has
not started (404 "the hearing is not in session"), whether the hearing in
session is sealed or not. A sealed hearing answers 404 "hearing not found",
like an unknown id, to everyone but admins and the tokens assigned to it.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.principals import STAFF_ROLES, Principal
from storage.models import AccessCode, Hearing, Recording

ViewerKind = Literal["staff", "public", "code", "screen"]
OPEN_STATUSES = frozenset({"in_session", "recess"})  # opened and not yet closed
FINAL_STATUSES = frozenset({"closed", "cancelled"})  # over, or never to be held: never live


class Refusal(enum.Enum):
    """Why a live request is refused, with the answer every live route gives."""

    NOT_FOUND = (404, "hearing not found")
    NOT_IN_SESSION = (404, "the hearing is not in session")
    CODE_NEEDED = (401, "this hearing is restricted: enter the access code the court gave you")
    STOPPED = (403, "the court has stopped the broadcast of this hearing")

    @property
    def status_code(self) -> int:
        return self.value[0]

    @property
    def detail(self) -> str:
        return self.value[1]


@dataclass(frozen=True, slots=True)
class LiveFacts:
    """Everything the rule looks at, gathered by the caller from the index and the request."""

    visibility: str  # public, restricted, sealed
    status: str  # scheduled, in_session, recess, closed, cancelled
    in_session_here: bool  # the hearing is its courtroom's hearing in session
    room_idle: bool  # the courtroom has no hearing in session at all
    staff: bool  # a staff token (admin, operator, judge, clerk) that may use the courtroom
    entitled: bool  # an admin, or a token assigned to the hearing (matters when sealed)
    code: bool  # a valid access code (or ticket) of this very hearing, or of its case
    broadcast_on: bool  # the court has not cut the public feed
    screen: bool = False  # a viewing point granted this courtroom and this visibility


def live_verdict(facts: LiveFacts) -> ViewerKind | Refusal:
    """How the caller watches (staff see the live edge, others the broadcast), or why not.

    Staff of the courtroom may also watch while the room has no hearing in
    session at all, so operators can check cameras before opening; the moment
    a hearing is in session they follow it like everyone else. A viewing point
    (a screen in a prison) watches the broadcast of the hearings it is granted,
    as a code holder does, and never a sealed one.
    """
    if facts.visibility == "sealed" and not (facts.staff and facts.entitled):
        return Refusal.NOT_FOUND
    live = facts.in_session_here and facts.status in OPEN_STATUSES
    if facts.staff:
        preview = facts.room_idle and facts.status not in FINAL_STATUSES
        return "staff" if live or preview else Refusal.NOT_IN_SESSION
    if not live:
        return Refusal.NOT_IN_SESSION
    if facts.screen:
        return "screen" if facts.broadcast_on else Refusal.STOPPED
    if facts.visibility != "public" and not facts.code:
        return Refusal.CODE_NEEDED
    if not facts.broadcast_on:
        return Refusal.STOPPED
    return "public" if facts.visibility == "public" else "code"


async def hearings_in_session(
    session: AsyncSession, courtroom_ids: Collection[str]
) -> dict[str, str]:
    """Courtroom id -> the id of its hearing in session, for the rooms that have one.

    A running recording decides first; otherwise the most recently opened
    hearing still open. Starting a recording or opening a hearing while another
    is in session is refused, so normally there is exactly one candidate.
    """
    if not courtroom_ids:
        return {}
    rooms = list(courtroom_ids)
    recorded: dict[str, str] = {}
    rows = await session.execute(
        select(Recording.courtroom_id, Recording.hearing_id)
        .where(Recording.status == "recording", Recording.courtroom_id.in_(rooms))
        .order_by(Recording.started_at, Recording.id)
    )
    for room, hearing_id in rows:
        recorded[room] = hearing_id  # the latest wins
    opened: dict[str, str] = {}
    rows = await session.execute(
        select(Hearing.courtroom_id, Hearing.id)
        .where(Hearing.status.in_(OPEN_STATUSES), Hearing.courtroom_id.in_(rooms))
        .order_by(Hearing.actual_start.nulls_first(), Hearing.id)
    )
    for room, hearing_id in rows:
        opened[room] = hearing_id
    return {**opened, **recorded}


async def hearing_in_session(session: AsyncSession, courtroom_id: str) -> str | None:
    return (await hearings_in_session(session, [courtroom_id])).get(courtroom_id)


def facts_about(
    hearing: Hearing,
    *,
    in_session: str | None,
    principal: Principal | None,
    assigned: bool,
    code: bool,
    broadcast_on: bool,
) -> LiveFacts:
    """The rule's inputs for one caller; `in_session` is the id of the room's hearing in session."""
    staff = (
        principal is not None
        and principal.role in STAFF_ROLES
        and principal.may_use_courtroom(hearing.courtroom_id)
    )
    return LiveFacts(
        visibility=hearing.visibility,
        status=hearing.status,
        in_session_here=in_session == hearing.id,
        room_idle=in_session is None,
        staff=staff,
        entitled=principal is not None and (principal.role == "admin" or assigned),
        code=code,
        broadcast_on=broadcast_on,
        screen=principal is not None
        and principal.may_show(hearing.courtroom_id, hearing.visibility),
    )


async def valid_codes(session: AsyncSession, code_ids: list[str]) -> dict[str, AccessCode]:
    """Code id -> its row, for the codes among `code_ids` neither revoked nor expired (what
    each opens: `AccessCode.opens`)."""
    if not code_ids:
        return {}
    now = datetime.now(UTC)
    codes = await session.scalars(select(AccessCode).where(AccessCode.id.in_(code_ids)))
    return {
        code.id: code
        for code in codes
        if code.revoked_at is None and (code.expires_at is None or code.expires_at > now)
    }
