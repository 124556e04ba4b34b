"""The local spool: every fragment is on disk, fsynced, before anything else happens to it.

Layout per camera track: `init-0001.mp4`, `seg-00000001.m4s.part` while the
segment grows, renamed to `seg-00000001.m4s` when complete, each finished file
with a `.json` record beside it. A file leaves the spool only once the object
store has confirmed it and the index has it (the uploader calls `release`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from storage.archive import ObjectRecord, OpeningRecord

PART_SUFFIX = ".part"
RECORD_SUFFIX = ".json"
OPENING_SUFFIX = ".json"  # beside a `.part` file: what recovery needs to finish it


@dataclass(frozen=True, slots=True)
class SpooledFile:
    path: Path
    size: int
    sha256: str


class _GrowingSegment:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: BinaryIO = open(path, "wb")  # noqa: SIM115 - stays open while the segment grows
        self.digest = hashlib.sha256()
        self.size = 0


class TrackSpool:
    """One camera's spool directory; synchronous because fragments must hit disk in order
    (recorder/spool_writer.py runs it on a thread of its own, off the event loop)."""

    def __init__(
        self, directory: Path, *, fsync: bool = True, sync: Callable[[int], None] = os.fsync
    ) -> None:
        """`sync` is what flushes a descriptor to the disk (a test slows it down)."""
        self.directory = directory
        self._fsync = fsync
        self._sync_descriptor = sync
        directory.mkdir(parents=True, exist_ok=True)
        self._growing: _GrowingSegment | None = None

    def write_whole(self, name: str, data: bytes) -> SpooledFile:
        """A small complete file (an init segment)."""
        path = self.directory / name
        with open(path, "wb") as file:
            file.write(data)
            self._sync(file)
        self._sync_directory()
        return SpooledFile(path, len(data), hashlib.sha256(data).hexdigest())

    def begin_segment(self, name: str, opening: OpeningRecord) -> None:
        """Open segment `name`; `opening` (its number, epoch, start...) lets recovery finish it."""
        if self._growing is not None:
            raise RuntimeError(f"segment {self._growing.path.name} is still open")
        part = self.directory / (name + PART_SUFFIX)
        with open(part.with_name(part.name + OPENING_SUFFIX), "w", encoding="utf-8") as file:
            file.write(opening.to_json())
            self._sync(file)
        self._growing = _GrowingSegment(part)
        self._sync_directory()

    def append_fragment(self, name: str, data: bytes) -> None:
        """Add a fragment to the open segment `name`."""
        growing = self._growing
        if growing is None or growing.path.name != name + PART_SUFFIX:
            raise RuntimeError(f"segment {name} is not open")
        growing.file.write(data)
        growing.digest.update(data)
        growing.size += len(data)
        self._sync(growing.file)

    def finish_segment(self, name: str) -> SpooledFile:
        """Close segment `name` and give it its final name."""
        growing = self._growing
        if growing is None or growing.path.name != name + PART_SUFFIX:
            raise RuntimeError(f"segment {name} is not open")
        self._growing = None
        growing.file.close()
        final = self.directory / name
        os.replace(growing.path, final)
        self._sync_directory()
        return SpooledFile(final, growing.size, growing.digest.hexdigest())

    def forget_opening(self, name: str) -> None:
        """Once the finished segment's own record is on disk, its opening note can go."""
        (self.directory / (name + PART_SUFFIX + OPENING_SUFFIX)).unlink(missing_ok=True)

    def keep_record(self, spooled: SpooledFile, record: ObjectRecord) -> Path:
        """Write the file's record beside it, for recovery after a crash."""
        path = spooled.path.with_name(spooled.path.name + RECORD_SUFFIX)
        with open(path, "w", encoding="utf-8") as file:
            file.write(record.to_json())
            self._sync(file)
        return path

    def close(self) -> None:
        """Close an open segment file without finishing it (it stays as `.part`)."""
        if self._growing is not None:
            self._growing.file.close()
            self._growing = None

    def _sync(self, file: IO[Any]) -> None:
        file.flush()
        if self._fsync:
            self._sync_descriptor(file.fileno())

    def _sync_directory(self) -> None:
        if self._fsync:
            descriptor = os.open(self.directory, os.O_RDONLY)
            try:
                self._sync_descriptor(descriptor)
            finally:
                os.close(descriptor)


def release(path: Path) -> None:
    """Remove a stored file and its record from the spool."""
    path.with_name(path.name + RECORD_SUFFIX).unlink(missing_ok=True)
    path.unlink(missing_ok=True)
