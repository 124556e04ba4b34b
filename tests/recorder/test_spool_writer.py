"""The spool's disk work runs off the event loop, and keeps its promise: on disk first, in order.

The disk is made slow for real: the spool's fsync waits at a gate the test opens, on the
spool's own thread. While it waits, the loop must go on serving other coroutines and the
camera's frames, and nothing may be uploaded or published before its bytes were fsynced.
"""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from recorder.recovery import recover_track
from recorder.segment_plan import Chunk, FragmentChunk
from recorder.session import TrackRecorder
from recorder.spool import PART_SUFFIX, TrackSpool
from recorder.spool_writer import SpoolWriter
from recorder.uploader import UploadJob
from storage.keys import TrackPrefix
from streaming.frames import EncodedFrame
from tests.recorder.test_segmenter import clip

__all__ = ["clip"]  # the fixture this module borrows

GATE_S = 30.0  # a generous bound: only a hang would reach it


class GatedDisk:
    """An fsync that waits until the test opens the gate, then really syncs."""

    def __init__(self, *, fail: bool = False) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.synced = 0
        self._fail = fail

    def __call__(self, descriptor: int) -> None:
        self.entered.set()
        if not self.gate.wait(GATE_S):
            raise TimeoutError("the test never opened the gate")
        if self._fail:
            raise OSError(5, "Input/output error")
        os.fsync(descriptor)
        self.synced += 1

    def stuck(self) -> bool:
        """A thread is inside this fsync, waiting at the gate."""
        return self.entered.is_set() and not self.gate.is_set()


class Sink:
    """The live sink: checks that every fragment it hears is already in its spool file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.chunks: list[Chunk] = []

    def chunk(self, camera: str, chunk: Chunk) -> None:
        if isinstance(chunk, FragmentChunk):
            name = f"seg-{chunk.sequence:08d}.m4s"
            spooled = [self.directory / name, self.directory / (name + PART_SUFFIX)]
            assert any(p.exists() and chunk.data in p.read_bytes() for p in spooled)
        self.chunks.append(chunk)

    def stopped(self) -> None:
        pass


def recorder(
    directory: Path, disk: GatedDisk, jobs: list[UploadJob], **writer: int
) -> TrackRecorder:
    prefix = TrackPrefix("court", "room", "rec", "cam", datetime(2026, 12, 2, tzinfo=UTC))
    return TrackRecorder(
        recording_id="rec",
        camera="cam",
        prefix=prefix,
        writer=SpoolWriter(TrackSpool(directory, sync=disk), name="rec/cam", **writer),
        submit=jobs.append,
        target_segment_s=2.0,
        fragment_s=0.4,
        live=Sink(directory),
    )


async def served_while_stuck(disk: GatedDisk, turns: int) -> int:
    """Another coroutine's work: `turns` turns of the loop, counted while the disk is stuck."""
    served = 0
    for _ in range(turns):
        await asyncio.sleep(0)
        served += disk.stuck()
    return served


async def test_a_stalled_disk_stalls_neither_the_loop_nor_the_frames(
    clip: list[EncodedFrame], tmp_path: Path
) -> None:
    disk, jobs = GatedDisk(), []
    track = recorder(tmp_path, disk, jobs)
    for frame in clip:  # returns although the disk is stuck in its first fsync
        track.write(frame)
    await asyncio.to_thread(disk.entered.wait, GATE_S)
    assert await served_while_stuck(disk, 200) == 200
    assert jobs == [] and disk.synced == 0  # nothing handed on before its fsync

    disk.gate.set()
    await track.close()

    keys = [job.record.key.rsplit("/", 1)[1] for job in jobs]
    assert keys == ["init-0001.mp4", *(f"seg-{n:08d}.m4s" for n in range(1, len(keys)))]
    assert len(keys) >= 4  # init and the 7 s clip's segments, the last finished by close
    for job in jobs:
        assert job.path.read_bytes() and job.path.stat().st_size == job.record.size
    assert not list(tmp_path.glob(f"*{PART_SUFFIX}*"))


async def test_what_was_handed_over_is_what_recovery_finds(
    clip: list[EncodedFrame], tmp_path: Path
) -> None:
    """A crash after the writer drained loses nothing the uploader had been given."""
    disk, jobs = GatedDisk(), []
    disk.gate.set()
    track = recorder(tmp_path, disk, jobs)
    for frame in clip:
        track.write(frame)
    await track.close()
    recovered = recover_track(tmp_path)
    assert [job.record for job in recovered.jobs] == [job.record for job in jobs]


async def test_a_camera_far_behind_its_disk_waits_and_says_so(
    clip: list[EncodedFrame], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    disk, jobs = GatedDisk(), []
    track = recorder(tmp_path, disk, jobs, max_backlog=2)
    half = len(clip) // 2
    for frame in clip[:half]:  # 3.5 s: the init segment and several fragments, all queued
        track.write(frame)
    waiting = asyncio.create_task(track.room())
    await asyncio.to_thread(disk.entered.wait, GATE_S)
    assert await served_while_stuck(disk, 50) == 50
    assert not waiting.done() and track.writes_behind >= 2
    assert "the camera waits for it" in caplog.text

    disk.gate.set()
    await waiting
    for frame in clip[half:]:
        track.write(frame)
    await track.close()
    assert len(jobs) >= 4


async def test_a_failing_disk_stops_the_camera_loudly(
    clip: list[EncodedFrame], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    disk, jobs = GatedDisk(fail=True), []
    disk.gate.set()
    track = recorder(tmp_path, disk, jobs)
    for frame in clip:
        track.write(frame)
    with pytest.raises(OSError, match="Input/output error"):
        while True:  # the pump learns it at its next wait for room
            await track.room()
            await asyncio.sleep(0)
    await track.close()
    assert jobs == []
    assert "writing failed" in caplog.text and "writes refused" in caplog.text
