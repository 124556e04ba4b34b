"""kill -9 in the middle of a recording: at most half a second is lost and the gap is on record."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import datetime
from pathlib import Path

from tests.support.archive import decode, fetch_track
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

FPS = 30


clip = clip_fixture("camera.ts", seconds=12, width=640, height=360, fps=FPS, gop=60)


async def test_sigkill_loses_at_most_half_a_second_and_the_recording_goes_on(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as client:
        recording = await start_recording(client)
    url = recording.whip_url(server.base_url)

    before = WhipPublisher(clip, url, server.admin_token)
    await before.start()
    await asyncio.sleep(5.3)  # mid-segment, mid-fragment
    killed_at = time.time()
    server.stop(signal.SIGKILL)
    await before.close(hang_up=False)

    server.start()  # same data directory
    after = WhipPublisher(clip, url, server.admin_token)
    await after.start()
    await asyncio.sleep(4)
    async with server.client() as client:
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await after.close()
        assert stop.status_code == 200, stop.text
        stopped = stop.json()
        track = stopped["tracks"][0]
        archived = await fetch_track(client, track["playlist"])

    gaps = [gap for gap in stopped["gaps"] if gap["reason"] == "crash"]
    assert len(gaps) == 1, stopped["gaps"]
    gap = gaps[0]
    lost = killed_at - datetime.fromisoformat(gap["started_at"]).timestamp()
    assert lost <= 0.5, f"{lost:.3f} s before the kill are missing"
    assert gap["ended_at"] is not None and gap["duration_s"] > 0
    assert archived.playlist.count("#EXT-X-DISCONTINUITY") == 1
    assert 'CLASS="org.courtcast.gap"' in archived.playlist
    assert 'X-REASON="crash"' in archived.playlist
    frames = sum(decode(epoch.file()).video_frames for epoch in archived.epochs)
    assert frames == track["frames"]
    assert track["duration_s"] >= 5.3 - 1.0 + 4 - 1.0  # both sides, less connection time
