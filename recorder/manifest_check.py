"""Binding a signed manifest to its recording: the right one, and the index still agreeing.

A valid signature only says the court signed some manifest. Someone with write access
to the object store could copy another recording's manifest over this one's; someone
with the database could edit the rows players are served from. So the manifest must
be the bytes the index recorded when it sealed, must name the recording asked about,
and must name the same cameras and objects as the index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from recorder.integrity import Finding, Manifest, identity_differences, unseal, versions_on_top
from storage.models import Recording
from storage.objects import ObjectNotFound, ObjectStore

IndexContents = Mapping[str, list[dict[str, Any]]]  # camera -> objects, as catalog lists them


async def read_manifest(
    store: ObjectStore,
    trusted: Mapping[str, Ed25519PublicKey],
    recording: Recording,
) -> tuple[Manifest | None, list[Finding]]:
    """The recording's manifest if it is court-signed and names this recording, and what
    is wrong with it (including versions laid on top of the one sealed, and index fields
    that file the recording elsewhere than it was signed)."""
    key, sealed_sha256, version_id = (
        recording.manifest_key,
        recording.manifest_sha256,
        recording.manifest_version_id,
    )
    assert key is not None
    try:
        data = await store.get_bytes(key, version_id=version_id)
    except ObjectNotFound:
        return None, [Finding("missing", key, "the manifest itself is gone")]
    findings: list[Finding] = []
    actual = hashlib.sha256(data).hexdigest()
    if sealed_sha256 is None:
        findings.append(Finding("index", key, "the index holds no SHA-256 for its manifest"))
    elif actual != sealed_sha256:
        findings.append(
            Finding("altered", key, f"SHA-256 {actual}, the index recorded {sealed_sha256} at seal")
        )
    findings.extend(await versions_on_top(store, key, version_id, intact=not findings))
    try:
        manifest, _ = unseal(data, trusted)
    except ValueError as error:
        return None, [*findings, Finding("altered", key, str(error))]
    signed_for = manifest.get("recording", {}).get("id")
    if signed_for != recording.id:
        detail = f"signed for recording {signed_for}, not {recording.id}"
        return None, [*findings, Finding("foreign", key, detail)]
    findings += [
        Finding("index", key, detail) for detail in identity_differences(manifest, recording)
    ]
    return manifest, findings


def index_document(index: IndexContents) -> Manifest:
    """The index's objects shaped as a manifest: what to check the store against when the
    manifest cannot be trusted, so the objects gone or changed are still named."""
    return {"tracks": {camera: {"objects": objects} for camera, objects in index.items()}}


def camera_findings(manifest: Manifest, index: IndexContents, prefix: str) -> list[Finding]:
    """A camera the index knows and the manifest does not, or the other way round."""
    signed, indexed = set(manifest["tracks"]), set(index)
    return [
        Finding("camera", f"{prefix}/{camera}/", f"camera {camera} {where}")
        for cameras, where in (
            (indexed - signed, "is in the index but not in the signed manifest"),
            (signed - indexed, "is in the signed manifest but not in the index"),
        )
        for camera in sorted(cameras)
    ]


def index_findings(manifest: Manifest, index: IndexContents) -> list[Finding]:
    """Index rows that no longer say what the manifest signed: someone edited the index."""
    findings: list[Finding] = []
    for camera in sorted(set(manifest["tracks"]) & set(index)):
        signed = {entry["key"]: entry for entry in manifest["tracks"][camera]["objects"]}
        rows = {row["key"]: row for row in index[camera]}
        for key in signed.keys() - rows.keys():
            findings.append(Finding("index", key, "signed, but the index has no row for it"))
        for key in rows.keys() - signed.keys():
            findings.append(Finding("index", key, "in the index but not in the signed manifest"))
        for key in signed.keys() & rows.keys():
            changed = [
                f"{field} {rows[key][field]} (signed {value})"
                for field, value in signed[key].items()
                if field in rows[key] and rows[key][field] != value
            ]
            if changed:
                findings.append(Finding("index", key, "the index holds " + ", ".join(changed)))
    return sorted(findings, key=lambda finding: finding.key)
