"""The index learns the version the store gave each object, and the uploader never lays
a second version of its own on top of one already indexed."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from recorder.spool import TrackSpool
from recorder.uploader import Uploader
from storage.archive import ObjectRecord
from storage.objects import ObjectProtection, ObjectStoreUnavailable
from storage.s3 import S3ObjectStore
from tests.recorder.test_uploader import spool_segments
from tests.recorder.test_uploader_protection import RecordingStore


async def test_each_indexed_record_names_the_version_the_store_wrote(
    s3_store: S3ObjectStore, tmp_path: Path
) -> None:
    indexed: list[ObjectRecord] = []

    async def index(record: ObjectRecord) -> None:
        indexed.append(record)

    uploader = Uploader(s3_store, on_stored=index)
    jobs = spool_segments(TrackSpool(tmp_path / "spool"), 3)
    for job in jobs:
        uploader.submit(job)
    await asyncio.wait_for(uploader.drain("rec"), 30)
    await uploader.close()

    assert len(indexed) == len(jobs)
    for job, record in zip(jobs, indexed, strict=True):
        [version] = await s3_store.versions(job.record.key)
        assert record == replace(job.record, version_id=version.version_id)


class HoldFailsOnce(RecordingStore):
    """The first legal hold request fails as if the store had hung up."""

    async def set_legal_hold(self, key: str, on: bool) -> None:
        await super().set_legal_hold(key, on)
        if len(self.holds) == 1:
            raise ObjectStoreUnavailable("the store hung up")


async def test_a_failure_after_indexing_retries_the_hold_without_writing_again(
    tmp_path: Path,
) -> None:
    """On a versioned bucket a second put would lie on top of the indexed version."""
    store = HoldFailsOnce(tmp_path / "objects")
    indexed: list[ObjectRecord] = []
    held = ObjectProtection(retain_until=datetime(2056, 1, 1, tzinfo=UTC), legal_hold=True)
    answers = iter([None, held, held])  # before the put, then after indexing (twice)

    async def protection_for(recording_id: str) -> ObjectProtection | None:
        return next(answers)

    async def index(record: ObjectRecord) -> None:
        indexed.append(record)

    uploader = Uploader(store, on_stored=index, protection_for=protection_for, retry_first_s=0.01)
    [job] = spool_segments(TrackSpool(tmp_path / "spool"), 1)
    uploader.submit(job)
    await asyncio.wait_for(uploader.drain("rec"), 10)
    await uploader.close()

    assert indexed == [job.record]  # stored and indexed once: the retry only placed the hold
    assert store.written == {job.record.key: None}
    assert store.holds == [(job.record.key, True), (job.record.key, True)]
    assert not job.path.exists()
