"""Tamper evidence: `courtcast verify` passes an untouched recording and names every change.

Run on the local object directory and on S3, where tampering is a new object version
or a delete marker written behind Courtcast's back.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from minio import Minio

from tests.fixtures.s3_server import S3Server
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.s3_objects import minio_client, read_version, version_ids
from tests.support.server import RunningServer

clip = clip_fixture("camera.ts", seconds=10, width=640, height=360, fps=30, gop=30)


class StoredObjects(Protocol):
    """The server's object store as someone with raw access to it sees it."""

    def keys(self, suffix: str) -> list[str]: ...
    def read(self, key: str) -> bytes: ...
    def write(self, key: str, data: bytes) -> None: ...
    def delete(self, key: str) -> None: ...


class LocalObjects:
    def __init__(self, root: Path) -> None:
        self.root = root

    def keys(self, suffix: str) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob(f"*{suffix}"))

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def write(self, key: str, data: bytes) -> None:
        (self.root / key).write_bytes(data)

    def delete(self, key: str) -> None:
        (self.root / key).unlink()


class BucketObjects:
    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def keys(self, suffix: str) -> list[str]:
        listed = self.client.list_objects(self.bucket, recursive=True)
        return sorted(str(o.object_name) for o in listed if str(o.object_name).endswith(suffix))

    def read(self, key: str) -> bytes:
        newest = version_ids(self.client, self.bucket, key)[0]
        return read_version(self.client, self.bucket, key, newest)

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(self.bucket, key, io.BytesIO(data), len(data))

    def delete(self, key: str) -> None:
        self.client.remove_object(self.bucket, key)  # a delete marker: locked versions stay


@contextmanager
def stored_objects(server: RunningServer) -> Iterator[StoredObjects]:
    if "COURTCAST_S3_ENDPOINT" not in server.env:
        yield LocalObjects(server.data_dir / "objects")
        return
    env = server.env
    s3 = S3Server(
        endpoint=env["COURTCAST_S3_ENDPOINT"],
        access_key=env["COURTCAST_S3_ACCESS_KEY"],
        secret_key=env["COURTCAST_S3_SECRET_KEY"],
        secure=env["COURTCAST_S3_SECURE"] == "true",
        region="us-east-1",
    )
    with minio_client(s3) as client:
        yield BucketObjects(client, env["COURTCAST_S3_BUCKET"])


def verify(server: RunningServer, recording_id: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "verify", recording_id],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def record(
    server: RunningServer, clip: Path, objects: StoredObjects
) -> tuple[str, list[str]]:
    """A short stopped recording and the keys of its segments in the object store."""
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        await asyncio.sleep(7)
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await publisher.close()
    assert stop.status_code == 200, stop.text
    segments = [key for key in objects.keys(".m4s") if f"{recording.id}/bench/seg-" in key]
    assert len(segments) >= 3, segments
    return recording.id, segments


async def test_untouched_recording_verifies_and_each_tampering_is_named(
    any_store_server: RunningServer, clip: Path
) -> None:
    server = any_store_server
    with stored_objects(server) as objects:
        recording_id, segments = await record(server, clip, objects)
        untouched = verify(server, recording_id)
        assert untouched.returncode == 0, untouched.stdout + untouched.stderr
        assert untouched.stdout.startswith(f"OK {recording_id}")

        first, second, third = segments[:3]
        first_bytes, second_bytes = objects.read(first), objects.read(second)
        objects.write(first, second_bytes)  # reorder: swap two segments
        objects.write(second, first_bytes)
        altered = bytearray(objects.read(third))
        altered[len(altered) // 2] ^= 0xFF  # flip one byte in the middle of a sample
        objects.write(third, bytes(altered))
        objects.delete(segments[-1])  # delete the last one

    tampered = verify(server, recording_id)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    lines = tampered.stdout.splitlines()
    assert f"REORDERED {first}: holds the bytes of {second}" in lines
    assert f"REORDERED {second}: holds the bytes of {first}" in lines
    assert any(line.startswith(f"ALTERED {third}:") for line in lines), lines
    assert any(line.startswith(f"MISSING {segments[-1]}:") for line in lines), lines
    assert len(lines) == 4, lines


async def test_an_edited_manifest_fails_its_signature(
    any_store_server: RunningServer, clip: Path
) -> None:
    server = any_store_server
    with stored_objects(server) as objects:
        recording_id, segments = await record(server, clip, objects)
        manifest = segments[0].rsplit("/", 2)[0] + "/manifest.json"  # beside the camera folders
        text = objects.read(manifest).decode()
        edited = text.replace('"duration_s": 2', '"duration_s": 3', 1)
        assert edited != text, text
        objects.write(manifest, edited.encode())
    result = verify(server, recording_id)
    assert result.returncode == 1
    assert "signature does not match" in result.stdout
