"""Parties confirm the record (当事人确认庭审笔录): at the end of a hearing each party reads the
record on a tablet and signs it on the screen.

What is confirmed is one version of the recording's record as parties see it (its lines that
are not staff-only, current text), named by the SHA-256 of their canonical JSON. A confirmation
is taken only once the recording is stopped and sealed, so it can speak for the manifest too:
the drawn signature (PNG) and a statement signed with the installation's key (the party, the
version with its lines, the signature's and the manifest's hashes, who held the tablet) are
stored beside the footage, under its retention and legal hold.

Checking one reads every object it speaks for again (the statement, the signature, the
manifest), hashes the bytes and verifies the signature, and says whether the record still reads
as confirmed: a later correction leaves the confirmation standing for the version signed.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from court.errors import Conflict, Invalid
from storage.catalog import case_parties, recording_protection, track_prefix
from storage.confirmation_models import RecordConfirmation
from storage.evidence_verifier import canonical_json
from storage.keyring import KeyRing
from storage.models import Case, Hearing, Recording, TranscriptLine, new_id
from storage.objects import ObjectNotFound, ObjectStore, follow_legal_hold

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_BYTES = 256 * 1024
MAX_SIGNATURE_SIDE = 4096  # pixels


@dataclass(frozen=True, slots=True)
class RecordVersion:
    sha256: str
    lines: list[dict[str, str]]  # id, at, speaker_role, text: what the party reads


@dataclass(frozen=True, slots=True)
class ConfirmationCheck:
    confirmation: RecordConfirmation
    problems: list[str]  # empty: every byte it speaks for is as signed
    current: bool  # the record still reads as the version confirmed

    @property
    def verified(self) -> bool:
        return not self.problems


def version_of(lines: list[dict[str, str]]) -> str:
    return hashlib.sha256(canonical_json(lines)).hexdigest()


async def record_version(session: AsyncSession, recording: Recording) -> RecordVersion:
    """The recording's record as a party reads it now, and its version."""
    found = await session.scalars(
        select(TranscriptLine)
        .where(TranscriptLine.recording_id == recording.id, TranscriptLine.staff_only.is_(False))
        .order_by(TranscriptLine.at, TranscriptLine.id)
    )
    lines = [
        {"id": ln.id, "at": ln.at.isoformat(), "speaker_role": ln.speaker_role, "text": ln.text}
        for ln in found
    ]
    return RecordVersion(version_of(lines), lines)


def check_signature(png: bytes) -> None:
    """A PNG of a sensible size, by its header (the image is stored, never decoded here)."""
    if len(png) > MAX_SIGNATURE_BYTES:
        raise Invalid(f"the signature image is over {MAX_SIGNATURE_BYTES // 1024} KiB")
    if len(png) < 33 or not png.startswith(PNG_MAGIC) or png[12:16] != b"IHDR":
        raise Invalid("the signature must be a PNG image")
    width, height = struct.unpack(">II", png[16:24])
    if not (0 < width <= MAX_SIGNATURE_SIDE and 0 < height <= MAX_SIGNATURE_SIDE):
        raise Invalid("the signature image has an impossible size")


