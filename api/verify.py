"""`courtcast verify RECORDING` and `courtcast audit verify`: offline integrity checks.

The first checks the store against the recording's signed manifest.

Runs offline against the same database and object store as the server, with
the installation's public key; prints one line per problem and exits non-zero
if there is any, so a clerk or a script can certify an archive.
"""

from __future__ import annotations

import sys

from api.runtime import open_store
from api.settings import Settings
from recorder.integrity import load_or_create_signing_key, unseal, verify_objects
from storage.audit import stream_events, verify_chain
from storage.catalog import track_prefix
from storage.db import Database
from storage.models import Recording
from storage.objects import ObjectNotFound, ObjectStore


async def verify_recording(settings: Settings, recording_id: str) -> int:
    """0 when every signed object is present and unchanged, 1 otherwise."""
    db = Database(settings.index_url)
    store = open_store(settings)
    try:
        async with db.session() as session:
            recording = await session.get(Recording, recording_id)
        if recording is None:
            print(f"courtcast: no recording {recording_id}", file=sys.stderr)
            return 2
        if recording.manifest_key is None:
            print(f"NOT SEALED {recording_id}: the recording has no manifest (still running?)")
            return 1
        key = load_or_create_signing_key(settings.signing_key_path).public_key()
        try:
            manifest = unseal(await store.get_bytes(recording.manifest_key), key)
        except ObjectNotFound:
            print(f"MISSING {recording.manifest_key}: the manifest itself is gone")
            return 1
        except ValueError as error:
            print(f"ALTERED {recording.manifest_key}: {error}")
            return 1
        findings = await verify_objects(
            manifest,
            read=store.stream,
            exists=lambda k: _exists(store, k),
            listing={
                camera: [k async for k in store.list(str(track_prefix(recording, camera)) + "/")]
                for camera in manifest["tracks"]
            },
        )
        for finding in findings:
            print(finding)
        if findings:
            return 1
        count = sum(len(track["objects"]) for track in manifest["tracks"].values())
        print(f"OK {recording_id}: {count} objects match the signed manifest")
        return 0
    finally:
        await store.close()
        await db.close()


async def verify_audit_log(settings: Settings) -> int:
    """0 when the audit log is exactly as appended, 1 naming each edited or removed entry."""
    db = Database(settings.index_url)
    try:
        async with db.session() as session:
            count, breaks = await verify_chain(stream_events(session))
    finally:
        await db.close()
    for found in breaks:
        print(f"BROKEN {found}")
    if breaks:
        return 1
    print(f"OK audit log: {count} entries, chain intact")
    return 0


async def _exists(store: ObjectStore, key: str) -> bool:
    try:
        await store.stat(key)
    except ObjectNotFound:
        return False
    return True
