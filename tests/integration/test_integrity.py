"""Tamper evidence: `courtcast verify` passes an untouched recording and names every change.

Run on the local object directory and on S3, where tampering is a new object version
or a delete marker written behind Courtcast's back: the version the index recorded is
still the one checked, and what was laid on top of it is named.
"""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from storage.keyring import SIGNING_KEY_FILE
from tests.support.archive import fetch_track
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer
from tests.support.tampering import BucketObjects, StoredObjects, run_sql, stored_objects

PLAYLIST = "cameras/bench/playlist.m3u8"
clip = clip_fixture("camera.ts", seconds=10, width=640, height=360, fps=30, gop=30)


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


def recording_prefix(segments: list[str]) -> str:
    return segments[0].rsplit("/", 2)[0]  # the camera folders and the manifest are under it


def manifest_of(segments: list[str]) -> str:
    return recording_prefix(segments) + "/manifest.json"


def starting(lines: list[str], *prefixes: str) -> list[str]:
    return [line for line in lines if line.startswith(prefixes)]


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
        originals = [objects.read(key) for key in segments]
        objects.write(first, originals[1])  # reorder: swap two segments
        objects.write(second, originals[0])
        altered = bytearray(originals[2])
        altered[len(altered) // 2] ^= 0xFF  # flip one byte in the middle of a sample
        objects.write(third, bytes(altered))
        objects.delete(segments[-1])  # delete the last one
        versioned = isinstance(objects, BucketObjects)

    tampered = verify(server, recording_id)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    lines = tampered.stdout.splitlines()
    if versioned:  # each write is a version on top; the recorded versions are intact beneath
        for key in (first, second, third):
            [line] = starting(lines, f"OVERWRITTEN {key}: version ")
            assert line.endswith(", which is intact"), line
        [line] = starting(lines, f"HIDDEN {segments[-1]}: a delete marker ")
        assert line.endswith(", which is intact"), line
        async with server.client() as client:  # and players still get the recorded bytes
            track = await fetch_track(client, f"/api/v1/recordings/{recording_id}/{PLAYLIST}")
        assert [segment for epoch in track.epochs for segment in epoch.segments] == originals
    else:
        assert f"REORDERED {first}: holds the bytes of {second}" in lines
        assert f"REORDERED {second}: holds the bytes of {first}" in lines
        assert starting(lines, f"ALTERED {third}: SHA-256 "), lines
        assert starting(lines, f"MISSING {segments[-1]}: camera bench: "), lines
    assert len(lines) == 4, lines


async def test_another_recordings_manifest_copied_over_fails_and_names_what_is_wrong(
    any_store_server: RunningServer, clip: Path
) -> None:
    """The issue's attack: another recording's manifest (and sidecar) copied over this one's,
    and every segment of this one deleted, by someone who can write to the store only."""
    server = any_store_server
    with stored_objects(server) as objects:
        recording_id, segments = await record(server, clip, objects)
        other_id, other_segments = await record(server, clip, objects)
        manifest = manifest_of(segments)
        objects.copy(manifest_of(other_segments), manifest)
        for key in segments:
            objects.delete(key)
        versioned = isinstance(objects, BucketObjects)

    result = verify(server, recording_id)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert not starting(lines, "OK"), lines
    if versioned:  # verify reads the manifest version the index recorded at seal
        [line] = starting(lines, f"OVERWRITTEN {manifest}: version ")
        assert line.endswith(", which is intact"), line
        for key in segments:
            assert starting(lines, f"HIDDEN {key}: a delete marker "), lines
    else:
        assert starting(lines, f"ALTERED {manifest}: SHA-256 "), lines
        assert f"FOREIGN {manifest}: signed for recording {other_id}, not {recording_id}" in lines
        for key in segments:
            assert f"MISSING {key}: camera bench: it is not in the store" in lines
    assert len(lines) == 1 + len(segments) + (0 if versioned else 1), lines


async def test_an_edited_index_row_and_an_object_slipped_in_beside_the_cameras_are_named(
    any_store_server: RunningServer, clip: Path
) -> None:
    server = any_store_server
    with stored_objects(server) as objects:
        recording_id, segments = await record(server, clip, objects)
        first = segments[0]
        signed = hashlib.sha256(objects.read(first)).hexdigest()
        stray = recording_prefix(segments) + "/evidence-room/seg-00000001.m4s"
        objects.write(stray, objects.read(first))  # a camera the court never had
        [init] = [key for key in objects.keys(".mp4") if f"{recording_id}/bench/init-" in key]
        objects.delete(init)
        versioned = isinstance(objects, BucketObjects)
    forged = "0" * 64
    run_sql(server, f"UPDATE segments SET sha256 = '{forged}' WHERE object_key = '{first}'")

    result = verify(server, recording_id)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert f"INDEX {first}: the index holds sha256 {forged} (signed {signed})" in lines
    assert f"EXTRA {stray}: in the store but not signed" in lines
    if versioned:
        assert starting(lines, f"HIDDEN {init}: a delete marker "), lines
    else:
        assert f"MISSING {init}: camera bench: it is not in the store" in lines
    assert len(lines) == 3, lines


async def test_a_recording_filed_at_another_time_in_the_index_is_named_and_not_exported(
    server: RunningServer, clip: Path
) -> None:
    """Someone with the database moves a recording a day back: players would show it under
    another date; verify names it and nothing is certified from it."""
    with stored_objects(server) as objects:
        recording_id, segments = await record(server, clip, objects)
    async with server.client() as client:
        track = (await client.get(f"/api/v1/recordings/{recording_id}")).json()["tracks"][0]
    postgres = "COURTCAST_DATABASE_URL" in server.env
    earlier = "started_at - interval '1 day'" if postgres else "datetime(started_at, '-1 day')"
    run_sql(server, f"UPDATE recordings SET started_at = {earlier} WHERE id = '{recording_id}'")

    result = verify(server, recording_id)
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(f"INDEX {manifest_of(segments)}: the index says started_at "), line
    start = datetime.fromisoformat(track["first_segment_at"])
    async with server.client() as client:
        for name in ("export.mp4", "export.json"):
            answer = await client.get(
                f"/api/v1/recordings/{recording_id}/cameras/bench/{name}",
                params={
                    "from": start.isoformat(),
                    "to": (start + timedelta(seconds=2)).isoformat(),
                },
            )
            assert answer.status_code == 409, answer.text
            assert "no longer files recording" in answer.json()["detail"]


async def test_verify_without_the_signing_key_refuses_and_makes_no_key(
    server: RunningServer,
) -> None:
    async with server.client() as client:
        recording = await start_recording(client)
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
    assert stop.status_code == 200, stop.text
    key_file = server.data_dir / SIGNING_KEY_FILE
    key_file.unlink()

    result = verify(server, recording.id)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"courtcast: {key_file} is missing"), result.stderr
    assert not key_file.exists()


async def test_an_edited_manifest_fails_its_signature(
    any_store_server: RunningServer, clip: Path
) -> None:
    server = any_store_server
    with stored_objects(server) as objects:
        recording_id, segments = await record(server, clip, objects)
        manifest = manifest_of(segments)
        text = objects.read(manifest).decode()
        edited = text.replace('"duration_s": 2', '"duration_s": 3', 1)
        assert edited != text, text
        objects.write(manifest, edited.encode())
        versioned = isinstance(objects, BucketObjects)
    result = verify(server, recording_id)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    if versioned:  # the edit is a version on top of the one sealed, which still verifies
        [line] = lines
        assert line.startswith(f"OVERWRITTEN {manifest}: version "), line
        assert line.endswith(", which is intact"), line
    else:
        assert starting(lines, f"ALTERED {manifest}: SHA-256 "), lines
        assert any("signature does not match" in line for line in lines), lines
        assert len(lines) == 2, lines
