"""SIGTERM stops the server promptly and cleanly while staff sockets and peers are open.

It once took about 35 s and printed a traceback with the console's events socket open; a
supervisor (systemd, Kubernetes) waits for it and reads a non-zero exit as a crash.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import websockets

from tests.support.clips import make_clip
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer
from tests.support.viewer import WhepClient, wait_until

SHUTDOWN_LIMIT_S = 5.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "small.ts"
    make_clip(path, seconds=20, width=320, height=180, fps=30, gop=30, bitrate=400_000)
    return path


async def staff_socket(server: RunningServer, token: str) -> websockets.ClientConnection:
    """The events socket as the console opens it: the token in its first message."""
    url = server.base_url.replace("http://", "ws://") + "/api/v1/events"
    socket = await websockets.connect(url)
    await socket.send(json.dumps({"type": "auth", "token": token}))
    assert json.loads(await socket.recv())["type"] == "authenticated"
    return socket


async def test_sigterm_with_open_sockets_and_peers_exits_at_once(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as client:
        recording = await start_recording(client)
        operator = await client.post(
            "/api/v1/tokens",
            json={"role": "operator", "name": "desk", "courtroom_ids": [recording.courtroom.id]},
        )
        assert operator.status_code == 201, operator.text
    publisher = WhipPublisher(clip, recording.whip_url(server.base_url), "")
    publisher.token = server.admin_token
    await publisher.start()
    viewer = WhepClient(f"{server.base_url}/whep/{recording.hearing_id}/bench", server.admin_token)
    sockets = [
        await staff_socket(server, operator.json()["token"]),
        await staff_socket(server, server.admin_token),
    ]
    try:
        await viewer.start()
        await wait_until(lambda: viewer.video_frames > 0, 10, "the viewer's first frame")
        await asyncio.sleep(2)  # a segment's worth of footage for the shutdown to finish
        started = time.monotonic()
        exit_code = await asyncio.to_thread(server.stop)
        took = time.monotonic() - started
    finally:
        for socket in sockets:
            await socket.close()
        await viewer.close(hang_up=False)
        await publisher.close(hang_up=False)
    log = server.log_path.read_text(errors="replace")
    assert took < SHUTDOWN_LIMIT_S, f"SIGTERM took {took:.1f} s:\n{server.log_tail()}"
    assert exit_code == 0, server.log_tail()
    assert "Traceback" not in log, log
    assert all(socket.close_code is not None for socket in sockets)

    server.start()  # the recording was finished and stored by that shutdown
    async with server.client() as client:
        stored = (await client.get(f"/api/v1/recordings/{recording.id}")).json()
    assert stored["status"] != "recording", stored
    assert stored["tracks"] and stored["tracks"][0]["segments"] >= 1, stored
