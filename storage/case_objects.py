"""Every stored object of a case, for placing or lifting its legal hold on each of them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.confirmation_models import RecordConfirmation
from storage.models import Hearing, InitSegment, Recording, Segment, Track


async def case_object_keys(session: AsyncSession, *, case_id: str) -> list[str]:
    """Every stored object of every recording of a case: init and media segments, manifests,
    the parties' confirmations of the record (signatures and statements)."""
    recordings = (
        select(Recording.id)
        .join(Hearing, Hearing.id == Recording.hearing_id)
        .where(Hearing.case_id == case_id)
    )
    tracks = select(Track.id).where(Track.recording_id.in_(recordings))
    keys = [
        *await session.scalars(
            select(InitSegment.object_key).where(InitSegment.track_id.in_(tracks))
        ),
        *await session.scalars(select(Segment.object_key).where(Segment.track_id.in_(tracks))),
        *await session.scalars(
            select(Recording.manifest_key).where(
                Recording.id.in_(recordings), Recording.manifest_key.is_not(None)
            )
        ),
    ]
    confirmations = await session.execute(
        select(RecordConfirmation.signature_key, RecordConfirmation.statement_key).where(
            RecordConfirmation.recording_id.in_(recordings)
        )
    )
    keys += [key for pair in confirmations for key in pair]
    return [key for key in keys if key is not None]
