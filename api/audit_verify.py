"""`courtcast audit verify`: the audit log against its keyed chain, its signed checkpoints,
and the audit head that each sealed recording's manifest carries.

Runs beside or without the server, on the same database, object store and data directory
(its key ring and secret are read, never created). One line per problem and exit 1, or
one OK line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.court_config import open_store
from api.settings import Settings
from recorder.integrity import unseal
from storage.audit import Anchor, AuditLog, check_anchors, stream_events
from storage.audit_checkpoint_check import check_checkpoints
from storage.db import Database
from storage.keyring import KeyRing, load_secret
from storage.models import Recording
from storage.objects import ObjectNotFound, ObjectStore


@dataclass(slots=True)
class ManifestAnchors:
    anchors: list[Anchor] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def verify_audit_log(settings: Settings) -> int:
    """0 when the log is exactly as appended and every anchor agrees, 1 naming each problem."""
    data_dir = settings.resolved_data_dir
    trusted = KeyRing.open(data_dir).public_keys
    audit = AuditLog.from_secret(load_secret(data_dir))
    db = Database(settings.index_url)
    store = open_store(settings)
    try:
        async with db.session() as session:
            checkpoints = await check_checkpoints(session, store, trusted)
            manifests = await manifest_anchors(session, store, trusted)
            anchors = checkpoints.anchors + manifests.anchors
            report = await audit.verify(
                stream_events(session), anchored={anchor.entries for anchor in anchors}
            )
    finally:
        await store.close()
        await db.close()
    problems = [
        *(f"BROKEN {found}" for found in report.breaks),
        *check_anchors(report, anchors),
        *checkpoints.problems,
        *manifests.problems,
    ]
    for problem in problems:
        print(problem)
    if problems:
        return 1
    newest = f" (newest at {checkpoints.newest_at.isoformat()})" if checkpoints.newest_at else ""
    legacy = (
        f"; the first {report.legacy} are legacy entries chained with plain SHA-256"
        if report.legacy
        else ""
    )
    print(
        f"OK audit log: {_count(report.entries, 'entry', 'entries')}, chain intact, "
        f"{_count(checkpoints.count, 'checkpoint', 'checkpoints')}{newest}, "
        f"{_count(len(manifests.anchors), 'sealed manifest agrees', 'sealed manifests agree')}"
        f"{legacy}"
    )
    return 0


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


async def manifest_anchors(
    session: AsyncSession, store: ObjectStore, trusted: Mapping[str, Ed25519PublicKey]
) -> ManifestAnchors:
    """The audit head each sealed recording's manifest (the version the index recorded) signed."""
    found = ManifestAnchors()
    sealed = await session.execute(
        select(Recording.id, Recording.manifest_key, Recording.manifest_version_id)
        .where(Recording.manifest_key.is_not(None))
        .order_by(Recording.started_at)
    )
    for recording_id, key, version_id in sealed:
        assert key is not None  # selected so
        try:
            manifest, _ = unseal(await store.get_bytes(key, version_id=version_id), trusted)
        except ObjectNotFound:
            found.problems.append(
                f"MISSING manifest {key}: recording {recording_id}'s audit head cannot be checked"
            )
            continue
        except ValueError as error:
            found.problems.append(f"ALTERED manifest {key}: {error}")
            continue
        head = manifest.get("audit")
        if isinstance(head, dict):  # manifests sealed before they carried it have none
            found.anchors.append(
                Anchor(
                    f"the manifest of recording {recording_id}",
                    int(head["entries"]),
                    str(head["head"]),
                )
            )
    return found
