"""A camera that drops and comes back continues its track in the same recording."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path

from tests.support.archive import decode, fetch_track
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

FPS = 30


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


clip = clip_fixture("camera.ts", seconds=10, width=640, height=360, fps=FPS, gop=30)


async def test_hang_up_and_lost_network_both_continue_the_track(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as client:
        recording = await start_recording(client)
        url = recording.whip_url(server.base_url)

        first = WhipPublisher(clip, url, server.admin_token)
        await first.start()
        await asyncio.sleep(3)
        await first.close()  # a clean hang-up: DELETE on the WHIP resource

        second = WhipPublisher(clip, url, server.admin_token)
        await second.start()
        await asyncio.sleep(3)
        await second.close(hang_up=False)  # the network goes: no DELETE, no RTCP BYE
        await asyncio.sleep(2.5)

        third = WhipPublisher(clip, url, server.admin_token)
        await third.start()  # takes over from the silent publication instead of a 409
        await asyncio.sleep(3)
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await third.close()
        assert stop.status_code == 200, stop.text

        track = stop.json()["tracks"][0]
        assert track["epochs"] == 3, track
        archived = await fetch_track(client, track["playlist"])
    assert archived.playlist.count("#EXT-X-MAP:") == 3
    assert archived.playlist.count("#EXT-X-DISCONTINUITY") == 2
    frames = sum(decode(epoch.file()).video_frames for epoch in archived.epochs)
    assert frames == track["frames"]
    # three publications of about 3 s each; each loses at most its connection time
    assert 3 * 2.5 * FPS <= frames <= 3 * 3.5 * FPS, frames
    names = [line for line in archived.playlist.splitlines() if line.startswith("segments/seg-")]
    sequences = [int(name.split("seg-")[1].split(".")[0]) for name in names]
    assert sequences == list(range(1, len(sequences) + 1)), "segment numbers continue, none reused"


async def test_a_camera_back_for_a_moment_gets_a_gap_for_each_time_it_dropped(
    server: RunningServer, clip: Path
) -> None:
    """It drops again before the footage of its return (which ends the first gap) is stored:
    both absences are on record, each ending where the camera's footage came back."""
    async with server.client() as client:
        recording = await start_recording(client)
        url = recording.whip_url(server.base_url)
        feeds = f"/api/v1/courtrooms/{recording.courtroom.id}/feeds"

        async def frames_taken() -> int:
            """The camera's frames the server has taken in (its recorder takes each)."""
            (feed,) = (await client.get(feeds)).json()["feeds"]
            return int(feed["frames"])

        for seconds in (3, 0):  # recorded, then back for a moment
            before = await frames_taken()
            camera = WhipPublisher(clip, url, server.admin_token)
            await camera.start()
            await asyncio.sleep(seconds)
            deadline = time.monotonic() + 15
            while await frames_taken() < before + FPS:  # its first keyframe and what follows
                assert time.monotonic() < deadline, "the camera's frames never arrived"
                await asyncio.sleep(0.05)
            await camera.close()
        back = WhipPublisher(clip, url, server.admin_token)
        await back.start()  # back for good
        await asyncio.sleep(3)
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await back.close()
    assert stop.status_code == 200, stop.text
    body = stop.json()
    gaps = [(gap["reason"], at(gap["started_at"]), at(gap["ended_at"])) for gap in body["gaps"]]
    assert [reason for reason, _, _ in gaps] == ["publisher_left"] * 2, body["gaps"]
    (_, first_start, first_end), (_, second_start, second_end) = gaps
    assert first_start < first_end < second_start < second_end, body["gaps"]
    assert second_end < at(body["stopped_at"]) - timedelta(seconds=2), body["gaps"]
    assert body["tracks"][0]["epochs"] == 3, body["tracks"]


def segment_times(playlist: str) -> list[tuple[datetime, float, bool]]:
    """(program date-time, duration, after a discontinuity) of every segment listed."""
    segments: list[tuple[datetime, float, bool]] = []
    stamp, discontinuity = None, False
    for line in playlist.splitlines():
        if line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            stamp = at(line.split(":", 1)[1])
        elif line.startswith("#EXTINF:"):
            assert stamp is not None, playlist
            segments.append((stamp, float(line[8:].split(",")[0]), discontinuity))
            stamp, discontinuity = None, False
    return segments


async def test_a_gap_begins_where_the_footage_ended_though_the_loss_was_noticed_later(
    server: RunningServer, clip: Path
) -> None:
    """The network goes without a word: the server learns it seconds later, when the camera
    is taken over or found silent. The gap is the time with no footage, from its last frame."""
    async with server.client() as client:
        recording = await start_recording(client)
        url = recording.whip_url(server.base_url)
        lost = WhipPublisher(clip, url, server.admin_token)
        await lost.start()
        await asyncio.sleep(3)
        lost.go_silent()
        await asyncio.sleep(2.5)
        back = WhipPublisher(clip, url, server.admin_token)
        await back.start()  # takes over from the silent publication: only now it ends
        await asyncio.sleep(3)
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await back.close()
        await lost.close(hang_up=False)
        assert stop.status_code == 200, stop.text
        archived = await fetch_track(client, stop.json()["tracks"][0]["playlist"])
    ((reason, started, ended),) = [
        (gap["reason"], at(gap["started_at"]), at(gap["ended_at"])) for gap in stop.json()["gaps"]
    ]
    segments = segment_times(archived.playlist)
    (returned,) = [index for index, (_, _, after_gap) in enumerate(segments) if after_gap]
    last_stamp, last_duration, _ = segments[returned - 1]
    footage_end = last_stamp + timedelta(seconds=last_duration)
    assert reason == "publisher_left"
    assert abs(started - footage_end) < timedelta(milliseconds=50), (started, footage_end)
    assert abs(ended - segments[returned][0]) < timedelta(milliseconds=1)  # stamps in ms
    assert ended - started >= timedelta(seconds=2), (started, ended)  # away 2.5 s, then connecting
