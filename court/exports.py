"""Certified clips: a time range of one camera, remuxed from the archive, and its proof.

The clip is cut from the segments the signed manifest names, each hashed as it is read and
checked against the manifest before remuxing (no transcoding); the statement
(`courtcast-clip/2`) lists those hashes, the manifest it was checked against and the clip's
own hash. Only a stopped recording is exported: a running one has no manifest yet.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict, Invalid
from court.evidence_refusal import Requester, refuse_uncertifiable
from court.visibility import visible_recording
from recorder.evidence_sources import EvidenceMismatch, SignedRecording, signed_recording
from recorder.export import (
    Clip,
    CrossesEpochs,
    SourceObject,
    clip_objects,
    read_sources,
    remux_clip,
)
from storage.audit import AuditLog
from storage.catalog import indexed_versions
from storage.keyring import KeyRing
from storage.models import Case, Hearing, Recording
from storage.objects import ObjectStore

CLIP_FORMAT = "courtcast-clip/2"
MAX_CLIP_S = 4 * 3600
KEYFRAME_BEFORE_START = "starts_at_keyframe_before_requested_start"
AS_REQUESTED = "starts_as_requested"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a cut reads from and answers to: the store, the keys, the audit log."""

    store: ObjectStore
    keyring: KeyRing
    audit: AuditLog


@dataclass(frozen=True, slots=True)
class Cut:
    """A clip and the proof of what it was cut from."""

    recording: Recording
    signed: SignedRecording
    clip: Clip
    sources: list[SourceObject]
    case_number: str

    def exported(self, *, start: datetime, end: datetime) -> dict[str, str]:
        """The range the clip holds against the one asked for, and why they differ.

        A clip can only begin on a keyframe, the first picture of the segment holding the
        requested start, so it usually begins a little before it; it ends with the last
        picture before the requested end.
        """
        began = self.clip.starts_at
        return {
            "from": began.isoformat(),
            "to": (began + timedelta(seconds=self.clip.duration_s)).isoformat(),
            "reason": KEYFRAME_BEFORE_START if began < start else AS_REQUESTED,
        }


async def cut_clip(
    session: AsyncSession,
    evidence: Evidence,
    requester: Requester,
    *,
    recording_id: str,
    camera: str,
    start: datetime,
    end: datetime,
    workdir: Path,
) -> Cut:
    """Cut `camera` of the recording from `start` to `end` into `workdir`, checked as read."""
    recording = await visible_recording(session, requester.principal, recording_id)
    if (end - start).total_seconds() > MAX_CLIP_S:
        raise Invalid("a clip is at most 4 hours", code="clip_too_long")
    if recording.status == "recording":
        raise Conflict(
            "the recording is still running: clips are certified against the manifest "
            "signed when it stops, so export once it has stopped",
            code="recording_running",
        )

    async def refuse(error: EvidenceMismatch) -> NoReturn:
        await refuse_uncertifiable(
            session,
            evidence.audit,
            requester,
            action="export_refused",
            details={"recording_id": recording.id, "camera": camera},
            error=error,
            nothing_made="no clip is certified",
        )

    try:
        signed = await signed_recording(evidence.store, evidence.keyring.public_keys, recording)
    except EvidenceMismatch as error:
        await refuse(error)
    try:
        objects = clip_objects(signed.manifest, camera, start=start, end=end)
    except CrossesEpochs as error:
        raise Conflict(str(error), code="clip_crosses_change") from error
    except ValueError as error:
        raise Invalid(str(error), code="clip_range") from error
    # the object versions the index recorded: read those, not whatever was laid on top since
    versions = await indexed_versions(
        session, recording_id=recording.id, camera=camera, objects=objects
    )
    joined = workdir / "archive.mp4"
    try:
        sources = await read_sources(
            evidence.store, signed, objects, versions=versions, output=joined
        )
    except EvidenceMismatch as error:
        await refuse(error)
    origin = datetime.fromisoformat(objects[1]["started_at"])  # the first media segment's
    try:
        clip = await asyncio.to_thread(
            remux_clip, joined, origin, end=end, output=workdir / "clip.mp4"
        )
    except ValueError as error:  # no picture before `end`
        raise Invalid(str(error), code="clip_no_picture") from error
    hearing = await session.get(Hearing, recording.hearing_id)
    case = await session.get(Case, hearing.case_id) if hearing is not None else None
    return Cut(recording, signed, clip, sources, case.number if case is not None else "")


def statement(cut: Cut, *, camera: str, start: datetime, end: datetime) -> dict[str, Any]:
    """What the court signs about a clip: the clip, each source as read, and the manifest."""
    recording, clip = cut.recording, cut.clip
    return {
        "format": CLIP_FORMAT,
        "recording_id": recording.id,
        "hearing_id": recording.hearing_id,
        "camera": camera,
        "requested": {"from": start.isoformat(), "to": end.isoformat()},
        "exported": cut.exported(start=start, end=end),
        "clip": {
            "sha256": clip.sha256,
            "bytes": clip.size,
            "starts_at": clip.starts_at.isoformat(),
            "duration_s": round(clip.duration_s, 3),
            "video_frames": clip.video_frames,
        },
        "sources": [
            {"key": s.key, "sha256": s.sha256, "bytes": s.size, "version_id": s.version_id}
            for s in cut.sources
        ],
        "recording_manifest": {
            "key": recording.manifest_key,
            "sha256": recording.manifest_sha256,
            "version_id": recording.manifest_version_id,
            "key_id": cut.signed.key_id,
        },
    }
