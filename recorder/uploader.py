"""Moves finished spool files into the object store, in order, retrying until it succeeds.

One worker uploads jobs first-in first-out, so segments reach the store and
the index in recording order and playlists never show a hole. A failure (the
store is down, the index is busy) is retried with capped exponential backoff
and jitter; the spool copy is released only after the store confirmed the
object and `on_stored` (the index) accepted its record, which carries the version the
store gave the object (versioned buckets), so the index names the bytes written here and
not whatever someone lays on top later. Each object is written
with the protection (retention, legal hold) `protection_for` gives its
recording at that moment, so the store refuses its early deletion from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from recorder.spool import release
from storage.archive import ObjectRecord
from storage.leases import Fenced
from storage.objects import ObjectProtection, ObjectStore, follow_legal_hold

log = logging.getLogger(__name__)

OnStored = Callable[[ObjectRecord], Awaitable[None]]
ProtectionFor = Callable[[str], Awaitable[ObjectProtection | None]]  # by recording id
OnUploaded = Callable[[float], None]  # seconds one object's successful put took


async def unprotected(recording_id: str) -> None:
    """No retention or hold: for callers that keep no retention rules, and for stores that
    could not keep them (the index is then not asked, twice per object, what they are)."""
    return None


def _untimed(seconds: float) -> None:
    """For callers that keep no upload timings."""


class UploadQueueFull(Exception):
    """More finished files wait than the queue holds: they stay in the spool for recovery."""


@dataclass(frozen=True, slots=True)
class UploadJob:
    record: ObjectRecord
    path: Path


class Uploader:
    def __init__(
        self,
        store: ObjectStore,
        *,
        on_stored: OnStored,
        protection_for: ProtectionFor = unprotected,
        on_uploaded: OnUploaded = _untimed,
        max_jobs: int = 20_000,
        retry_first_s: float = 0.25,
        retry_max_s: float = 15.0,
    ) -> None:
        self._store = store
        self._on_stored = on_stored
        self._protection_for = protection_for
        self._on_uploaded = on_uploaded
        self._max_jobs = max_jobs
        self._retry_first_s = retry_first_s
        self._retry_max_s = retry_max_s
        self._jobs: deque[UploadJob] = deque()
        self._pending: Counter[str] = Counter()
        self._changed = asyncio.Condition()
        self._wakeup = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self.failures = 0
        self.uploaded = 0
        self.fenced = 0  # objects stored but refused by the index: the courtroom moved on
        self.backlog_bytes = 0  # spooled bytes waiting for the store

    def submit(self, job: UploadJob) -> None:
        """Queue a finished spool file; never blocks the recorder."""
        if len(self._jobs) >= self._max_jobs:
            raise UploadQueueFull(f"{len(self._jobs)} uploads are already waiting")
        self._jobs.append(job)
        self.backlog_bytes += job.record.size
        self._pending[job.record.recording_id] += 1
        self._wakeup.set()
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="uploader")

    def backlog(self) -> int:
        return len(self._jobs)

    async def drain(self, recording_id: str) -> None:
        """Return once every file of the recording submitted so far is stored and indexed."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._pending[recording_id] == 0)
        del self._pending[recording_id]

    async def _run(self) -> None:
        while True:
            if not self._jobs:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            job = self._jobs[0]
            await self._upload_until_done(job)
            self._jobs.popleft()
            self.backlog_bytes -= job.record.size
            self.uploaded += 1
            async with self._changed:
                self._pending[job.record.recording_id] -= 1
                self._changed.notify_all()

    async def _upload_until_done(self, job: UploadJob) -> None:
        delay = self._retry_first_s
        indexed = False  # once indexed, never put again: that would lay a version on top
        protection: ObjectProtection | None = None
        while True:
            if not indexed and not job.path.exists():  # never retry forever on a file that is gone
                log.error(
                    "spool file %s vanished before upload; %s is lost", job.path, job.record.key
                )
                return
            try:
                if not indexed:
                    protection = await self._protection_for(job.record.recording_id)
                    putting = time.monotonic()
                    stored = await self._store.put_file(
                        job.record.key,
                        job.path,
                        sha256=job.record.sha256,
                        content_type=job.record.content_type,
                        protection=protection,
                    )
                    self._on_uploaded(time.monotonic() - putting)
                    await self._on_stored(replace(job.record, version_id=stored.version_id))
                    indexed = True
                await follow_legal_hold(
                    self._store,
                    job.record.key,
                    written=protection,
                    now=await self._protection_for(job.record.recording_id),
                )
            except Fenced as fenced:
                # Another node holds the courtroom now and numbers past this segment: the
                # spool copy stays, and is indexed as recovered footage when this node restarts.
                log.error("%s is not indexed: %s; its spool copy stays", job.record.key, fenced)
                self.fenced += 1
                return
            except Exception as exc:  # any failure: keep the spool copy and try again
                self.failures += 1
                log.warning(
                    "upload of %s failed (%s); retrying in %.1f s", job.record.key, exc, delay
                )
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self._retry_max_s)
                continue
            await asyncio.to_thread(release, job.path)  # unlinking may block: off the loop
            return

    async def close(self) -> None:
        """Stop the worker; files not yet stored stay in the spool."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
