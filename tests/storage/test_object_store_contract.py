"""One contract, two back ends: the local directory and S3 (Ceph RGW) must behave alike."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from minio.error import S3Error

from storage.local import LocalObjectStore
from storage.objects import (
    ObjectLocked,
    ObjectNotFound,
    ObjectProtection,
    ObjectStore,
    ObjectStoreUnavailable,
    RetentionMode,
    StoredObject,
)
from storage.s3 import S3ObjectStore
from tests.fixtures.s3_server import S3Server
from tests.support.s3_objects import minio_client, object_lock, read_version, version_ids
from tests.support.server import free_port

SEGMENT = os.urandom(300_000) + b"end"  # not a multiple of any chunk size


def _retained(mode: RetentionMode = "COMPLIANCE") -> ObjectProtection:
    """Retention long enough for a test, short enough that the RGW cluster can be purged."""
    return ObjectProtection(retain_until=datetime.now(UTC) + timedelta(minutes=5), mode=mode)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    s3_store: S3ObjectStore = request.getfixturevalue("s3_store")
    return s3_store


@pytest.fixture
def local_store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "objects")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def _collect_list(store: ObjectStore, prefix: str) -> list[str]:
    return [key async for key in store.list(prefix)]


def _expected(key: str, data: bytes, version_id: str | None = None) -> StoredObject:
    return StoredObject(
        key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest(), version_id=version_id
    )


def _confirmed(store: ObjectStore, stored: StoredObject, key: str, data: bytes) -> None:
    """A put answers the object's digest, and its version exactly where the store keeps them."""
    assert stored == _expected(key, data, stored.version_id)
    assert (stored.version_id is not None) == isinstance(store, S3ObjectStore)


async def test_put_file_round_trip(store: ObjectStore, tmp_path: Path) -> None:
    key = "court1/room2/2025/03/14/rec/cam1/seg-000001.m4s"
    expected = _expected(key, SEGMENT)
    source = _write(tmp_path / "seg.m4s", SEGMENT)

    stored = await store.put_file(key, source, sha256=expected.sha256, content_type="video/mp4")

    _confirmed(store, stored, key, SEGMENT)
    assert await store.stat(key) == stored
    assert await store.get_bytes(key) == SEGMENT


async def test_put_bytes_round_trip(store: ObjectStore) -> None:
    data = b"#EXTM3U\n"
    stored = await store.put_bytes("a/init.mp4", data, content_type="video/mp4")
    _confirmed(store, stored, "a/init.mp4", data)
    assert await store.stat("a/init.mp4") == stored
    assert await store.get_bytes("a/init.mp4") == data


async def test_put_overwrites(store: ObjectStore) -> None:
    await store.put_bytes("a/manifest.json", b"old", content_type="application/json")
    newer = await store.put_bytes("a/manifest.json", b"newer", content_type="application/json")
    assert await store.get_bytes("a/manifest.json") == b"newer"
    assert await store.stat("a/manifest.json") == newer


async def test_s3_reads_the_version_asked_for_not_the_one_on_top(
    s3_store: S3ObjectStore,
) -> None:
    """What the index recorded stays readable, by stat, whole and streamed, under a newer put."""
    key = "a/seg.m4s"
    first = await s3_store.put_bytes(key, SEGMENT, content_type="video/mp4")
    newer = await s3_store.put_bytes(key, b"forged", content_type="video/mp4")
    assert first.version_id is not None and newer.version_id is not None
    assert first.version_id != newer.version_id

    assert await s3_store.get_bytes(key, version_id=first.version_id) == SEGMENT
    chunks = [c async for c in s3_store.stream(key, 64 * 1024, version_id=first.version_id)]
    assert b"".join(chunks) == SEGMENT
    assert await s3_store.stat(key, version_id=first.version_id) == first
    assert await s3_store.stat(key) == newer
    assert await s3_store.get_bytes(key) == b"forged"
    listed = await s3_store.versions(key)
    assert [v.version_id for v in listed] == [newer.version_id, first.version_id]
    assert not any(v.delete_marker for v in listed)


