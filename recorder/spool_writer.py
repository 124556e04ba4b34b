"""One camera's spool writer: the spool's blocking file work runs on a thread of the camera's own.

Every write, flush, fsync, rename and directory fsync of a `TrackSpool` blocks; on the event
loop that carries every camera's packets and every viewer, one slow disk would stall them all.
Here each job runs on a single-thread executor per camera, so a camera's jobs run in the
order they were queued and cameras never wait on each other's disk. A job returns the
effects that must follow its disk work (hand a file to the uploader, publish an LL-HLS part);
they run back on the loop, in queue order, only once the job's data is on disk.

The backlog is bounded: past `max_backlog` jobs the camera's pump waits in `room()` (its hub
subscription holds the frames meanwhile), which is logged; the backlog is a metric.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from recorder.spool import TrackSpool

log = logging.getLogger(__name__)

Effect = Callable[[], None]
"""What follows a job's disk work, run on the event loop."""

Job = Callable[[], Effect]
"""Disk work, run on the camera's spool thread; returns its effect."""

MAX_BACKLOG = 32  # jobs: about 10 s of 0.4 s fragments a camera may be behind its disk


class SpoolWriter:
    """Runs one camera's spool jobs in order, off the event loop."""

    def __init__(self, spool: TrackSpool, *, name: str, max_backlog: int = MAX_BACKLOG) -> None:
        self.spool = spool
        self._name = name
        self._max_backlog = max_backlog
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"spool {name}")
        self._jobs: deque[Job] = deque()
        self._running: asyncio.Task[None] | None = None
        self._progress = asyncio.Event()
        self.error: Exception | None = None  # the first failure; later jobs are refused
        self.refused = 0

    @property
    def backlog(self) -> int:
        """Jobs queued or on the disk now."""
        return len(self._jobs) + (self._running is not None)

    def submit(self, job: Job) -> None:
        """Queue `job`; never blocks. Call from the event loop."""
        if self.error is not None:
            self.refused += 1  # `room()` has told the pump; `close()` logs the count
            return
        self._jobs.append(job)
        if self._running is None:
            self._running = asyncio.get_running_loop().create_task(
                self._run(), name=f"spool {self._name}"
            )

    @property
    def full(self) -> bool:
        """Whether `room()` would wait (or raise): asked per frame, so a coroutine is made
        only when there is something to wait for."""
        return self.backlog >= self._max_backlog or self.error is not None

    async def room(self) -> None:
        """Return once the backlog is under its bound; raises what made the disk work fail."""
        if self.backlog >= self._max_backlog and self.error is None:
            log.warning(
                "spool %s: the disk is %d writes behind; the camera waits for it",
                self._name,
                self.backlog,
            )
            while self.backlog >= self._max_backlog and self.error is None:
                self._progress.clear()
                await self._progress.wait()
        if self.error is not None:
            raise self.error

    async def close(self) -> None:
        """Wait until every queued job is on disk, then close the spool's open file."""
        if self._running is not None:
            await asyncio.shield(self._running)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.spool.close)
        self._executor.shutdown(wait=False)
        if self.refused:
            log.error("spool %s: %d writes refused after the failure", self._name, self.refused)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._jobs:
                job = self._jobs.popleft()
                effect = await loop.run_in_executor(self._executor, job)
                effect()
                self._progress.set()
        except Exception as error:  # what is already on disk stays there for recovery
            self.error = error
            log.exception(
                "spool %s: writing failed; %d queued writes not done", self._name, len(self._jobs)
            )
            self._jobs.clear()
        finally:
            self._running = None
            self._progress.set()
