"""Verification logic on real stores: the manifest's binding, the index's rows, the versions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from recorder.integrity import Finding, build_manifest, verify_objects
from recorder.manifest_check import camera_findings, index_findings, read_manifest
from storage.keyring import KeyRing
from storage.local import LocalObjectStore
from storage.models import Recording
from storage.objects import ObjectStore
from storage.s3 import S3ObjectStore
from tests.fixtures.s3_server import S3Server
from tests.support.s3_objects import minio_client

PREFIX = "court/room/2026/12/01/rec"
MANIFEST = f"{PREFIX}/manifest.json"


def entry(camera: str, name: str, data: bytes, **fields: Any) -> dict[str, Any]:
    kind = "init" if name.startswith("init") else "segment"
    key = f"{PREFIX}/{camera}/{name}"
    return {"type": kind, "key": key, "sha256": hashlib.sha256(data).hexdigest(), **fields}


STARTED = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
FILED = {"hearing_id": "h1", "courtroom_id": "room", "court_id": "court"}


def manifest_of(recording_id: str, tracks: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return build_manifest(
        recording={"id": recording_id, **FILED, "started_at": STARTED.isoformat()},
        tracks=tracks,
        gaps=[],
        software_version="test",
        audit_head={"entries": 0, "head": ""},
    )


def indexed(sealed_sha256: str | None, **changed: str) -> Recording:
    """The index's row for recording "rec", as sealed (or with `changed` fields)."""
    return Recording(
        id="rec",
        **{**FILED, **changed},
        started_at=STARTED,
        manifest_key=MANIFEST,
        manifest_sha256=sealed_sha256,
        manifest_version_id=None,
    )


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.create(tmp_path / "keys")


