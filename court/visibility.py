"""Sealed hearings exist only for admins and the people assigned to them.

Everyone else gets the same "not found" as for an id that never existed, on every route:
a "forbidden" would confirm the hearing is there. Recordings, playlists, segments,
markers, transcripts and exports of a sealed hearing follow it, and so does a case whose
hearings are all sealed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Forbidden, NotFound
from court.principals import Principal
from storage.models import Case, Hearing, HearingAssignment, Recording

HEARING_NOT_FOUND = "hearing not found"
RECORDING_NOT_FOUND = "recording not found"
NOT_YOUR_COURTROOM = "this token may not use that courtroom"


def require_courtroom(principal: Principal, courtroom_id: str) -> None:
    """Refuse a token scoped to other courtrooms (Forbidden)."""
    if not principal.may_use_courtroom(courtroom_id):
        raise Forbidden(NOT_YOUR_COURTROOM)


async def may_see(session: AsyncSession, principal: Principal, hearing: Hearing) -> bool:
    if hearing.visibility != "sealed" or principal.role == "admin":
        return True
    if principal.token_id is None:
        return False
    assigned = await session.get(HearingAssignment, (hearing.id, principal.token_id))
    return assigned is not None


async def visible_hearing(session: AsyncSession, principal: Principal, hearing_id: str) -> Hearing:
    """The hearing, or NotFound when there is none this caller may see."""
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None or not await may_see(session, principal, hearing):
        raise NotFound(HEARING_NOT_FOUND)
    return hearing


async def visible_recording(
    session: AsyncSession, principal: Principal, recording_id: str
) -> Recording:
    """The recording, or NotFound when there is none or its hearing is hidden from the caller."""
    recording = await session.get(Recording, recording_id)
    hearing = None if recording is None else await session.get(Hearing, recording.hearing_id)
    if recording is None or hearing is None or not await may_see(session, principal, hearing):
        raise NotFound(RECORDING_NOT_FOUND)
    return recording


def search_scope(principal: Principal) -> dict[str, Any]:
    """The sealed-hearing part of a search's filters for this caller."""
    return {"all_sealed": principal.role == "admin", "sealed_for_token": principal.token_id}


def case_visible(principal: Principal) -> ColumnElement[bool]:
    """SQL: the case has no hearing yet, or one this caller may see."""
    if principal.role == "admin":
        return true()
    assigned = (
        false()
        if principal.token_id is None
        else Hearing.id.in_(
            select(HearingAssignment.hearing_id).where(
                HearingAssignment.token_id == principal.token_id
            )
        )
    )
    of_case = Hearing.case_id == Case.id
    return or_(
        ~exists().where(of_case),
        exists().where(of_case, or_(Hearing.visibility != "sealed", assigned)),
    )
