"""A courtroom recorded end to end: two cameras publish over WHIP, the archive plays back.

What a judge would check: every camera's playlist plays, every frame decodes, audio is
there, the length is right, and pictures and sound are the very bytes the camera sent.
"""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import av
import pytest
from sqlalchemy import select

from storage.models import Track
from storage.playlist_models import KeptPlaylist
from tests.support.archive import decode, fetch_track, is_contiguous_run, source_slice_nals
from tests.support.clips import make_clip
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

FPS = 30
RECORD_S = 10.0


def opus_packets(container: bytes) -> list[bytes]:
    """The Opus packets of a file (MPEG-TS or fragmented MP4), as sent over RTP, in order."""
    with av.open(io.BytesIO(container)) as opened:
        return [bytes(packet) for packet in opened.demux(audio=0) if packet.size]


def occurs_in_order(needle: list[bytes], haystack: list[bytes]) -> bool:
    """True when `needle` is a contiguous run of `haystack` (a steady tone repeats packets,
    so every start is tried, not only the first match)."""
    if not needle:
        return False
    width = len(needle)
    return any(haystack[start : start + width] == needle for start in range(len(haystack)))


async def stored_playlists(server: RunningServer, recording_id: str) -> list[str]:
    """The cameras whose playlist entries the index keeps for the recording."""
    db = server.index()
    try:
        async with db.session() as session:
            kept = await session.scalars(
                select(Track.camera)
                .join(KeptPlaylist, KeptPlaylist.track_id == Track.id)
                .where(Track.recording_id == recording_id)
                .order_by(Track.camera)
            )
            return list(kept)
    finally:
        await db.close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "hearing.ts"
    make_clip(path, seconds=RECORD_S + 8, width=1280, height=720, fps=FPS, gop=60)
    return path


async def test_two_cameras_recorded_and_played_back(
    any_store_server: RunningServer, clip: Path
) -> None:
    server = any_store_server
    async with server.client() as client:
        courtroom = await create_courtroom(client, ["bench", "witness"])
        hearing_id = await create_hearing(client, courtroom.id)
        started = await client.post(f"/api/v1/hearings/{hearing_id}/recordings")
        assert started.status_code == 201, started.text
        recording = started.json()
        assert recording["status"] == "recording"

        publishers = [
            WhipPublisher(
                clip, f"{server.base_url}/whip/{courtroom.id}/{camera}", server.admin_token
            )
            for camera in courtroom.cameras
        ]
        publishing_from = time.monotonic()
        await asyncio.gather(*(publisher.start() for publisher in publishers))
        try:
            await asyncio.sleep(RECORD_S)
            live = (await client.get(f"/api/v1/recordings/{recording['id']}")).json()
            assert {t["camera"] for t in live["tracks"] if t["publishing"]} == {"bench", "witness"}
            stopped = await client.post(f"/api/v1/recordings/{recording['id']}/stop")
            published_s = time.monotonic() - publishing_from
        finally:
            await asyncio.gather(*(publisher.close() for publisher in publishers))
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["status"] == "stopped"

        tracks = stopped.json()["tracks"]
        assert sorted(track["camera"] for track in tracks) == ["bench", "witness"], tracks
        # stored once sealed: the playlists fetched below are read from the index, not rendered
        assert await stored_playlists(server, recording["id"]) == ["bench", "witness"]
        source_nals = source_slice_nals(str(clip))
        source_opus = opus_packets(clip.read_bytes())
        for track in tracks:
            assert track["segments"] >= 3, track
            # publishing begins a moment after the recording starts; allow the ICE/DTLS time,
            # and never more than the time between the first offer and the stop's answer
            assert RECORD_S - 3 <= track["duration_s"] <= published_s, (track, published_s)
            archived = await fetch_track(client, track["playlist"])
            assert "#EXT-X-ENDLIST" in archived.playlist
            assert "#EXT-X-PROGRAM-DATE-TIME:" in archived.playlist
            assert "#EXT-X-MAP:" in archived.playlist
            assert abs(archived.duration_s - track["duration_s"]) < 0.05
            video = audio = 0
            nals: list[bytes] = []
            opus: list[bytes] = []
            for epoch in archived.epochs:
                decoded = decode(epoch.file())
                video += decoded.video_frames
                audio += decoded.audio_frames
                nals += decoded.slice_nals
                opus += opus_packets(epoch.file())
            expected = archived.duration_s * FPS
            assert abs(video - expected) <= 0.05 * expected, (video, expected)
            assert video == track["frames"]
            assert audio > archived.duration_s * 40, audio  # 20 ms Opus packets: ~50 per second
            assert is_contiguous_run(nals, source_nals), "archived video differs from what was sent"
            assert len(opus) == audio, "one archived Opus packet per decoded audio frame"
            sound_as_sent = occurs_in_order(opus, source_opus)
            assert sound_as_sent, "archived Opus packets differ from what was sent"


async def test_resolution_change_starts_a_new_init_and_every_frame_decodes(
    server: RunningServer, tmp_path: Path
) -> None:
    clip = tmp_path / "ramp.ts"
    make_clip(
        clip,
        seconds=10,
        width=640,
        height=360,
        fps=FPS,
        gop=30,
        resolution_change_at=3.0,
        second_size=(1280, 720),
    )
    async with server.client() as client:
        courtroom = await create_courtroom(client, ["bench"])
        hearing_id = await create_hearing(client, courtroom.id)
        recording = (await client.post(f"/api/v1/hearings/{hearing_id}/recordings")).json()
        publisher = WhipPublisher(
            clip, f"{server.base_url}/whip/{courtroom.id}/bench", server.admin_token
        )
        await publisher.start()
        try:
            await asyncio.sleep(7)
            stopped = (await client.post(f"/api/v1/recordings/{recording['id']}/stop")).json()
        finally:
            await publisher.close()
        track = stopped["tracks"][0]
        archived = await fetch_track(client, track["playlist"])
        assert archived.playlist.count("#EXT-X-MAP:") == 2, archived.playlist
        assert "#EXT-X-DISCONTINUITY" in archived.playlist
        sizes: set[tuple[int, int]] = set()
        frames = 0
        for epoch in archived.epochs:
            decoded = decode(epoch.file())
            assert len(decoded.sizes) == 1, "an init segment describes one picture size"
            sizes |= decoded.sizes
            frames += decoded.video_frames
        assert sizes == {(640, 360), (1280, 720)}
        assert frames == track["frames"]
        assert abs(frames - archived.duration_s * FPS) <= 0.05 * archived.duration_s * FPS
