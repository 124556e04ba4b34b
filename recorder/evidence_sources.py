"""Reading archived footage as evidence: every byte checked against the signed manifest.

An export or an e-dossier package states what it carries under the court's signature,
so it must hash the bytes it actually read, not repeat what the index says: someone
with write access to the object store could have replaced a segment, and someone
with the database could have pointed the index elsewhere. Both sources are checked
against the manifest the court signed when the recording stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from recorder.integrity import Manifest, identity_differences, unseal
from storage.models import Recording
from storage.objects import ObjectNotFound, ObjectStore


class EvidenceMismatch(Exception):
    """The archive no longer matches what the court signed; nothing may be certified."""

    def __init__(self, reason: str, *, key: str | None = None) -> None:
        super().__init__(reason)
        self.key = key  # the object or manifest at fault, for the audit entry of the refusal


@dataclass(frozen=True, slots=True)
class SignedRecording:
    """A recording's manifest as signed, the bytes it was read from, and its objects by key."""

    manifest: Manifest
    envelope: bytes
    objects: dict[str, dict[str, Any]]
    key_id: str  # of the key that signed the manifest, for statements that cite it

    def expected_sha256(self, key: str) -> str:
        """The SHA-256 the manifest signed for `key`; EvidenceMismatch if it names none."""
        entry = self.objects.get(key)
        if entry is None:
            raise EvidenceMismatch(f"{key} is not in the recording's signed manifest", key=key)
        return str(entry["sha256"])


async def signed_recording(
    store: ObjectStore, trusted: Mapping[str, Ed25519PublicKey], recording: Recording
) -> SignedRecording:
    """The recording's signed manifest, read from the store and bound to the index's record:
    the bytes sealed at stop, naming this recording, its hearing, courtroom and start."""
    recording_id, manifest_key = recording.id, recording.manifest_key
    manifest_sha256, manifest_version_id = recording.manifest_sha256, recording.manifest_version_id
    if manifest_key is None or manifest_sha256 is None:
        raise EvidenceMismatch(
            f"recording {recording_id} has no signed manifest yet (it is signed when it stops)"
        )
    try:
        envelope = await store.get_bytes(manifest_key, version_id=manifest_version_id)
    except ObjectNotFound:
        raise EvidenceMismatch(
            f"the manifest {manifest_key} is missing from the store", key=manifest_key
        ) from None
    if hashlib.sha256(envelope).hexdigest() != manifest_sha256:
        raise EvidenceMismatch(
            f"the manifest {manifest_key} is not the one sealed at stop", key=manifest_key
        )
    try:
        # the signature and each track's chain, off the event loop: a 4-hour manifest of 4
        # cameras took about 0.3 s to parse, encode and check, which the cameras would wait
        manifest, key_id = await asyncio.to_thread(unseal, envelope, trusted)
    except ValueError as error:
        raise EvidenceMismatch(f"the manifest {manifest_key}: {error}", key=manifest_key) from None
    if manifest.get("recording", {}).get("id") != recording_id:
        raise EvidenceMismatch(
            f"the manifest {manifest_key} is another recording's", key=manifest_key
        )
    differences = identity_differences(manifest, recording)
    if differences:
        raise EvidenceMismatch(
            f"the index no longer files recording {recording_id} as signed: "
            + "; ".join(differences),
            key=manifest_key,
        )
    objects = {
        entry["key"]: entry for track in manifest["tracks"].values() for entry in track["objects"]
    }
    return SignedRecording(manifest=manifest, envelope=envelope, objects=objects, key_id=key_id)


async def copy_verified(
    store: ObjectStore,
    signed: SignedRecording,
    *,
    key: str,
    version_id: str | None,
    write: Callable[[bytes], object],
) -> str:
    """Stream one object into `write`, hashing it; its SHA-256, if it is the signed one.

    The caller must discard what was written when this raises: the bytes are not evidence.
    """
    expected = signed.expected_sha256(key)
    digest = hashlib.sha256()
    try:
        async for chunk in store.stream(key, version_id=version_id):
            digest.update(chunk)
            write(chunk)
    except ObjectNotFound:
        raise EvidenceMismatch(f"{key} is missing from the store", key=key) from None
    actual = digest.hexdigest()
    if actual != expected:
        raise EvidenceMismatch(
            f"{key} does not match the signed manifest (SHA-256 {actual}, signed {expected})",
            key=key,
        )
    return actual
