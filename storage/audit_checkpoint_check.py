"""Reads the audit checkpoints back, from the index and from the store, and compares them.

Each side can be tampered with alone: the index by someone with the database (a row
deleted, or edited to say what the log now holds), the store by someone with its
credentials (an object deleted, replaced by an older one, or hidden by a delete marker on
a versioned bucket). Every checkpoint whose signature holds, wherever it was found, becomes
an `Anchor` the log is then held against; every disagreement is one line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import Anchor
from storage.audit_checkpoints import PREFIX, Checkpoint
from storage.audit_models import AuditCheckpoint
from storage.evidence_verifier import open_envelope
from storage.objects import ObjectNotFound, ObjectStore


@dataclass(slots=True)
class CheckpointFindings:
    anchors: list[Anchor] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    newest_at: datetime | None = None

    @property
    def count(self) -> int:
        """Checkpoints whose signature holds."""
        return len(self.anchors)


@dataclass(frozen=True, slots=True)
class _Read:
    checkpoint: Checkpoint
    sha256: str


async def check_checkpoints(
    session: AsyncSession, store: ObjectStore, trusted: Mapping[str, Ed25519PublicKey]
) -> CheckpointFindings:
    """Every checkpoint the index names or the store holds, checked against the other side."""
    findings = CheckpointFindings()
    rows = {
        row.object_key: row
        for row in await session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.at))
    }
    listed = [key async for key in store.list(PREFIX)]
    read: dict[str, _Read] = {}
    for key, row in rows.items():
        found = await _read_indexed(store, row, trusted, findings.problems)
        if found is not None:
            read[key] = found
    for key in listed:
        if key in rows:
            continue
        found = await _read_unindexed(store, key, trusted, findings.problems)
        if found is not None:
            read[key] = found
    for key, found in read.items():
        findings.problems.extend(_link_problems(key, found.checkpoint, read, rows, set(listed)))
        findings.anchors.append(_anchor(key, found.checkpoint))
    if read:
        findings.newest_at = max(found.checkpoint.at for found in read.values())
    return findings


def _anchor(key: str, checkpoint: Checkpoint) -> Anchor:
    return Anchor(f"checkpoint {key}", checkpoint.entries, checkpoint.head, checkpoint.legacy)


async def _read_indexed(
    store: ObjectStore,
    row: AuditCheckpoint,
    trusted: Mapping[str, Ed25519PublicKey],
    problems: list[str],
) -> _Read | None:
    """The version the index recorded; also what was laid on top of it."""
    key = row.object_key
    try:
        data = await store.get_bytes(key, version_id=row.version_id)
    except ObjectNotFound:
        problems.append(
            f"MISSING checkpoint {key}: the index recorded it ({row.entries} entries, "
            f"{row.at.isoformat()}), the store no longer has it"
        )
        return None
    if row.version_id is not None:
        problems.extend(await _covering_versions(store, key, row))
    digest = hashlib.sha256(data).hexdigest()
    if digest != row.sha256:
        problems.append(f"ALTERED checkpoint {key}: its bytes are not those the index recorded")
    found = _open(key, data, trusted, problems)
    if found is not None and (found.entries, found.head) != (row.entries, row.head):
        problems.append(
            f"ALTERED checkpoint {key}: the index says {row.entries} entries with head "
            f"{row.head[:16]}…, the signed checkpoint {found.entries} with {found.head[:16]}…"
        )
    return _Read(found, digest) if found is not None else None


async def _covering_versions(store: ObjectStore, key: str, row: AuditCheckpoint) -> list[str]:
    """A delete marker or other bytes laid on the recorded version of a versioned bucket."""
    try:
        current = await store.stat(key)
    except ObjectNotFound:
        return [
            f"DELETED checkpoint {key}: a delete marker hides it "
            "(the recorded version is still in the store)"
        ]
    if current.version_id == row.version_id or current.sha256 == row.sha256:
        return []  # the recorded version, or the same bytes again (a retried write)
    return [f"REPLACED checkpoint {key}: other bytes were laid on top of the recorded version"]


async def _read_unindexed(
    store: ObjectStore, key: str, trusted: Mapping[str, Ed25519PublicKey], problems: list[str]
) -> _Read | None:
    """In the store but not in the index: its row was deleted, or it was never ours."""
    data = await store.get_bytes(key)
    found = _open(key, data, trusted, [])
    if found is None:
        problems.append(f"UNINDEXED {key}: in the store's checkpoints, not a valid checkpoint")
        return None
    problems.append(
        f"UNINDEXED checkpoint {key}: in the store ({found.entries} entries, "
        f"{found.at.isoformat()}) but not in the index"
    )
    return _Read(found, hashlib.sha256(data).hexdigest())


def _open(
    key: str, data: bytes, trusted: Mapping[str, Ed25519PublicKey], problems: list[str]
) -> Checkpoint | None:
    """The signed checkpoint, if its signature holds and it sits under its own key."""
    try:
        document, _ = open_envelope(data, trusted)
        checkpoint = Checkpoint.parse(document)
    except ValueError as error:
        problems.append(f"ALTERED checkpoint {key}: {error}")
        return None
    if checkpoint.key != key:
        problems.append(f"MOVED checkpoint {key}: its signed contents belong at {checkpoint.key}")
    return checkpoint


def _link_problems(
    key: str,
    checkpoint: Checkpoint,
    read: Mapping[str, _Read],
    rows: Mapping[str, AuditCheckpoint],
    listed: set[str],
) -> list[str]:
    """The checkpoint before this one must still be there, with the bytes this one names."""
    previous = checkpoint.previous_key
    if previous is None:
        return []
    if previous not in rows and previous not in listed:
        return [
            f"MISSING checkpoint {previous}: {key} names it as the one before it, "
            "neither the index nor the store has it"
        ]
    found = read.get(previous)
    if found is not None and found.sha256 != checkpoint.previous_sha256:
        return [f"ALTERED checkpoint {previous}: {key} names it with other bytes"]
    return []