async def test_s3_versions_show_a_delete_marker_over_a_readable_version(
    s3_store: S3ObjectStore, s3_server: S3Server, s3_bucket: str
) -> None:
    key = "a/seg.m4s"
    stored = await s3_store.put_bytes(key, SEGMENT, content_type="video/mp4")
    await s3_store.put_bytes("a/seg.m4s.other", b"x", content_type="video/mp4")  # same prefix
    with minio_client(s3_server) as client:
        client.remove_object(s3_bucket, key)  # no version named: a delete marker on top
    with pytest.raises(ObjectNotFound):
        await s3_store.get_bytes(key)
    marker, kept = await s3_store.versions(key)
    assert marker.delete_marker and not kept.delete_marker
    assert kept.version_id == stored.version_id
    assert await s3_store.get_bytes(key, version_id=stored.version_id) == SEGMENT
    assert await _collect_list(s3_store, "a/") == ["a/seg.m4s.other"]


async def test_a_version_the_store_never_gave_is_not_found(store: ObjectStore) -> None:
    stored = await store.put_bytes("a/seg.m4s", b"x", content_type="video/mp4")
    unknown = "3sL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"
    with pytest.raises(ObjectNotFound):
        await store.get_bytes("a/seg.m4s", version_id=unknown)
    with pytest.raises(ObjectNotFound):
        await store.stat("a/seg.m4s", version_id=unknown)
    with pytest.raises(ObjectNotFound):
        _ = [chunk async for chunk in store.stream("a/seg.m4s", version_id=unknown)]
    listed = [version.version_id for version in await store.versions("a/seg.m4s")]
    assert listed == ([] if stored.version_id is None else [stored.version_id])


async def test_stream_reassembles_in_chunks(store: ObjectStore) -> None:
    await store.put_bytes("a/seg.m4s", SEGMENT, content_type="video/mp4")
    chunks = [chunk async for chunk in store.stream("a/seg.m4s", chunk_size=64 * 1024)]
    assert len(chunks) > 1
    assert all(len(chunk) <= 64 * 1024 for chunk in chunks)
    assert b"".join(chunks) == SEGMENT


async def test_list_prefix_in_lexical_order(store: ObjectStore, tmp_path: Path) -> None:
    keys = ["r/b/2", "r/a/10", "r/a/1", "r/a/9", "r/ab", "s/a/1", "rr/a"]
    for key in keys:
        await store.put_bytes(key, key.encode(), content_type="text/plain")
    # put_file is the path that writes the local sidecar; it must stay invisible
    source = _write(tmp_path / "f", b"f")
    await store.put_file(
        "r/a/f", source, sha256=hashlib.sha256(b"f").hexdigest(), content_type="text/plain"
    )

    under_a = ["r/a/1", "r/a/10", "r/a/9", "r/a/f", "r/ab"]
    assert await _collect_list(store, "r/") == [*under_a, "r/b/2"]
    assert await _collect_list(store, "r/a") == under_a
    assert await _collect_list(store, "") == sorted([*keys, "r/a/f"])
    assert await _collect_list(store, "nothing/") == []


async def test_delete_then_stat_raises(store: ObjectStore) -> None:
    await store.put_bytes("a/seg.m4s", b"x", content_type="video/mp4")
    await store.delete("a/seg.m4s")
    with pytest.raises(ObjectNotFound):
        await store.stat("a/seg.m4s")
    assert await _collect_list(store, "a/") == []


async def test_delete_of_missing_key_is_a_no_op(store: ObjectStore) -> None:
    await store.delete("a/never-written")


async def test_missing_key_raises_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        await store.get_bytes("a/missing")
    with pytest.raises(ObjectNotFound):
        await store.stat("a/missing")
    with pytest.raises(ObjectNotFound):
        _ = [chunk async for chunk in store.stream("a/missing")]


async def test_utf8_key_round_trips(store: ObjectStore) -> None:
    key = "法院/庭审/seg.m4s"
    stored = await store.put_bytes(key, b"hearing", content_type="video/mp4")
    _confirmed(store, stored, key, b"hearing")
    assert await store.get_bytes(key) == b"hearing"
    assert await store.stat(key) == stored
    assert await _collect_list(store, "法院/") == [key]


async def test_ping(store: ObjectStore) -> None:
    await store.ping()


