"""Spool and uploader: a file leaves the spool only once stored and indexed, in order."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

from recorder.spool import RECORD_SUFFIX, TrackSpool
from recorder.uploader import Uploader, UploadJob
from storage.archive import ObjectRecord, OpeningRecord, SegmentRecord, object_record_from_json
from storage.local import LocalObjectStore


def opening(sequence: int) -> OpeningRecord:
    return OpeningRecord(
        recording_id="rec",
        camera="bench",
        epoch=1,
        sequence=sequence,
        key=f"court/room/2026/11/25/rec/bench/seg-{sequence:08d}.m4s",
        extension="m4s",
        video_track=None,
        started_at=datetime(2026, 11, 25, 2, 0, sequence * 2, tzinfo=UTC),
        discontinuity=False,
    )


def segment_record(sequence: int, size: int, sha256: str) -> SegmentRecord:
    return opening(sequence).finished(duration_s=2.0, size=size, sha256=sha256, frames=60)


def spool_segments(spool: TrackSpool, count: int) -> list[UploadJob]:
    jobs = []
    for sequence in range(1, count + 1):
        name = f"seg-{sequence:08d}.m4s"
        spool.begin_segment(name, opening(sequence))
        for fragment in range(4):
            spool.append_fragment(name, f"moof+mdat {sequence}.{fragment};".encode())
        spooled = spool.finish_segment(name)
        record = segment_record(sequence, spooled.size, spooled.sha256)
        spool.keep_record(spooled, record)
        spool.forget_opening(name)
        jobs.append(UploadJob(record, spooled.path))
    return jobs


async def test_spooled_segment_is_whole_hashed_and_recoverable(tmp_path: Path) -> None:
    spool = TrackSpool(tmp_path / "spool")
    spool.begin_segment("seg-00000001.m4s", opening(1))
    spool.append_fragment("seg-00000001.m4s", b"first")
    assert (tmp_path / "spool" / "seg-00000001.m4s.part").read_bytes() == b"first"
    spool.append_fragment("seg-00000001.m4s", b" second")
    spooled = spool.finish_segment("seg-00000001.m4s")
    assert spooled.path.read_bytes() == b"first second"
    assert spooled.sha256 == hashlib.sha256(b"first second").hexdigest()
    record = segment_record(1, spooled.size, spooled.sha256)
    sidecar = spool.keep_record(spooled, record)
    assert sidecar.name == "seg-00000001.m4s" + RECORD_SUFFIX
    assert object_record_from_json(sidecar.read_text(encoding="utf-8")) == record


async def test_uploads_in_order_and_releases_the_spool_only_after_indexing(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    spool = TrackSpool(tmp_path / "spool")
    indexed: list[ObjectRecord] = []

    async def index(record: ObjectRecord) -> None:
        assert await store.stat(record.key)  # stored before it is indexed
        indexed.append(record)

    uploader = Uploader(store, on_stored=index)
    jobs = spool_segments(spool, 5)
    for job in jobs:
        uploader.submit(job)
    await asyncio.wait_for(uploader.drain("rec"), 10)
    assert [r.sequence for r in indexed if isinstance(r, SegmentRecord)] == [1, 2, 3, 4, 5]
    for job in jobs:
        assert await store.get_bytes(job.record.key) == b"".join(
            f"moof+mdat {job.record.sequence}.{f};".encode() for f in range(4)
        )
        assert (await store.stat(job.record.key)).sha256 == job.record.sha256
    assert list((tmp_path / "spool").iterdir()) == []
    await uploader.close()


async def test_store_outage_keeps_files_in_the_spool_and_drains_after(tmp_path: Path) -> None:
    root = tmp_path / "objects"
    store = LocalObjectStore(root)
    spool = TrackSpool(tmp_path / "spool")
    indexed: list[int] = []

    async def index(record: ObjectRecord) -> None:
        assert isinstance(record, SegmentRecord)
        indexed.append(record.sequence)

    uploader = Uploader(store, on_stored=index, retry_first_s=0.05, retry_max_s=0.2)
    shutil.rmtree(root)
    root.write_bytes(b"the disk is gone")  # every write under root now fails
    for job in spool_segments(spool, 3):
        uploader.submit(job)
    await asyncio.sleep(0.5)
    assert indexed == []
    assert uploader.failures >= 2
    assert uploader.backlog() == 3
    assert len(list((tmp_path / "spool").glob("*.m4s"))) == 3
    root.unlink()
    root.mkdir()
    await asyncio.wait_for(uploader.drain("rec"), 10)
    assert indexed == [1, 2, 3]
    assert list((tmp_path / "spool").iterdir()) == []
    await uploader.close()
