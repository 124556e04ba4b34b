"""The archive access log a supervisor reads: who opened which hearing's archived footage
(a playlist, a certified clip, an evidence package), when and from where, from the audit log.

Only the hearings the caller may see, in the courtrooms its token may use; a sealed hearing's
accesses only for those assigned to it (or an admin). Segment fetches are not listed one by one:
each follows a playlist that is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from court.principals import Principal
from court.visibility import may_see
from storage.audit_models import AuditEvent
from storage.models import Case, Courtroom, Hearing, Recording

MAX_ENTRIES = 1000
KINDS = {  # how an audited route ends -> what was opened
    "/playlist.m3u8": "playlist",
    "/export.mp4": "clip",
    "/export.json": "clip",
    "/package": "package",
}


@dataclass(frozen=True, slots=True)
class Access:
    at: datetime
    actor: str
    role: str
    kind: str  # playlist, clip, package
    recording_id: str | None  # None for a hearing's evidence package
    hearing_id: str
    case_number: str
    courtroom: str
    source: str  # the client address


def _kind(route: str) -> str | None:
    return next((kind for end, kind in KINDS.items() if route.endswith(end)), None)


async def archive_accesses(
    session: AsyncSession, principal: Principal, *, start: datetime, end: datetime
) -> list[Access]:
    """Newest first, at most MAX_ENTRIES."""
    events = await session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.at >= start,
            AuditEvent.at < end,
            or_(
                AuditEvent.target.like("/api/v1/recordings/%"),
                AuditEvent.target.like("/api/v1/hearings/%"),
            ),
        )
        .order_by(AuditEvent.sequence.desc())
    )
    accesses: list[Access] = []
    seen: dict[str, tuple[Hearing, str, str] | None] = {}
    for event in events:
        kind = _kind(str(event.details.get("route", "")))
        if kind is None or event.details.get("method") != "GET":
            continue
        parts = event.target.split("/")  # "", api, v1, recordings|hearings, id, ...
        recording_id = parts[4] if parts[3] == "recordings" else None
        hearing_id = parts[4] if recording_id is None else await _hearing_of(session, parts[4])
        if hearing_id is None:
            continue
        if hearing_id not in seen:
            seen[hearing_id] = await _visible(session, principal, hearing_id)
        found = seen[hearing_id]
        if found is None:
            continue
        hearing, number, room = found
        accesses.append(
            Access(
                at=event.at,
                actor=event.actor,
                role=event.role,
                kind=kind,
                recording_id=recording_id,
                hearing_id=hearing.id,
                case_number=number,
                courtroom=room,
                source=event.source,
            )
        )
        if len(accesses) >= MAX_ENTRIES:
            break
    return accesses


async def _hearing_of(session: AsyncSession, recording_id: str) -> str | None:
    recording = await session.get(Recording, recording_id)
    return recording.hearing_id if recording else None


async def _visible(
    session: AsyncSession, principal: Principal, hearing_id: str
) -> tuple[Hearing, str, str] | None:
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None:
        return None
    if not principal.may_use_courtroom(hearing.courtroom_id):
        return None
    if not await may_see(session, principal, hearing):
        return None
    case = await session.get(Case, hearing.case_id)
    room = await session.get(Courtroom, hearing.courtroom_id)
    return hearing, case.number if case else "", room.name if room else ""
