"""The embedded store takes a finished spool file by a hard link: the recorded bytes are on the
disk once, the object outlives the spool's name for them, and is owner-only as a copy is;
across file systems (a spool on another disk) it copies."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from storage.local import LocalObjectStore

SEGMENT = os.urandom(200_000) + "(2026)湘04民初123号".encode()
KEY = "法院/庭审/seg-00000001.m4s"


async def _put(store: LocalObjectStore, source: Path) -> None:
    digest = hashlib.sha256(SEGMENT).hexdigest()
    stored = await store.put_file(KEY, source, sha256=digest, content_type="video/mp4")
    assert (stored.size, stored.sha256) == (len(SEGMENT), digest)


async def test_a_spool_file_becomes_the_object_without_a_copy(tmp_path: Path) -> None:
    spooled = tmp_path / "spool" / "seg-00000001.m4s"
    spooled.parent.mkdir()
    spooled.write_bytes(SEGMENT)
    spooled.chmod(0o644)
    store = LocalObjectStore(tmp_path / "objects")
    await _put(store, spooled)
    stored = tmp_path / "objects" / "法院" / "庭审" / "seg-00000001.m4s"
    assert os.stat(stored).st_ino == os.stat(spooled).st_ino  # one inode, two names
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    spooled.unlink()  # the spool releases its name once the segment is indexed
    assert await store.get_bytes(KEY) == SEGMENT
    assert (await store.stat(KEY)).sha256 == hashlib.sha256(SEGMENT).hexdigest()
    assert sorted(p.name for p in stored.parent.iterdir()) == [
        ".seg-00000001.m4s.sha256",
        "seg-00000001.m4s",
    ]  # no temp name left behind


async def test_a_spool_on_another_file_system_is_copied(tmp_path: Path) -> None:
    shared_memory = Path("/dev/shm")
    if not shared_memory.is_dir() or shared_memory.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on a file system of its own")
    spooled = shared_memory / f"courtcast-{os.getpid()}-seg.m4s"
    spooled.write_bytes(SEGMENT)
    try:
        store = LocalObjectStore(tmp_path / "objects")
        await _put(store, spooled)
    finally:
        spooled.unlink()
    assert await store.get_bytes(KEY) == SEGMENT
    stored = tmp_path / "objects" / "法院" / "庭审" / "seg-00000001.m4s"
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
