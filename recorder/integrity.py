"""Tamper evidence: each track's segment hashes are chained and the whole is signed.

At stop, a manifest lists every stored object of a recording in order with its
SHA-256, size and time, the gaps and their reasons, and a per-track hash chain.
It is signed with the installation's Ed25519 key and stored beside the
segments, so a removed, altered or reordered segment is detectable later by
anyone holding the public key, even if the index was edited too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

CHAIN_START = "0" * 64
MANIFEST_FORMAT = "courtcast-manifest/1"
Manifest = dict[str, Any]


def chain_link(previous: str, sha256: str, key: str) -> str:
    """The next link: commits to every earlier object, this one's bytes and its place."""
    return hashlib.sha256(f"{previous}\n{sha256}\n{key}".encode()).hexdigest()


def chain_head(objects: list[dict[str, Any]]) -> str:
    head = CHAIN_START
    for entry in objects:
        head = chain_link(head, entry["sha256"], entry["key"])
    return head


def build_manifest(
    *,
    recording: dict[str, Any],
    tracks: dict[str, list[dict[str, Any]]],
    gaps: list[dict[str, Any]],
    software_version: str,
) -> Manifest:
    """The document that is signed: `tracks` maps each camera to its objects in order."""
    return {
        "format": MANIFEST_FORMAT,
        "recording": recording,
        "software_version": software_version,
        "gaps": gaps,
        "tracks": {
            camera: {"objects": objects, "chain": chain_head(objects)}
            for camera, objects in tracks.items()
        },
    }


def canonical_json(document: Manifest) -> bytes:
    """One byte string per document, so a signature can be checked after a round trip."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal(manifest: Manifest, key: Ed25519PrivateKey) -> bytes:
    """The stored form: the manifest, its signature and the public key that checks it."""
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    envelope = {
        "manifest": manifest,
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(public).decode(),
        "signature": base64.b64encode(key.sign(canonical_json(manifest))).decode(),
    }
    return json.dumps(envelope, ensure_ascii=False, indent=1).encode()


def unseal(data: bytes, trusted: Ed25519PublicKey) -> Manifest:
    """The manifest, if `trusted` signed exactly these contents; ValueError otherwise."""
    try:
        envelope = json.loads(data)
        signature = base64.b64decode(envelope["signature"])
        manifest: Manifest = envelope["manifest"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"the manifest is not readable: {exc}") from exc
    try:
        trusted.verify(signature, canonical_json(manifest))
    except InvalidSignature as exc:
        raise ValueError("the manifest's signature does not match: it was altered") from exc
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


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The installation's key, made once; only the owner may read it."""
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return loaded
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return key


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The public half as PEM, for courts that verify elsewhere."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
