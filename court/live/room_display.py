"""The courtroom's display (`/display/{courtroom}`): what the screens in the room, and viewing
points granted the room, show beside the clerk's record: the hearing in session, its case and
parties, and the exhibit being shown.

The display is judged by the live rule (court/in_session.py) as its token watching the hearing
in session: a screen sees the hearings it is granted, staff of the room the ones they may
watch live. For any other hearing in session it shows a notice and nothing of the hearing (it
may be sealed). A courtroom the token cannot reach answers like an unknown one. The exhibit is
the newest `exhibit_shown` marker of the hearing at the viewer's cutoff (the broadcast delay
for a screen), so a display never shows what the delay holds back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import CourtError, Forbidden, NotFound
from court.in_session import hearing_in_session
from court.live.viewer_access import Access, judge_viewer
from court.principals import STAFF_ROLES, Principal
from court.runtime import Runtime
from storage.models import Case, CaseParty, Courtroom, Hearing, Marker, Recording

COURTROOM_NOT_FOUND = "courtroom not found"
DisplayNotice = Literal["not_for_this_display", "broadcast_stopped"]


@dataclass(frozen=True, slots=True)
class DisplayedHearing:
    hearing: Hearing
    case: Case
    parties: list[CaseParty]
    exhibit: str | None  # the exhibit being shown, as the operator named it
    real_time: bool  # staff see the live edge; screens the broadcast


@dataclass(frozen=True, slots=True)
class RoomDisplay:
    courtroom: Courtroom
    hearing: DisplayedHearing | None
    notice: DisplayNotice | None


async def room_display(
    session: AsyncSession, runtime: Runtime, principal: Principal, courtroom_id: str
) -> RoomDisplay:
    """What the courtroom's display shows now for this token (see the module's docstring)."""
    courtroom = await session.get(Courtroom, courtroom_id)
    if courtroom is None or not _reaches(principal, courtroom_id):
        raise NotFound(COURTROOM_NOT_FOUND)
    hearing_id = await hearing_in_session(session, courtroom_id)
    hearing = await session.get(Hearing, hearing_id) if hearing_id else None
    if hearing is None:
        return RoomDisplay(courtroom, None, None)
    try:
        access = await judge_viewer(session, runtime, hearing, principal)
    except Forbidden:  # the court cut the broadcast
        return RoomDisplay(courtroom, None, "broadcast_stopped")
    except CourtError:  # sealed, restricted without a grant: nothing of it
        return RoomDisplay(courtroom, None, "not_for_this_display")
    return RoomDisplay(courtroom, await _displayed(session, runtime, access), None)


async def viewer_delay(session: AsyncSession, runtime: Runtime, access: Access) -> float:
    """How far behind the viewer sees: not at all for staff, the broadcast delay for the rest."""
    if access.real_time:
        return 0.0
    return (await runtime.broadcasts.state(session, access.hearing.id)).delay_s


def _reaches(principal: Principal, courtroom_id: str) -> bool:
    if principal.role == "screen":
        return courtroom_id in principal.courtroom_ids
    return principal.role in STAFF_ROLES and principal.may_use_courtroom(courtroom_id)


async def _displayed(session: AsyncSession, runtime: Runtime, access: Access) -> DisplayedHearing:
    hearing = access.hearing
    case = await session.get(Case, hearing.case_id)
    assert case is not None  # foreign key
    parties = await session.scalars(
        select(CaseParty)
        .where(CaseParty.case_id == case.id)
        .order_by(CaseParty.position, CaseParty.id)
    )
    delay = await viewer_delay(session, runtime, access)
    cutoff = datetime.now(UTC) - timedelta(seconds=delay)
    exhibit = await session.scalar(
        select(Marker.text)
        .join(Recording, Recording.id == Marker.recording_id)
        .where(
            Recording.hearing_id == hearing.id,
            Marker.kind == "exhibit_shown",
            Marker.at <= cutoff,
        )
        .order_by(Marker.at.desc(), Marker.created_at.desc())
        .limit(1)
    )
    return DisplayedHearing(hearing, case, list(parties), exhibit or None, access.real_time)
