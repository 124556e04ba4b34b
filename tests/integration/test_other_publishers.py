"""Publishers that are not a browser with H.264 and Opus: VP8 only, video only."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.archive import decode, fetch_track
from tests.support.clips import make_clip
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

FPS = 30


async def test_vp8_publisher_is_archived_as_webm(server: RunningServer, tmp_path: Path) -> None:
    clip = make_clip(
        tmp_path / "vp8.webm", seconds=10, width=640, height=360, fps=FPS, gop=30, codec="vp8"
    )
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(
            clip,
            recording.whip_url(server.base_url),
            server.admin_token,
            video_codec="vp8",
        )
        await publisher.start()
        assert "VP8/90000" in publisher.answer_sdp
        await asyncio.sleep(6)
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await publisher.close()
        assert stop.status_code == 200, stop.text
        track = stop.json()["tracks"][0]
        archived = await fetch_track(client, track["playlist"])
    assert '#EXT-X-MAP:URI="segments/init-0001.webm' in archived.playlist
    assert track["segments"] >= 2
    decoded = [decode(epoch.file()) for epoch in archived.epochs]
    frames = sum(d.video_frames for d in decoded)
    assert frames == track["frames"]
    assert abs(frames - archived.duration_s * FPS) <= 0.05 * archived.duration_s * FPS
    assert sum(d.audio_frames for d in decoded) > archived.duration_s * 40


async def test_video_only_publisher_is_recorded(server: RunningServer, tmp_path: Path) -> None:
    """Hardware encoders often send no audio: the offer has a single video section."""
    clip = make_clip(tmp_path / "h264.ts", seconds=8, width=640, height=360, fps=FPS, gop=30)
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(
            clip, recording.whip_url(server.base_url), server.admin_token, audio=False
        )
        await publisher.start()
        assert "m=audio" not in publisher.answer_sdp
        await asyncio.sleep(4)
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await publisher.close()
        track = stop.json()["tracks"][0]
        archived = await fetch_track(client, track["playlist"])
    decoded = [decode(epoch.file()) for epoch in archived.epochs]
    assert sum(d.video_frames for d in decoded) == track["frames"] >= 2.5 * FPS
    assert sum(d.audio_frames for d in decoded) == 0
