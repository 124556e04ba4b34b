"""The court record of a hearing as plain JSON for its e-dossier package (电子卷宗).

What the index holds beside the footage: the hearing and its case, the transcript
with every revision of every line, the markers and the gaps with their reasons.
A reader of the package has no database, so each document says everything itself;
times are UTC, and hearing.json also gives them in the court's own zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.catalog import case_parties
from storage.evidence_verifier import manifest_path
from storage.gaps import recording_gaps
from storage.models import (
    Case,
    Court,
    Courtroom,
    Hearing,
    Marker,
    Recording,
    TranscriptLine,
    TranscriptRevision,
)


def _utc(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _both(at: datetime | None, zone: ZoneInfo) -> dict[str, str] | None:
    """A time in UTC and in the court's zone, so neither reader has to convert."""
    if at is None:
        return None
    return {"utc": at.isoformat(), "local": at.astimezone(zone).isoformat()}


async def hearing_document(
    session: AsyncSession, hearing: Hearing, recordings: Sequence[Recording]
) -> dict[str, Any]:
    """hearing.json: which case, where, when, and which recordings the package holds."""
    case = await session.get(Case, hearing.case_id)
    courtroom = await session.get(Courtroom, hearing.courtroom_id)
    court = await session.get(Court, courtroom.court_id) if courtroom else None
    zone = ZoneInfo(court.timezone if court else "UTC")
    parties = (await case_parties(session, case_ids=[case.id]))[case.id] if case else []
    return {
        "hearing": {
            "id": hearing.id,
            "title": hearing.title,
            "status": hearing.status,
            "visibility": hearing.visibility,
            "presiding_judge": hearing.presiding_judge,
            "scheduled_start": _both(hearing.scheduled_start, zone),
            "actual_start": _both(hearing.actual_start, zone),
            "actual_end": _both(hearing.actual_end, zone),
        },
        "case": {
            "id": case.id,
            "number": case.number,
            "title": case.title,
            "parties": [{"name": p.name, "role": p.role} for p in parties],
        }
        if case
        else None,
        "court": {"id": court.id, "name": court.name} if court else None,
        "courtroom": {"id": courtroom.id, "name": courtroom.name, "kind": courtroom.kind}
        if courtroom
        else None,
        "timezone": zone.key,
        "recordings": [
            {
                "id": recording.id,
                "status": recording.status,
                "started_at": _both(recording.started_at, zone),
                "stopped_at": _both(recording.stopped_at, zone),
                "cameras": [track.camera for track in recording.tracks],
                "manifest": manifest_path(recording.id),
                "manifest_sha256": recording.manifest_sha256,
            }
            for recording in recordings
        ],
    }


async def transcript_document(session: AsyncSession, recording_ids: list[str]) -> dict[str, Any]:
    """transcript.json: every line as it reads now, with every version it has had."""
    lines = list(
        await session.scalars(
            select(TranscriptLine)
            .where(TranscriptLine.recording_id.in_(recording_ids))
            .order_by(TranscriptLine.at, TranscriptLine.id)
        )
    )
    revisions: dict[str, list[dict[str, Any]]] = {line.id: [] for line in lines}
    for revision in await session.scalars(
        select(TranscriptRevision)
        .where(TranscriptRevision.line_id.in_(list(revisions)))
        .order_by(TranscriptRevision.edited_at, TranscriptRevision.id)
    ):
        revisions[revision.line_id].append(
            {
                "text": revision.text,
                "speaker_role": revision.speaker_role,
                "edited_at": _utc(revision.edited_at),
                "edited_by": revision.edited_by,
            }
        )
    return {
        "lines": [
            {
                "id": line.id,
                "recording_id": line.recording_id,
                "at": _utc(line.at),
                "speaker_role": line.speaker_role,
                "text": line.text,
                "author": line.author,
                "created_at": _utc(line.created_at),
                "edited_at": _utc(line.edited_at),
                "revisions": revisions[line.id],
            }
            for line in lines
        ]
    }


async def markers_document(session: AsyncSession, recording_ids: list[str]) -> dict[str, Any]:
    markers = await session.scalars(
        select(Marker).where(Marker.recording_id.in_(recording_ids)).order_by(Marker.at, Marker.id)
    )
    return {
        "markers": [
            {
                "id": marker.id,
                "recording_id": marker.recording_id,
                "at": _utc(marker.at),
                "kind": marker.kind,
                "text": marker.text,
                "author": marker.author,
                "created_at": _utc(marker.created_at),
            }
            for marker in markers
        ]
    }


async def gaps_document(session: AsyncSession, recording_ids: list[str]) -> dict[str, Any]:
    """gaps.json: when a camera (or the whole recording) was not recorded, and why."""
    gaps = []
    for recording_id in recording_ids:
        for gap in await recording_gaps(session, recording_id=recording_id):
            gaps.append(
                {
                    "recording_id": recording_id,
                    "camera": gap.camera,
                    "reason": gap.reason,
                    "started_at": _utc(gap.started_at),
                    "ended_at": _utc(gap.ended_at),
                    "detail": gap.detail,
                }
            )
    return {"gaps": gaps}
