"""Watches every running recording's feeds and the spool, raising and clearing alarms.

A camera that sends nothing for `silence_s` while its courtroom is recording
(since its last frame, or since the recording started if it never sent one)
raises `no_frames` about that courtroom's camera, naming the hearing recorded (whose
visibility decides who hears of it); the spool raises `spool_filling` at three quarters
of its bound, well before `spool_full`, when frames stop being recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from court.monitoring.alarms import Alarm, AlarmBoard
from court.monitoring.feed_health import STALLED_AFTER_S
from court.recordings import Recordings

SPOOL_WARNING_SHARE = 0.75


class Watchdog:
    def __init__(
        self,
        recordings: Recordings,
        board: AlarmBoard,
        *,
        silence_s: float = STALLED_AFTER_S,
        interval_s: float = 0.25,
    ) -> None:
        self._recordings = recordings
        self._board = board
        self._silence_s = silence_s
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="watchdog")

    async def _run(self) -> None:
        while True:
            self.check()
            await asyncio.sleep(self._interval_s)

    def check(self) -> None:
        """One pass over feeds and spool (also called directly by tests)."""
        now = time.monotonic()
        running = sorted(self._recordings.recorded_feeds(), key=lambda f: f.recording_started)
        # one feed per courtroom camera: the newest recording's, should two overlap a moment
        feeds = {f"{feed.courtroom_id}/{feed.camera}": feed for feed in running}
        for alarm in self._board.active():
            feed = feeds.get(alarm.subject)
            if alarm.kind == "no_frames" and (feed is None or feed.hearing_id != alarm.hearing_id):
                # The recording stopped, or the room now records another hearing.
                self._board.clear("no_frames", alarm.subject)
        for subject, feed in feeds.items():
            silent = feed.silent_s if feed.silent_s is not None else now - feed.recording_started
            if silent > self._silence_s:
                self._board.raise_alarm(
                    Alarm(
                        "no_frames",
                        subject,
                        f"no frames from camera {feed.camera} for {silent:.1f} s",
                        details={"camera": feed.camera},
                        courtroom_id=feed.courtroom_id,
                        hearing_id=feed.hearing_id,
                    )
                )
            else:
                self._board.clear("no_frames", subject)
        self._check_spool()

    def _check_spool(self) -> None:
        used, bound = self._recordings.spool_usage()
        for kind, threshold, words in (
            (
                "spool_filling",
                SPOOL_WARNING_SHARE * bound,
                "filling up: uploads are not keeping up",
            ),
            ("spool_full", bound, "full: frames are not being recorded"),
        ):
            if used >= threshold:
                self._board.raise_alarm(
                    Alarm(
                        kind,
                        "spool",
                        f"spool {words} ({used} of {bound} bytes)",
                        details={"used_bytes": used, "max_bytes": bound},
                    )
                )
            else:
                self._board.clear(kind, "spool")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
