"""Waiting for the shown record to change (court/live/shown_record.py), for every display and
caption panel at once.

A viewer asks with the version it shows; its request parks here (holding no database
connection) until the version at its cutoff differs, at most `timeout`. One watcher per hearing
in this process reads the times of the hearing's shown revisions from the index every POLL_S
while anyone waits, so a line written through any node is seen within that; the waiters compare
in memory. However many viewers wait, a hearing costs one small query per POLL_S, and the
answer for each (hearing, version) is built once (`answers`).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import select

from storage.db import Database
from storage.models import Recording, TranscriptLine, TranscriptRevision

log = logging.getLogger(__name__)
T = TypeVar("T")
POLL_S = 0.25
LATE_COMMIT_S = 5.0  # a revision committed this long after its timestamp is still seen
KEPT_ANSWERS = 256


class _Watched:
    """One hearing's shown revision times, kept fresh while anyone waits on it."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.times: list[datetime] = []  # sorted
        self.waiters = 0
        self.ready = asyncio.Event()
        self.tick = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def version_at(self, cutoff: datetime) -> int:
        return bisect.bisect_right(self.times, cutoff)

    def add(self, revision_id: str, edited_at: datetime) -> None:
        if revision_id not in self.seen:
            self.seen.add(revision_id)
            bisect.insort(self.times, edited_at)


class RecordWatch:
    def __init__(self, db: Database, *, poll_s: float = POLL_S) -> None:
        self._db = db
        self._poll_s = poll_s
        self._hearings: dict[str, _Watched] = {}
        self._answers: OrderedDict[tuple[str, int], object] = OrderedDict()

    async def wait(self, hearing_id: str, after: int, delay_s: float, timeout: float) -> None:
        """Return once the hearing's shown version at now - `delay_s` is not `after`, or after
        `timeout` seconds."""
        watched = self._hearings.get(hearing_id)
        if watched is None:
            watched = self._hearings[hearing_id] = _Watched()
        watched.waiters += 1
        if watched.task is None:
            watched.task = asyncio.create_task(self._poll(hearing_id, watched))
        task = watched.task
        try:
            async with asyncio.timeout(timeout):
                await watched.ready.wait()
                while watched.version_at(_cutoff(delay_s)) == after:
                    if task.done():  # closing down
                        return
                    await watched.tick.wait()
        except TimeoutError:
            pass
        finally:
            watched.waiters -= 1

    async def answer(self, hearing_id: str, version: int, build: Callable[[], Awaitable[T]]) -> T:
        """The answer kept for this version of the hearing's record, built once."""
        key = (hearing_id, version)
        kept = self._answers.get(key)
        if kept is None:
            kept = self._answers[key] = await build()
            while len(self._answers) > KEPT_ANSWERS:
                self._answers.popitem(last=False)
        return kept  # type: ignore[return-value]

    async def close(self) -> None:
        tasks = [w.task for w in self._hearings.values() if w.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _poll(self, hearing_id: str, watched: _Watched) -> None:
        since: datetime | None = None
        try:
            while watched.waiters > 0:
                try:
                    since = await self._read(hearing_id, watched, since)
                    watched.ready.set()
                except Exception:  # the index away for a moment: the waiters wait on
                    log.exception("reading the shown record of hearing %s", hearing_id)
                watched.tick.set()
                watched.tick = asyncio.Event()
                await asyncio.sleep(self._poll_s)
        finally:
            if self._hearings.get(hearing_id) is watched:
                del self._hearings[hearing_id]
            watched.tick.set()

    async def _read(
        self, hearing_id: str, watched: _Watched, since: datetime | None
    ) -> datetime | None:
        """Add the shown revisions written since the last read; the newest time seen."""
        query = (
            select(TranscriptRevision.id, TranscriptRevision.edited_at)
            .join(TranscriptLine, TranscriptLine.id == TranscriptRevision.line_id)
            .join(Recording, Recording.id == TranscriptLine.recording_id)
            .where(Recording.hearing_id == hearing_id, TranscriptLine.staff_only.is_(False))
        )
        if since is not None:
            late = since - timedelta(seconds=LATE_COMMIT_S)
            query = query.where(TranscriptRevision.edited_at > late)
        async with self._db.session() as session:
            for revision_id, edited_at in await session.execute(query):
                watched.add(revision_id, edited_at)
        return watched.times[-1] if watched.times else since


def _cutoff(delay_s: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=delay_s)
