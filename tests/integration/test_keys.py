"""The court's keys from outside: published without a token, shown and rotated by command,
and never silently replaced when a key file is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from storage.evidence_verifier import load_public_keys, open_envelope
from storage.keyring import PUBLIC_KEYS_FILE, SECRET_FILE, SIGNING_KEY_FILE
from tests.support.cli import courtcast
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

clip = clip_fixture("camera.ts", seconds=6, width=320, height=180, fps=15, gop=15)


async def record_and_stop(server: RunningServer, clip: Path) -> tuple[str, bytes]:
    """A short signed recording: its id and its manifest envelope as stored."""
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        await asyncio.sleep(3)
        stopped = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await publisher.close()
    assert stopped.status_code == 200, stopped.text
    manifests = list((server.data_dir / "objects").rglob(f"{recording.id}/manifest.json"))
    assert len(manifests) == 1, manifests
    return recording.id, manifests[0].read_bytes()


async def test_keys_are_public_shown_by_command_and_rotation_keeps_old_signatures(
    server: RunningServer, clip: Path
) -> None:
    recording_id, old_manifest = await record_and_stop(server, clip)
    published = httpx.get(server.base_url + "/api/v1/keys").json()  # no token
    [only] = published["keys"]
    assert only["current"] and only["id"] == published["current"]

    shown = courtcast(server, "keys", "show")
    assert shown.returncode == 0, shown.stderr
    assert f"key id {only['id']}" in shown.stdout
    assert set(load_public_keys(shown.stdout)) == {only["id"]}
    document, kid = open_envelope(old_manifest, load_public_keys(shown.stdout))
    assert kid == only["id"] and document["recording"]["id"] == recording_id

    rotated = courtcast(server, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    [new_id] = set(load_public_keys(rotated.stdout))
    assert new_id != only["id"]

    # the running server signs with the new key at once, and still publishes the old one
    published = httpx.get(server.base_url + "/api/v1/keys").json()
    assert published["current"] == new_id
    assert [(k["id"], k["current"]) for k in published["keys"]] == [
        (only["id"], False),
        (new_id, True),
    ]
    assert published["keys"][0]["retired_at"] is not None
    second_id, new_manifest = await record_and_stop(server, clip)
    every_key = load_public_keys(courtcast(server, "keys", "show", "--all").stdout)
    assert open_envelope(new_manifest, every_key)[1] == new_id
    assert open_envelope(old_manifest, every_key)[1] == only["id"]
    for recording in (recording_id, second_id):
        verified = courtcast(server, "verify", recording)
        assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_lost_keys_stop_every_command_and_serve_refuses_an_index_that_signed(
    server: RunningServer, clip: Path
) -> None:
    await record_and_stop(server, clip)
    server.stop()
    for name in (SIGNING_KEY_FILE, PUBLIC_KEYS_FILE, SECRET_FILE):
        (server.data_dir / name).unlink()

    for args in (("keys", "show"), ("keys", "rotate"), ("audit", "verify")):
        result = courtcast(server, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "is missing" in result.stderr, result.stderr
    assert not (server.data_dir / SIGNING_KEY_FILE).exists()

    serve = courtcast(server, "serve", timeout=60)  # refuses before it listens
    assert serve.returncode != 0
    assert "holds no keys but the index holds 1 signed recordings" in serve.stderr, serve.stderr
    assert not (server.data_dir / SIGNING_KEY_FILE).exists()


async def test_an_empty_secret_stops_serve(server: RunningServer) -> None:
    server.stop()
    (server.data_dir / SECRET_FILE).write_bytes(b"")
    serve = courtcast(server, "serve", timeout=60)  # refuses before it listens
    assert serve.returncode != 0
    assert "is empty or too short" in serve.stderr, serve.stderr
