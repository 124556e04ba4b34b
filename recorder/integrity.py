"""Tamper evidence: each track's segment hashes are chained and the whole is signed.

At stop, a manifest lists every stored object of a recording in order with its
SHA-256, size and time, the gaps and their reasons, and a per-track hash chain.
It is signed with the installation's Ed25519 key (storage/keyring.py) and stored beside the
segments, so a removed, altered or reordered segment is detectable later by
anyone holding the public key, even if the index was edited too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from storage.evidence_verifier import chain_head, open_envelope
from storage.objects import ObjectNotFound, ObjectStore, ObjectVersion

MANIFEST_FORMAT = "courtcast-manifest/2"
Manifest = dict[str, Any]


def build_manifest(
    *,
    recording: dict[str, Any],
    tracks: dict[str, list[dict[str, Any]]],
    gaps: list[dict[str, Any]],
    software_version: str,
    audit_head: dict[str, Any],
) -> Manifest:
    """The document that is signed: `tracks` maps each camera to its objects in order.

    `audit_head` ({"entries", "head"}) anchors the audit log as it stood at the seal.
    """
    return {
        "format": MANIFEST_FORMAT,
        "recording": recording,
        "software_version": software_version,
        "audit": audit_head,
        "gaps": gaps,
        "tracks": {
            camera: {"objects": objects, "chain": chain_head(objects)}
            for camera, objects in tracks.items()
        },
    }


def unseal(data: bytes, trusted: Mapping[str, Ed25519PublicKey]) -> tuple[Manifest, str]:
    """The manifest and the id of the key that signed it, if one of `trusted` signed exactly
    these contents and each track's hash chain holds; ValueError otherwise."""
    manifest, key_id = open_envelope(data, trusted)
    for camera, track in manifest.get("tracks", {}).items():
        if chain_head(track["objects"]) != track["chain"]:
            raise ValueError(f"the hash chain of camera {camera!r} does not match its objects")
    return manifest, key_id


# What binds a recording to its place in the court: editing any of these in the index would
# file the footage under another hearing, courtroom or time.
IDENTITY_FIELDS = ("hearing_id", "courtroom_id", "court_id", "started_at")


def identity_differences(manifest: Manifest, recording: Any) -> list[str]:
    """How the index's record of `recording` differs from what its manifest signed."""
    signed = manifest.get("recording", {})
    differences = []
    for field in IDENTITY_FIELDS:
        value = getattr(recording, field)
        indexed = value.isoformat() if hasattr(value, "isoformat") else value
        if signed.get(field) != indexed:
            differences.append(
                f"the index says {field} {indexed}, the manifest signed {signed.get(field)}"
            )
    return differences


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem verification found, with the object (or camera folder) it concerns."""

    # missing, altered, reordered, extra (the bytes); overwritten, hidden (versions laid on
    # top of the recorded one); foreign, camera, index (the manifest's binding to the index)
    kind: str
    key: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.upper()} {self.key}: {self.detail}"


def signed_objects(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """Every object a manifest names, by key, with the camera it belongs to."""
    return {
        entry["key"]: {**entry, "camera": camera}
        for camera, track in manifest["tracks"].items()
        for entry in track["objects"]
    }


async def verify_objects(
    manifest: Manifest,
    store: ObjectStore,
    *,
    versions: Mapping[str, str | None],
    listing: Iterable[str],
    source: str = "signed",
) -> list[Finding]:
    """Compare the store with the manifest's objects, and name what else lies beside them.

    Each object is read at the version the index recorded (`versions`, by key; else the
    one the manifest names, else the newest), so a version laid on top cannot pass for it
    and is reported on its own. `listing` is every key under the recording's prefix.
    `source` says in the findings where the expected hashes come from.
    """
    signed = signed_objects(manifest)
    by_hash = {entry["sha256"]: key for key, entry in signed.items()}
    findings: list[Finding] = []
    for key, entry in signed.items():
        version = versions.get(key) or entry.get("version_id")
        problem = await _check_bytes(store, entry, version, by_hash, source)
        findings.extend(problem)
        findings.extend(await versions_on_top(store, key, version, intact=not problem))
    findings.extend(
        Finding("extra", key, f"in the store but not {source}")
        for key in listing
        if key not in signed
    )
    return findings


async def _check_bytes(
    store: ObjectStore,
    entry: dict[str, Any],
    version: str | None,
    by_hash: dict[str, str],
    source: str,
) -> list[Finding]:
    key = entry["key"]
    digest = hashlib.sha256()
    try:
        async for chunk in store.stream(key, version_id=version):
            digest.update(chunk)
    except ObjectNotFound:
        what = f"version {version}" if version else "it"
        return [Finding("missing", key, f"camera {entry['camera']}: {what} is not in the store")]
    actual = digest.hexdigest()
    if actual == entry["sha256"]:
        return []
    other = by_hash.get(actual)
    if other is not None:
        return [Finding("reordered", key, f"holds the bytes of {other}")]
    return [Finding("altered", key, f"SHA-256 {actual}, {source} {entry['sha256']}")]


async def versions_on_top(
    store: ObjectStore, key: str, version: str | None, *, intact: bool
) -> list[Finding]:
    """Versions of `key` written after the recorded one: a plain read of the key gets them.

    Ordered by time here: S3 lists a key's versions and its delete markers apart, so the
    listing's order alone does not say which lies on top.
    """
    if version is None:
        return []
    listed = sorted(await store.versions(key), key=_written_at, reverse=True)
    ids = [item.version_id for item in listed]
    if version not in ids:
        return []  # the recorded version itself is gone: reported as missing
    beneath = f"the recorded version {version}" + (", which is intact" if intact else "")
    return [
        Finding("hidden", key, f"a delete marker ({item.version_id}) hides {beneath}")
        if item.delete_marker
        else Finding("overwritten", key, f"version {item.version_id} lies on top of {beneath}")
        for item in listed[: ids.index(version)]
    ]


def _written_at(version: ObjectVersion) -> datetime:
    return version.last_modified or datetime.min.replace(tzinfo=UTC)
