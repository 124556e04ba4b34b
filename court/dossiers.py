"""A hearing's e-dossier package (电子卷宗) as one ZIP: built whole in a temporary directory,
every object checked against its recording's signed manifest as it is copied.

One package at a time per process: each holds a full copy of the hearing's footage on disk
twice over while it is built, and the disk it uses may be the recorder's spool's.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict, OutOfRoom, TooMany
from court.evidence_refusal import Requester, refuse_uncertifiable
from court.exports import Evidence
from court.sealing import SOFTWARE_VERSION
from court.visibility import visible_hearing
from recorder.dossier import RecordingInProgress, build_package, write_zip
from recorder.evidence_sources import EvidenceMismatch
from storage.models import Hearing, InitSegment, Recording, Segment, Track

_building = asyncio.Lock()
# Peak disk use: the copied segments and their MP4s (2x), then the ZIP beside them (2x more).
PEAK_COPIES = 4
DISK_RESERVE = 1 << 30  # what is left free for the spool and the index, beyond the peak


async def dossier_zip(
    session: AsyncSession, evidence: Evidence, requester: Requester, hearing_id: str
) -> Path:
    """The hearing's package as a ZIP in a temporary directory of its own (the caller removes
    `zip.parent` once sent); refuses a hidden hearing, a second build, a full disk, a running
    recording, and footage that no longer matches what the court signed."""
    hearing = await visible_hearing(session, requester.principal, hearing_id)
    if _building.locked():
        raise TooMany("another package is being built; try again in a minute", retry_after_s=60)
    async with _building:
        return await _build(session, evidence, requester, hearing)


async def _build(
    session: AsyncSession, evidence: Evidence, requester: Requester, hearing: Hearing
) -> Path:
    needed = PEAK_COPIES * await _stored_bytes(session, hearing.id) + DISK_RESERVE
    free = shutil.disk_usage(tempfile.gettempdir()).free
    if free < needed:
        raise OutOfRoom(
            f"building this package needs {needed >> 20} MiB free for temporary files, "
            f"{free >> 20} MiB are; ask the administrator, or use `courtcast package` "
            "on a machine with room"
        )
    name = f"courtcast-hearing-{hearing.id}"
    workdir = Path(tempfile.mkdtemp(prefix="courtcast-package-"))
    try:
        await build_package(
            session,
            evidence.store,
            evidence.keyring,
            hearing=hearing,
            directory=workdir / name,
            software_version=SOFTWARE_VERSION,
        )
        archive = workdir / f"{name}.zip"
        await asyncio.to_thread(write_zip, workdir / name, archive)
        await asyncio.to_thread(shutil.rmtree, workdir / name)  # only the ZIP stays till sent
    except RecordingInProgress as error:
        shutil.rmtree(workdir, ignore_errors=True)
        raise Conflict(str(error)) from None
    except EvidenceMismatch as error:
        shutil.rmtree(workdir, ignore_errors=True)
        await refuse_uncertifiable(
            session,
            evidence.audit,
            requester,
            action="package_refused",
            details={"hearing_id": hearing.id},
            error=error,
            nothing_made="no package is made",
        )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return archive


async def _stored_bytes(session: AsyncSession, hearing_id: str) -> int:
    """Every archived byte of the hearing's recordings: what the package copies."""
    recordings = select(Recording.id).where(Recording.hearing_id == hearing_id)
    tracks = select(Track.id).where(Track.recording_id.in_(recordings))
    total = 0
    for model in (Segment, InitSegment):
        total += (
            await session.scalar(
                select(func.coalesce(func.sum(model.size), 0)).where(model.track_id.in_(tracks))
            )
            or 0
        )
    return total