@pytest.fixture
def local(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects")


async def test_a_manifest_copied_from_another_recording_is_foreign_and_not_the_one_sealed(
    ring: KeyRing, local: LocalObjectStore
) -> None:
    own = ring.seal(manifest_of("rec", {"bench": []}))
    await local.put_bytes(
        MANIFEST, ring.seal(manifest_of("other", {"bench": []})), content_type="application/json"
    )
    sealed = hashlib.sha256(own).hexdigest()

    manifest, findings = await read_manifest(local, ring.public_keys, indexed(sealed))

    assert manifest is None
    actual = hashlib.sha256(await local.get_bytes(MANIFEST)).hexdigest()
    assert [str(f) for f in findings] == [
        f"ALTERED {MANIFEST}: SHA-256 {actual}, the index recorded {sealed} at seal",
        f"FOREIGN {MANIFEST}: signed for recording other, not rec",
    ]


async def test_the_manifest_sealed_for_the_recording_is_trusted(
    ring: KeyRing, local: LocalObjectStore
) -> None:
    document = manifest_of("rec", {"bench": []})
    stored = await local.put_bytes(MANIFEST, ring.seal(document), content_type="application/json")
    manifest, findings = await read_manifest(local, ring.public_keys, indexed(stored.sha256))
    assert findings == []
    assert manifest == document


async def test_an_index_that_files_the_recording_under_another_hearing_is_named(
    ring: KeyRing, local: LocalObjectStore
) -> None:
    stored = await local.put_bytes(
        MANIFEST, ring.seal(manifest_of("rec", {"bench": []})), content_type="application/json"
    )
    moved = indexed(stored.sha256, hearing_id="h2")
    manifest, findings = await read_manifest(local, ring.public_keys, moved)
    assert manifest is not None
    assert [str(f) for f in findings] == [
        f"INDEX {MANIFEST}: the index says hearing_id h2, the manifest signed h1"
    ]
    unsealed = await read_manifest(local, ring.public_keys, indexed(None))
    assert [str(f) for f in unsealed[1]] == [
        f"INDEX {MANIFEST}: the index holds no SHA-256 for its manifest"
    ]


async def test_a_manifest_gone_is_missing(ring: KeyRing, local: LocalObjectStore) -> None:
    manifest, findings = await read_manifest(local, ring.public_keys, indexed("0"))
    assert manifest is None
    assert findings == [Finding("missing", MANIFEST, "the manifest itself is gone")]


def test_a_camera_on_one_side_only_is_named() -> None:
    manifest = manifest_of("rec", {"bench": [], "witness": []})
    findings = camera_findings(manifest, {"bench": [], "dock": []}, PREFIX)
    assert [str(f) for f in findings] == [
        f"CAMERA {PREFIX}/dock/: camera dock is in the index but not in the signed manifest",
        f"CAMERA {PREFIX}/witness/: camera witness is in the signed manifest but not in the index",
    ]


def test_index_rows_that_differ_from_the_manifest_are_named() -> None:
    init = entry("bench", "init-0001.mp4", b"init", epoch=1, version_id=None)
    first = entry("bench", "seg-00000001.m4s", b"one", sequence=1, version_id=None)
    second = entry("bench", "seg-00000002.m4s", b"two", sequence=2, version_id=None)
    manifest = manifest_of("rec", {"bench": [init, first, second]})
    renamed = {**second, "key": f"{PREFIX}/bench/seg-00000009.m4s"}
    index = {"bench": [{**init, "sha256": "0" * 64}, first, renamed]}

    assert [str(f) for f in index_findings(manifest, index)] == [
        f"INDEX {init['key']}: the index holds sha256 {'0' * 64} (signed {init['sha256']})",
        f"INDEX {second['key']}: signed, but the index has no row for it",
        f"INDEX {renamed['key']}: in the index but not in the signed manifest",
    ]
    assert index_findings(manifest, {"bench": [init, first, second]}) == []


async def recorded(
    store: ObjectStore, objects: dict[str, bytes]
) -> tuple[dict[str, Any], list[str], dict[str, str | None]]:
    """Camera bench's objects (by name) stored and signed: the manifest, their keys, and the
    versions the store gave them by key (as the index keeps them)."""
    entries = [entry("bench", name, data) for name, data in objects.items()]
    versions = {}
    for signed, data in zip(entries, objects.values(), strict=True):
        stored = await store.put_bytes(signed["key"], data, content_type="video/mp4")
        versions[signed["key"]] = stored.version_id
    return manifest_of("rec", {"bench": entries}), [e["key"] for e in entries], versions


async def test_local_init_segments_are_checked_like_media_segments_and_strays_are_extra(
    local: LocalObjectStore,
) -> None:
    data = {"init-0001.mp4": b"init one", "seg-00000001.m4s": b"one", "init-0002.mp4": b"init two"}
    manifest, (init_one, _, init_two), versions = await recorded(local, data)
    await local.put_bytes(init_one, b"init forged", content_type="video/mp4")
    await local.delete(init_two)
    stray = f"{PREFIX}/evidence-room/seg-00000001.m4s"
    await local.put_bytes(stray, b"one", content_type="video/mp4")

    findings = await verify_objects(
        manifest, local, versions=versions, listing=[k async for k in local.list(PREFIX + "/")]
    )

    forged = hashlib.sha256(b"init forged").hexdigest()
    assert [str(f) for f in findings] == [
        f"ALTERED {init_one}: SHA-256 {forged}, signed {hashlib.sha256(b'init one').hexdigest()}",
        f"MISSING {init_two}: camera bench: it is not in the store",
        f"EXTRA {stray}: in the store but not signed",
    ]


async def test_s3_reads_the_recorded_version_and_names_what_lies_on_top(
    s3_store: S3ObjectStore, s3_server: S3Server, s3_bucket: str
) -> None:
    data = {"seg-00000001.m4s": b"one", "seg-00000002.m4s": b"two", "seg-00000003.m4s": b"three"}
    manifest, (first, second, third), versions = await recorded(s3_store, data)
    forged = await s3_store.put_bytes(first, b"two", content_type="video/mp4")
    await s3_store.put_bytes(second, b"forged", content_type="video/mp4")
    with minio_client(s3_server) as client:
        client.remove_object(s3_bucket, second)  # a delete marker on top of the forgery
        client.remove_object(s3_bucket, third, version_id=versions[third])  # no retention here
    [marker, forgery, _] = sorted(
        await s3_store.versions(second), key=lambda v: v.delete_marker, reverse=True
    )

    findings = await verify_objects(
        manifest,
        s3_store,
        versions=versions,
        listing=[k async for k in s3_store.list(PREFIX + "/")],
    )

    assert [str(f) for f in findings] == [
        f"OVERWRITTEN {first}: version {forged.version_id} lies on top of the recorded version "
        f"{versions[first]}, which is intact",
        f"HIDDEN {second}: a delete marker ({marker.version_id}) hides the recorded version "
        f"{versions[second]}, which is intact",
        f"OVERWRITTEN {second}: version {forgery.version_id} lies on top of the recorded version "
        f"{versions[second]}, which is intact",
        f"MISSING {third}: camera bench: version {versions[third]} is not in the store",
    ]