async def confirm_record(
    session: AsyncSession,
    store: ObjectStore,
    keyring: KeyRing,
    recording: Recording,
    *,
    party: tuple[str, str],
    record_sha256: str,
    signature_png: bytes,
    taken_by: str,
) -> RecordConfirmation:
    """Store a party's (name, role) signature on the version `record_sha256` it was shown."""
    if recording.status == "recording" or not recording.manifest_sha256:
        raise Conflict("the record is confirmed once the recording has stopped and been sealed")
    hearing = await session.get(Hearing, recording.hearing_id)
    case = await session.get(Case, hearing.case_id) if hearing else None
    assert hearing is not None and case is not None  # foreign keys
    name, role = party
    parties = (await case_parties(session, case_ids=[case.id]))[case.id]
    if (name, role) not in {(p.name, p.role) for p in parties}:
        raise Invalid(f"{role} {name} is not a party of case {case.number}")
    version = await record_version(session, recording)
    if not version.lines:
        raise Conflict("the record has no lines to confirm")
    if version.sha256 != record_sha256:
        raise Conflict("the record has changed since it was shown: read it again")
    check_signature(signature_png)
    confirmation_id = new_id()
    prefix = track_prefix(recording, "-")
    protection = await recording_protection(session, recording_id=recording.id)
    signature_key = prefix.confirmation_key(confirmation_id, "png")
    signature = await store.put_bytes(
        signature_key, signature_png, content_type="image/png", protection=protection
    )
    now = datetime.now(UTC)
    statement = {
        "kind": "record_confirmation",
        "confirmation_id": confirmation_id,
        "recording_id": recording.id,
        "hearing_id": hearing.id,
        "case_number": case.number,
        "party": {"name": name, "role": role},
        "record": {"sha256": version.sha256, "lines": version.lines},
        "signature": {"key": signature_key, "sha256": signature.sha256},
        "manifest": {"key": recording.manifest_key, "sha256": recording.manifest_sha256},
        "confirmed_at": now.isoformat(),
        "taken_by": taken_by,
    }
    statement_key = prefix.confirmation_key(confirmation_id, "json")
    stored = await store.put_bytes(
        statement_key,
        keyring.seal(statement),
        content_type="application/json",
        protection=protection,
    )
    confirmation = RecordConfirmation(
        id=confirmation_id,
        recording_id=recording.id,
        party_name=name,
        party_role=role,
        record_sha256=version.sha256,
        record_lines=len(version.lines),
        signature_key=signature_key,
        signature_sha256=signature.sha256,
        statement_key=statement_key,
        statement_sha256=stored.sha256,
        taken_by=taken_by,
        confirmed_at=now,
    )
    session.add(confirmation)
    await session.commit()
    held = await recording_protection(session, recording_id=recording.id)
    for key in (signature_key, statement_key):  # a hold placed meanwhile reaches them too
        await follow_legal_hold(store, key, written=protection, now=held)
    return confirmation


async def check_confirmations(
    session: AsyncSession, store: ObjectStore, keyring: KeyRing, recording: Recording
) -> list[ConfirmationCheck]:
    """Every confirmation of the recording, checked now against the bytes it speaks for."""
    rows = await session.scalars(
        select(RecordConfirmation)
        .where(RecordConfirmation.recording_id == recording.id)
        .order_by(RecordConfirmation.confirmed_at, RecordConfirmation.id)
    )
    current = (await record_version(session, recording)).sha256
    manifest = await _read(store, recording.manifest_key)
    checks = []
    for row in rows:
        problems = await _problems(store, keyring, recording, row, manifest)
        checks.append(ConfirmationCheck(row, problems, row.record_sha256 == current))
    return checks


async def _read(store: ObjectStore, key: str | None) -> bytes | None:
    if key is None:
        return None
    try:
        return await store.get_bytes(key)
    except ObjectNotFound:
        return None


def _sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


async def _problems(
    store: ObjectStore,
    keyring: KeyRing,
    recording: Recording,
    row: RecordConfirmation,
    manifest: bytes | None,
) -> list[str]:
    problems = []
    statement = await _read(store, row.statement_key)
    if _sha256(statement) != row.statement_sha256:
        problems.append("the signed statement is missing or not the one stored")
    if _sha256(await _read(store, row.signature_key)) != row.signature_sha256:
        problems.append("the signature image is missing or altered")
    if _sha256(manifest) != recording.manifest_sha256:
        problems.append("the recording's manifest is missing or altered")
    if statement is None:
        return problems
    try:
        document, _ = keyring.open_sealed(statement)
    except ValueError:
        return [*problems, "the statement's signature does not verify"]
    said = (
        document.get("party"),
        document.get("record", {}).get("sha256"),
        document.get("signature", {}).get("sha256"),
        document.get("manifest", {}).get("sha256"),
    )
    expected = (
        {"name": row.party_name, "role": row.party_role},
        row.record_sha256,
        row.signature_sha256,
        recording.manifest_sha256,
    )
    if said != expected:
        problems.append("the statement does not say what the index holds")
    if version_of(document.get("record", {}).get("lines", [])) != row.record_sha256:
        problems.append("the statement's lines are not the version confirmed")
    return problems
