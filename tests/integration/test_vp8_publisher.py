"""A publisher that offers only VP8 is recorded too, as WebM, without transcoding."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.archive import decode, fetch_track
from tests.support.clips import make_clip
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

FPS = 30


async def test_vp8_publisher_is_archived_as_webm(server: RunningServer, tmp_path: Path) -> None:
    clip = make_clip(
        tmp_path / "vp8.webm", seconds=10, width=640, height=360, fps=FPS, gop=30, codec="vp8"
    )
    async with server.client() as client:
        courtroom = await create_courtroom(client, ["bench"])
        hearing_id = await create_hearing(client, courtroom.id)
        recording = (await client.post(f"/api/v1/hearings/{hearing_id}/recordings")).json()
        publisher = WhipPublisher(
            clip,
            f"{server.base_url}/whip/{courtroom.id}/bench",
            server.admin_token,
            video_codec="vp8",
        )
        await publisher.start()
        assert "VP8/90000" in publisher.answer_sdp
        await asyncio.sleep(6)
        stop = await client.post(f"/api/v1/recordings/{recording['id']}/stop")
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
