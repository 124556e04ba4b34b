"""`courtcast verify RECORDING`: checks the store and the index against the signed manifest.

Runs offline against the same database and object store as the server, with the
installation's public keys; prints one line per problem and exits non-zero if there is
any, so a clerk or a script can certify an archive. It holds out against someone who
can write to the object store: the manifest must be the one the index sealed for this
recording, every camera and every object under the recording's prefix is accounted
for, and each object is read at the version the index recorded.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.court_config import open_store
from api.settings import Settings
from recorder.integrity import Finding, verify_objects
from recorder.manifest_check import (
    IndexContents,
    camera_findings,
    index_document,
    index_findings,
    read_manifest,
)
from storage.catalog import track_prefix
from storage.db import Database
from storage.keyring import KeyRing
from storage.manifest_contents import recording_contents
from storage.models import Recording
from storage.objects import ObjectStore


async def verify_recording(settings: Settings, recording_id: str) -> int:
    """0 when every signed object is present and unchanged, 1 otherwise, 2 if no such id."""
    # Opened first and never created: a new key would verify nothing the court signed.
    trusted = KeyRing.open(settings.resolved_data_dir).public_keys
    db = Database(settings.index_url)
    store = open_store(settings)
    try:
        async with db.session() as session:
            recording = await session.get(Recording, recording_id)
            if recording is None:
                print(f"courtcast: no recording {recording_id}", file=sys.stderr)
                return 2
            index = await recording_contents(session, recording_id=recording.id)
        if recording.manifest_key is None:
            print(f"NOT SEALED {recording_id}: the recording has no manifest (still running?)")
            return 1
        findings, count = await check_recording(store, trusted, recording, index)
        for finding in findings:
            print(finding)
        if findings:
            return 1
        print(f"OK {recording_id}: {count} objects match the signed manifest")
        return 0
    finally:
        await store.close()
        await db.close()


async def check_recording(
    store: ObjectStore,
    trusted: Mapping[str, Ed25519PublicKey],
    recording: Recording,
    index: IndexContents,
) -> tuple[list[Finding], int]:
    """Every problem with a sealed recording, and how many objects its manifest names.

    When the manifest cannot be trusted (gone, not signed by us, another recording's),
    the store is still checked against the index, so what was removed is named too.
    """
    assert recording.manifest_key is not None
    manifest, findings = await read_manifest(store, trusted, recording)
    prefix = track_prefix(recording, "-").recording_prefix
    if manifest is not None:
        findings += camera_findings(manifest, index, prefix)
        findings += index_findings(manifest, index)
    reference = manifest if manifest is not None else index_document(index)
    findings += await verify_objects(
        reference,
        store,
        source="signed" if manifest is not None else "indexed",
        versions={row["key"]: row["version_id"] for rows in index.values() for row in rows},
        listing=[key async for key in store.list(prefix + "/") if key != recording.manifest_key],
    )
    count = sum(len(track["objects"]) for track in reference["tracks"].values())
    return findings, count