@pytest.mark.parametrize("key", ["法院/庭审/seg.m4s", "a/seg 1.m4s"])
async def test_s3_presigned_url_is_gettable(s3_store: S3ObjectStore, key: str) -> None:
    await s3_store.put_bytes(key, SEGMENT, content_type="video/mp4")
    url = await s3_store.presigned_get_url(key, expires_s=60)
    assert url is not None
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == SEGMENT


async def test_s3_presigned_url_of_a_version_gets_that_version(s3_store: S3ObjectStore) -> None:
    """Archive links name the version the index recorded, not whatever lies on top."""
    first = await s3_store.put_bytes("a/seg.m4s", SEGMENT, content_type="video/mp4")
    await s3_store.put_bytes("a/seg.m4s", b"forged", content_type="video/mp4")
    url = await s3_store.presigned_get_url("a/seg.m4s", 60, version_id=first.version_id)
    assert url is not None
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
    assert response.status_code == 200
    assert response.content == SEGMENT


async def test_local_presigned_url_is_none(local_store: LocalObjectStore) -> None:
    await local_store.put_bytes("a/seg.m4s", b"x", content_type="video/mp4")
    assert await local_store.presigned_get_url("a/seg.m4s", expires_s=60) is None


@pytest.mark.parametrize("mode", ["COMPLIANCE", "GOVERNANCE"])
async def test_s3_retention_forbids_delete(
    s3_store: S3ObjectStore, tmp_path: Path, mode: RetentionMode
) -> None:
    source = _write(tmp_path / "seg.m4s", SEGMENT)
    stored = await s3_store.put_file(
        "a/seg.m4s",
        source,
        sha256=_expected("a/seg.m4s", SEGMENT).sha256,
        content_type="video/mp4",
        protection=_retained(mode),
    )
    with pytest.raises(ObjectLocked):
        await s3_store.delete("a/seg.m4s")
    assert await s3_store.stat("a/seg.m4s") == stored
    assert await s3_store.get_bytes("a/seg.m4s") == SEGMENT


