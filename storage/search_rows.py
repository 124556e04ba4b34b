"""What a search result row shows beside the hearing: its case, courtroom, parties, recordings.

A judge recognises a hearing by its case number, title and parties, not by a time and a
hearing title. Fetched for a whole page at once (four queries, whatever the page size), only
for hearings the search already found visible, so sealing needs no check here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.catalog import case_parties
from storage.models import Case, CaseParty, Courtroom, Hearing, Recording


@dataclass(frozen=True, slots=True)
class HearingRow:
    hearing: Hearing
    case: Case
    courtroom: Courtroom
    parties: list[CaseParty]
    recordings: list[Recording]  # oldest first


async def hearing_rows(session: AsyncSession, hearings: list[Hearing]) -> list[HearingRow]:
    """The rows of a page of hearings, in the page's order."""
    case_ids = list({h.case_id for h in hearings})
    room_ids = list({h.courtroom_id for h in hearings})
    cases = {c.id: c for c in await session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    rooms = {
        r.id: r for r in await session.scalars(select(Courtroom).where(Courtroom.id.in_(room_ids)))
    }
    parties = await case_parties(session, case_ids=case_ids)
    recordings: dict[str, list[Recording]] = defaultdict(list)
    found = await session.scalars(
        select(Recording)
        .where(Recording.hearing_id.in_([h.id for h in hearings]))
        .order_by(Recording.started_at, Recording.id)
    )
    for recording in found:
        recordings[recording.hearing_id].append(recording)
    return [
        HearingRow(h, cases[h.case_id], rooms[h.courtroom_id], parties[h.case_id], recordings[h.id])
        for h in hearings
    ]
