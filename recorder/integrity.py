"""Tamper evidence: each track's segment hashes are chained and the whole is signed.

At stop, a manifest lists every stored object of a recording in order with its
SHA-256, size and time, the gaps and their reasons, and a per-track hash chain.
It is signed with the installation's Ed25519 key (storage/keyring.py) and stored beside the
segments, so a removed, altered or reordered segment is detectable later by
anyone holding the public key, even if the index was edited too.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from storage.evidence_verifier import chain_head, open_envelope

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


def unseal(data: bytes, trusted: Mapping[str, Ed25519PublicKey]) -> Manifest:
    """The manifest, if one of `trusted` signed exactly these contents; ValueError otherwise."""
    manifest, _ = open_envelope(data, trusted)
    for camera, track in manifest.get("tracks", {}).items():
        if chain_head(track["objects"]) != track["chain"]:
            raise ValueError(f"the hash chain of camera {camera!r} does not match its objects")
    return manifest


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem `verify_objects` found, with the object it concerns."""

    kind: str  # missing, altered, reordered, extra
    key: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.upper()} {self.key}: {self.detail}"


async def verify_objects(
    manifest: Manifest,
    *,
    read: Callable[[str], AsyncIterator[bytes]],
    exists: Callable[[str], Any],
    listing: dict[str, list[str]],
) -> list[Finding]:
    """Compare the store with the manifest; `listing` maps each camera to its stored keys."""
    findings: list[Finding] = []
    for camera, track in manifest["tracks"].items():
        expected = {entry["key"]: entry for entry in track["objects"]}
        by_hash = {entry["sha256"]: entry["key"] for entry in track["objects"]}
        for entry in track["objects"]:
            key = entry["key"]
            if not await exists(key):
                findings.append(Finding("missing", key, f"camera {camera}: not in the store"))
                continue
            digest = hashlib.sha256()
            async for chunk in read(key):
                digest.update(chunk)
            actual = digest.hexdigest()
            if actual == entry["sha256"]:
                continue
            other = by_hash.get(actual)
            if other is not None:
                findings.append(Finding("reordered", key, f"holds the bytes of {other}"))
            else:
                findings.append(
                    Finding("altered", key, f"SHA-256 {actual}, signed {entry['sha256']}")
                )
        for key in listing.get(camera, []):
            if key not in expected:
                findings.append(Finding("extra", key, "in the store but not in the manifest"))
    return findings
