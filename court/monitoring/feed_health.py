"""The health of a courtroom's feeds as the operator console shows it: each camera's
connection, the notes under its tile, and the alarms the console raises from them.

The console used to work these out itself from the figures; now it shows what the server
says. Everything is counted on the encoded frames in the camera's hub: nothing is decoded.
The rules look at the figures rounded as the console receives them (2 decimals), so a tile
and its note never disagree by a rounding.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from streaming.hub import Hub
from streaming.whip import STALE_AFTER_S

STALLED_AFTER_S = STALE_AFTER_S  # a publishing camera silent this long is shown as stalled
KEYFRAME_LATE_S = 5.0  # a camera sends a full picture every 1-2 s; later is worth a word
NO_AUDIO_NOTE_S = 2.0  # the tile says "no audio" past this
NO_AUDIO_ALARM_S = 10.0  # ...and the console raises an alarm past this
BACKLOG_SAMPLES = 10  # the spool backlog grew at each of this many samples: an alarm
BACKLOG_SAMPLE_S = 0.9  # samples at least this far apart (the console polls every second)

Connection = Literal["live", "stalled", "offline"]
NoteKind = Literal["keyframe", "noAudio", "clock"]
AlarmKind = Literal["lost", "noAudio", "backlog"]


@dataclass(frozen=True, slots=True)
class FeedNote:
    """A word under a camera's tile (console.health.<kind>) and the whole seconds it lasted."""

    kind: NoteKind
    s: int


@dataclass(frozen=True, slots=True)
class FeedAlarm:
    """An alarm the console shows from the feeds (console.alarm.<kind>); the watchdog's come
    over /api/v1/events."""

    kind: AlarmKind
    camera: str | None = None  # None: about the spool


@dataclass(frozen=True, slots=True)
class FeedFigures:
    """One camera's figures, as the console receives them."""

    camera: str
    publishing: bool
    connection: Connection
    fps: float
    bitrate_bps: float
    audio_frames_per_s: float
    frames: int
    bytes: int
    last_keyframe_age_s: float | None
    silent_s: float | None  # since the last frame of any kind
    audio_silent_s: float | None  # since the last audio frame
    video_codec: str | None
    subscribers: int
    notes: list[FeedNote]  # what the tile says beyond its rates

    def alarms(self, *, recording: bool) -> list[FeedAlarm]:
        """A camera that sent pictures and stopped while its room records is lost; a publishing
        camera whose microphone is silent too long has no audio."""
        alarms = []
        if recording and self.connection != "live" and self.frames > 0:
            alarms.append(FeedAlarm("lost", self.camera))
        silent = self.audio_silent_s
        if self.publishing and silent is not None and silent >= NO_AUDIO_ALARM_S:
            alarms.append(FeedAlarm("noAudio", self.camera))
        return alarms


def tile_notes(
    publishing: bool,
    last_keyframe_age_s: float | None,
    audio_silent_s: float | None,
    clock_offset_s: float = 0.0,
) -> list[FeedNote]:
    """What a tile says beyond its rates, in the tile's order (only while publishing)."""
    if not publishing:
        return []
    notes = []
    age = last_keyframe_age_s
    if age is not None and age >= KEYFRAME_LATE_S:  # the picture has not fully refreshed
        notes.append(FeedNote("keyframe", _whole(age)))
    if audio_silent_s is not None and audio_silent_s > NO_AUDIO_NOTE_S:
        notes.append(FeedNote("noAudio", _whole(audio_silent_s)))
    if clock_offset_s:  # its footage is dated by the server's clock: worth setting the camera's
        notes.append(FeedNote("clock", _whole(abs(clock_offset_s))))
    return notes


def figures(camera: str, hub: Hub, *, publishing: bool, clock_offset_s: float = 0.0) -> FeedFigures:
    """A hub's figures, rounded as the console shows them; `clock_offset_s`: how far the
    publisher's clock is from the server's, when past the tolerance (streaming/rtp_clock.py)."""
    rates = hub.rates()
    silent = hub.seconds_since_last_frame()
    keyframe_age = _rounded(hub.seconds_since_keyframe())
    audio_silent = _rounded(hub.seconds_since_audio())
    return FeedFigures(
        camera=camera,
        publishing=publishing,
        connection=connection(publishing, silent),
        fps=round(rates.video_fps, 1),
        bitrate_bps=round(rates.bitrate_bps),
        audio_frames_per_s=round(rates.audio_frames_per_s, 1),
        frames=hub.frames_published,
        bytes=hub.bytes_published,
        last_keyframe_age_s=keyframe_age,
        silent_s=_rounded(silent),
        audio_silent_s=audio_silent,
        video_codec=hub.video_codec,
        subscribers=hub.subscribers,
        notes=tile_notes(publishing, keyframe_age, audio_silent, clock_offset_s),
    )


def connection(publishing: bool, silent_s: float | None) -> Connection:
    """Live while frames come; stalled once a publishing camera is silent STALLED_AFTER_S."""
    if not publishing:
        return "offline"
    return "live" if silent_s is not None and silent_s < STALLED_AFTER_S else "stalled"


class SpoolTrend:
    """Whether the spool's backlog keeps growing: one sample per console poll at most, over the
    process (several consoles polling add no samples of their own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._samples: deque[int] = deque(maxlen=BACKLOG_SAMPLES)
        self._sampled_at: float | None = None

    def growing(self, backlog_bytes: int) -> bool:
        """Record `backlog_bytes` (if a sample is due) and say whether every sample grew."""
        now = self._clock()
        if self._sampled_at is None or now - self._sampled_at >= BACKLOG_SAMPLE_S:
            self._samples.append(backlog_bytes)
            self._sampled_at = now
        samples = list(self._samples)
        return len(samples) == BACKLOG_SAMPLES and all(
            later > earlier for earlier, later in itertools.pairwise(samples)
        )


def feed_alarms(
    feeds: list[FeedFigures], *, recording: bool, backlog_growing: bool
) -> list[FeedAlarm]:
    """The console's alarms from its room's feeds and the spool, cameras in tile order."""
    alarms = [alarm for feed in feeds for alarm in feed.alarms(recording=recording)]
    return [*alarms, FeedAlarm("backlog")] if backlog_growing else alarms


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _whole(seconds: float) -> int:
    """Seconds as the page used to round them (half up, as JavaScript's Math.round)."""
    return math.floor(seconds + 0.5)
