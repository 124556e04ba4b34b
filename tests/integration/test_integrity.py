"""Tamper evidence: `courtcast verify` passes an untouched recording and names every change."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

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


async def record(server: RunningServer, clip: Path) -> tuple[str, list[Path]]:
    """A short stopped recording and its segment files in the local object store."""
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        await asyncio.sleep(7)
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await publisher.close()
    assert stop.status_code == 200, stop.text
    segments = sorted((server.data_dir / "objects").rglob(f"*{recording.id}/bench/seg-*.m4s"))
    assert len(segments) >= 3
    return recording.id, segments


async def test_untouched_recording_verifies_and_each_tampering_is_named(
    server: RunningServer, clip: Path
) -> None:
    recording_id, segments = await record(server, clip)
    untouched = verify(server, recording_id)
    assert untouched.returncode == 0, untouched.stdout + untouched.stderr
    assert untouched.stdout.startswith(f"OK {recording_id}")

    first, second, third = segments[:3]
    first_bytes, second_bytes = first.read_bytes(), second.read_bytes()
    first.write_bytes(second_bytes)  # reorder: swap two segments
    second.write_bytes(first_bytes)
    altered = bytearray(third.read_bytes())
    altered[len(altered) // 2] ^= 0xFF  # flip one byte in the middle of a sample
    third.write_bytes(bytes(altered))
    segments[-1].unlink()  # delete the last one

    tampered = verify(server, recording_id)
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    lines = tampered.stdout.splitlines()
    assert f"REORDERED {_key(first)}: holds the bytes of {_key(second)}" in lines
    assert f"REORDERED {_key(second)}: holds the bytes of {_key(first)}" in lines
    assert any(line.startswith(f"ALTERED {_key(third)}:") for line in lines), lines
    assert any(line.startswith(f"MISSING {_key(segments[-1])}:") for line in lines), lines
    assert len(lines) == 4, lines


async def test_an_edited_manifest_fails_its_signature(server: RunningServer, clip: Path) -> None:
    recording_id, segments = await record(server, clip)
    manifest = segments[0].parent.parent / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"duration_s": 2', '"duration_s": 3', 1))
    result = verify(server, recording_id)
    assert result.returncode == 1
    assert "signature does not match" in result.stdout


def _key(path: Path) -> str:
    return path.as_posix().split("/objects/", 1)[1]