async def test_s3_overwrite_of_a_locked_object_keeps_the_locked_version(
    s3_store: S3ObjectStore, s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    """An object-lock bucket is versioned: a put of the same key adds a version on top."""
    key = "a/seg.m4s"
    source = _write(tmp_path / "seg.m4s", SEGMENT)
    await s3_store.put_file(
        key,
        source,
        sha256=_expected(key, SEGMENT).sha256,
        content_type="video/mp4",
        protection=_retained("COMPLIANCE"),
    )
    await s3_store.put_bytes(key, b"forged", content_type="video/mp4")
    assert await s3_store.get_bytes(key) == b"forged"
    with minio_client(s3_server) as client:
        _forged, locked = version_ids(client, s3_bucket, key)
        assert read_version(client, s3_bucket, key, locked) == SEGMENT
        assert object_lock(client, s3_bucket, key, locked).mode == "COMPLIANCE"
        assert object_lock(client, s3_bucket, key).mode is None  # the put on top had none
        with pytest.raises(S3Error) as refused:
            client.remove_object(s3_bucket, key, version_id=locked)
        assert refused.value.code == "AccessDenied"
        with pytest.raises(ObjectLocked):
            await s3_store.delete(key)  # removes the unlocked version on top, then stops
        assert version_ids(client, s3_bucket, key) == [locked]
        assert read_version(client, s3_bucket, key, locked) == SEGMENT
    assert await s3_store.get_bytes(key) == SEGMENT


async def test_a_store_keeps_holds_exactly_when_it_says_it_does(store: ObjectStore) -> None:
    """S3 refuses to delete a held object until its hold is released, whether the hold came
    with the put or later. A directory cannot, and says so: the recorder asks the index for
    each object's protection only where the store keeps it (`keeps_protection`)."""
    await store.put_bytes(
        "a/held.m4s", b"x", content_type="video/mp4", protection=ObjectProtection(legal_hold=True)
    )
    await store.put_bytes("a/later.m4s", b"y", content_type="video/mp4")
    await store.set_legal_hold("a/later.m4s", True)
    for key in ("a/held.m4s", "a/later.m4s"):
        if store.keeps_protection:
            with pytest.raises(ObjectLocked):
                await store.delete(key)
            await store.set_legal_hold(key, False)
        await store.delete(key)
        with pytest.raises(ObjectNotFound):
            await store.stat(key)


async def test_legal_hold_of_a_missing_key_raises_not_found(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        await store.set_legal_hold("a/missing.m4s", True)


async def test_local_store_accepts_protection_it_cannot_enforce(
    local_store: LocalObjectStore,
) -> None:
    """A directory cannot refuse deletion; the README says so. The calls must not fail."""
    protection = ObjectProtection(retain_until=datetime.now(UTC), legal_hold=True)
    await local_store.put_bytes("a/seg.m4s", b"x", content_type="video/mp4", protection=protection)
    await local_store.set_legal_hold("a/seg.m4s", True)
    await local_store.delete("a/seg.m4s")
    with pytest.raises(ObjectNotFound):
        await local_store.stat("a/seg.m4s")


async def test_s3_ensure_bucket_creates_a_locked_bucket(
    s3_server: S3Server, tmp_path: Path
) -> None:
    store = S3ObjectStore(
        endpoint=s3_server.endpoint,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
        bucket=f"courtcast-{uuid.uuid4().hex}",
        secure=s3_server.secure,
        region=s3_server.region,
    )
    try:
        with pytest.raises(ObjectStoreUnavailable):
            await store.ping()
        await store.ensure_bucket()
        await store.ensure_bucket()  # idempotent
        await store.ping()
        source = _write(tmp_path / "seg.m4s", b"x")
        await store.put_file(
            "a",
            source,
            sha256=hashlib.sha256(b"x").hexdigest(),
            content_type="video/mp4",
            protection=_retained(),
        )
        with pytest.raises(ObjectLocked):
            await store.delete("a")
    finally:
        await store.close()


async def test_s3_closed_port_is_unavailable_fast() -> None:
    store = S3ObjectStore(
        endpoint=f"127.0.0.1:{free_port()}",
        access_key="k",
        secret_key="s",
        bucket="courtcast",
        secure=False,
        region="us-east-1",
    )
    began = time.monotonic()
    try:
        with pytest.raises(ObjectStoreUnavailable):
            await store.ping()
        with pytest.raises(ObjectStoreUnavailable):
            await store.get_bytes("a")
    finally:
        await store.close()
    assert time.monotonic() - began < 5


@pytest.mark.parametrize("key", ["", "/abs", "../escape", "a/../../b", "a//b", "a/", "a/.hidden"])
async def test_local_rejects_unsafe_keys(local_store: LocalObjectStore, key: str) -> None:
    with pytest.raises(ValueError):
        await local_store.put_bytes(key, b"x", content_type="text/plain")
    with pytest.raises(ValueError):
        await local_store.get_bytes(key)


async def test_local_list_ignores_unsafe_prefix(local_store: LocalObjectStore) -> None:
    await local_store.put_bytes("a/b", b"x", content_type="text/plain")
    assert await _collect_list(local_store, "../") == []
    assert await _collect_list(local_store, "/a") == []


async def test_local_stat_recomputes_without_sidecar(
    local_store: LocalObjectStore, tmp_path: Path
) -> None:
    """A crash between writing the object and its sidecar must not yield a wrong digest."""
    await local_store.put_bytes("a/seg.m4s", b"old", content_type="video/mp4")
    object_path = tmp_path / "objects" / "a" / "seg.m4s"
    object_path.unlink()
    object_path.write_bytes(b"new bytes")  # a new inode: the old sidecar is stale
    assert await local_store.stat("a/seg.m4s") == _expected("a/seg.m4s", b"new bytes")
    (tmp_path / "objects" / "a" / ".seg.m4s.sha256").unlink()
    assert await local_store.stat("a/seg.m4s") == _expected("a/seg.m4s", b"new bytes")


async def test_local_ping_fails_when_root_is_gone(
    local_store: LocalObjectStore, tmp_path: Path
) -> None:
    (tmp_path / "objects").rmdir()
    with pytest.raises(ObjectStoreUnavailable):
        await local_store.ping()
