"""`courtcast verify RECORDING`: checks the store against the recording's signed manifest.

Runs offline against the same database and object store as the server, with
the installation's public key; prints one line per problem and exits non-zero
if there is any, so a clerk or a script can certify an archive.
"""

from __future__ import annotations

import sys

from api.runtime import open_store
from api.settings import Settings
from recorder.integrity import unseal, verify_objects
from storage.catalog import track_prefix
from storage.db import Database
from storage.keyring import KeyRing
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
        trusted = KeyRing.open(settings.resolved_data_dir).public_keys
        try:
            manifest = unseal(await store.get_bytes(recording.manifest_key), trusted)
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


async def _exists(store: ObjectStore, key: str) -> bool:
    try:
        await store.stat(key)
    except ObjectNotFound:
        return False
    return True
