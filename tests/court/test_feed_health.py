"""The console's feed health rules, now the server's (court/monitoring/feed_health.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from court.monitoring.feed_health import (
    BACKLOG_SAMPLES,
    FeedAlarm,
    FeedFigures,
    FeedNote,
    SpoolTrend,
    connection,
    feed_alarms,
    tile_notes,
)

LIVE = FeedFigures(
    camera="bench",
    publishing=True,
    connection="live",
    fps=25.0,
    bitrate_bps=2_000_000,
    audio_frames_per_s=50.0,
    frames=100,
    bytes=1_000_000,
    last_keyframe_age_s=1.0,
    silent_s=0.04,
    audio_silent_s=0.02,
    video_codec="H264",
    subscribers=1,
    notes=[],
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("publishing", "silent_s", "expected"),
    [
        (False, 0.1, "offline"),
        (True, 1.99, "live"),
        (True, 2.0, "stalled"),
        (True, None, "stalled"),  # publishing, never a frame yet
    ],
)
def test_a_publishing_camera_is_stalled_after_two_silent_seconds(
    publishing: bool, silent_s: float | None, expected: str
) -> None:
    assert connection(publishing, silent_s) == expected


def test_the_tile_notes_a_late_keyframe_and_missing_audio_in_whole_seconds() -> None:
    assert tile_notes(True, 1.0, 0.02) == [] and tile_notes(True, None, None) == []
    late = [FeedNote("keyframe", 5), FeedNote("noAudio", 3)]  # rounded half up, as JS did
    assert tile_notes(True, 5.0, 2.5) == late
    assert tile_notes(True, 4.99, 2.0) == []
    assert tile_notes(False, 5.0, 2.5) == []


def test_the_tile_notes_a_camera_clock_moved_onto_the_servers_behind_or_ahead() -> None:
    assert tile_notes(True, None, None, -180.4) == [FeedNote("clock", 180)]
    assert tile_notes(True, 5.0, None, 61.5) == [FeedNote("keyframe", 5), FeedNote("clock", 62)]
    assert tile_notes(True, None, None, 0.0) == []  # trusted: nothing to say
    assert tile_notes(False, None, None, 180.0) == []


def test_a_camera_that_sent_pictures_and_stopped_while_recording_is_lost() -> None:
    stalled = replace(LIVE, connection="stalled", silent_s=3.0)
    assert stalled.alarms(recording=True) == [FeedAlarm("lost", "bench")]
    assert stalled.alarms(recording=False) == []
    assert replace(stalled, frames=0).alarms(recording=True) == []  # never sent a picture
    assert LIVE.alarms(recording=True) == []


def test_ten_silent_seconds_of_audio_raise_an_alarm() -> None:
    assert replace(LIVE, audio_silent_s=9.99).alarms(recording=False) == []
    quiet = replace(LIVE, audio_silent_s=10.0)
    assert quiet.alarms(recording=False) == [FeedAlarm("noAudio", "bench")]
    assert replace(quiet, publishing=False).alarms(recording=False) == []


def test_the_spool_alarm_follows_the_cameras_in_tile_order() -> None:
    dock = replace(LIVE, camera="dock", audio_silent_s=12.0)
    lost = replace(LIVE, connection="stalled")
    alarms = feed_alarms([lost, dock], recording=True, backlog_growing=True)
    assert alarms == [
        FeedAlarm("lost", "bench"),
        FeedAlarm("noAudio", "dock"),
        FeedAlarm("backlog"),
    ]


def test_a_backlog_grows_only_when_every_one_of_ten_samples_grew() -> None:
    clock = Clock()
    trend = SpoolTrend(clock)
    for n in range(BACKLOG_SAMPLES - 1):
        assert not trend.growing(n)
        clock.now += 1.0
    assert trend.growing(100)
    assert trend.growing(50)  # too soon after the last sample: not counted yet
    clock.now += 1.0
    assert not trend.growing(50)  # it shrank
