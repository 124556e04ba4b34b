"""A camera's clock is the camera's: the archive keeps the court's time whatever it says.

A publisher's RTCP sender reports pair its RTP time with its own wall clock, which a
hardware encoder never set, or a phone on the wrong time, may have minutes off. The
archive's times (segment start, program date-time, gaps) are the court's record of when
things happened, so they must read the server's clock, within a network delay.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiortc.clock
import pytest

from tests.support.archive import fetch_track
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

CAMERA_OFF = timedelta(minutes=3)
NETWORK = timedelta(seconds=1)  # loopback delay, jitter buffer and timer slack, generously

clip = clip_fixture("camera.ts", seconds=10, width=640, height=360, fps=30, gop=30)


def program_date_times(playlist: str) -> list[datetime]:
    return [
        datetime.fromisoformat(stamp)
        for stamp in re.findall(r"^#EXT-X-PROGRAM-DATE-TIME:(.+)$", playlist, re.MULTILINE)
    ]


@pytest.mark.parametrize("sign", [-1, 1], ids=["behind", "ahead"])
async def test_footage_from_a_camera_whose_clock_is_minutes_off_is_dated_by_the_court(
    server: RunningServer, clip: Path, monkeypatch: pytest.MonkeyPatch, sign: int
) -> None:
    camera_clock = aiortc.clock.current_ntp_time  # the publisher's aiortc, in this process
    off = sign * (round(CAMERA_OFF.total_seconds()) << 32)
    monkeypatch.setattr(aiortc.clock, "current_ntp_time", lambda: camera_clock() + off)
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        published = datetime.now(UTC)
        await publisher.start()
        await asyncio.sleep(5)  # sender reports every second or so: several of them
        feeds = await client.get(f"/api/v1/courtrooms/{recording.courtroom.id}/feeds")
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        stopped = datetime.now(UTC)
        await publisher.close()
        assert stop.status_code == 200, stop.text
        (track,) = stop.json()["tracks"]
        archived = await fetch_track(client, track["playlist"])

    (feed,) = feeds.json()["feeds"]  # the operator is told to set the camera's clock
    (note,) = [note for note in feed["notes"] if note["kind"] == "clock"]
    assert abs(note["s"] - CAMERA_OFF.total_seconds()) <= NETWORK.total_seconds(), note
    stamps = program_date_times(archived.playlist)
    assert len(stamps) >= 2, archived.playlist
    assert stamps == sorted(stamps), stamps  # time runs forwards through the footage
    for stamp in stamps:
        assert published - NETWORK <= stamp <= stopped, (stamp, published, stopped)
    assert stamps[-1] + timedelta(seconds=archived.durations[-1]) <= stopped + NETWORK
