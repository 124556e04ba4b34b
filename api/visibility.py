"""Sealed hearings exist only for admins and the people assigned to them.

Everyone else gets the same 404 as for an id that never existed, on every
route: a 403 would confirm the hearing is there. Recordings, playlists,
segments, markers, transcripts and exports of a sealed hearing follow it.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.principals import Principal
from storage.models import Hearing, HearingAssignment, Recording

HEARING_NOT_FOUND = "hearing not found"
RECORDING_NOT_FOUND = "recording not found"


async def may_see(session: AsyncSession, principal: Principal, hearing: Hearing) -> bool:
    if hearing.visibility != "sealed" or principal.role == "admin":
        return True
    if principal.token_id is None:
        return False
    assigned = await session.get(HearingAssignment, (hearing.id, principal.token_id))
    return assigned is not None


async def visible_hearing(session: AsyncSession, principal: Principal, hearing_id: str) -> Hearing:
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None or not await may_see(session, principal, hearing):
        raise HTTPException(status.HTTP_404_NOT_FOUND, HEARING_NOT_FOUND)
    return hearing


async def visible_recording(
    session: AsyncSession, principal: Principal, recording_id: str
) -> Recording:
    recording = await session.get(Recording, recording_id)
    hearing = None if recording is None else await session.get(Hearing, recording.hearing_id)
    if recording is None or hearing is None or not await may_see(session, principal, hearing):
        raise HTTPException(status.HTTP_404_NOT_FOUND, RECORDING_NOT_FOUND)
    return recording


def search_scope(principal: Principal) -> dict[str, Any]:
    """The sealed-hearing part of a search's filters for this caller."""
    return {"all_sealed": principal.role == "admin", "sealed_for_token": principal.token_id}


async def assigned_hearing_ids(session: AsyncSession, token_id: str) -> list[str]:
    rows = await session.scalars(
        select(HearingAssignment.hearing_id).where(HearingAssignment.token_id == token_id)
    )
    return list(rows)
