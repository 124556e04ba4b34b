"""The audit log records control actions and archive access; tampering is named."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

from tests.support.archive import fetch_track
from tests.support.cli import courtcast
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer
from tests.support.tampering import run_sql

clip = clip_fixture("camera.ts", seconds=8, width=640, height=360, fps=30, gop=30)


def audit_verify(server: RunningServer) -> subprocess.CompletedProcess[str]:
    return courtcast(server, "audit", "verify")


async def test_actions_and_archive_reads_are_logged_and_tampering_is_named(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        await asyncio.sleep(4)
        stopped = (await client.post(f"/api/v1/recordings/{recording.id}/stop")).json()
        await publisher.close()
        await fetch_track(client, stopped["tracks"][0]["playlist"])
        log = (await client.get("/api/v1/audit", params={"limit": 1000})).json()["items"]
        operator = await client.post("/api/v1/tokens", json={"role": "operator", "name": "书记员"})
        async with server.client(operator.json()["token"]) as other:
            assert (await other.get("/api/v1/audit")).status_code == 403

    actions = [entry["action"] for entry in reversed(log)]
    for action in ("start_recording", "stop_recording", "recording_playlist", "recording_object"):
        assert action in actions, actions
    assert actions.index("start_recording") < actions.index("stop_recording")
    stop = next(entry for entry in log if entry["action"] == "stop_recording")
    assert stop["actor"].startswith("admin") and stop["source"] == "127.0.0.1"
    assert stop["target"] == f"/api/v1/recordings/{recording.id}/stop"
    assert {entry["chain"] for entry in log} == {"hmac-sha256"}

    intact = audit_verify(server)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert intact.stdout.startswith("OK audit log")

    edited = stop["sequence"]
    run_sql(server, f"UPDATE audit_events SET actor = 'nobody' WHERE sequence = {edited}")
    removed = edited + 1
    run_sql(server, f"DELETE FROM audit_events WHERE sequence = {removed}")
    broken = audit_verify(server)
    assert broken.returncode == 1
    lines = broken.stdout.splitlines()
    assert f"BROKEN entry {edited}: was edited after it was written" in lines
    assert f"BROKEN entry {removed + 1}: entry {removed} was removed before it" in lines


async def test_the_audit_head_a_manifest_carries_names_a_truncated_log_without_checkpoints(
    server: RunningServer, clip: Path
) -> None:
    """Someone holding the database and the store deletes every checkpoint, then the tail:
    the recording's signed manifest still says how long the log was when it was sealed."""
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        await asyncio.sleep(3)
        assert (await client.post(f"/api/v1/recordings/{recording.id}/stop")).status_code == 200
        await publisher.close()
    server.stop()
    intact = audit_verify(server)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert ", 1 sealed manifest agrees" in intact.stdout

    shutil.rmtree(server.data_dir / "objects" / "audit")
    run_sql(server, "DELETE FROM audit_checkpoints")
    run_sql(server, "DELETE FROM audit_events WHERE sequence > 1")
    truncated = audit_verify(server)
    assert truncated.returncode == 1
    assert truncated.stdout.startswith(
        f"TRUNCATED audit log: the manifest of recording {recording.id} signed "
    ), truncated.stdout
    assert truncated.stdout.rstrip().endswith("entries, the log ends at entry 1")
