"""The uploader writes each object with its recording's protection and follows hold changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from recorder.spool import TrackSpool
from recorder.uploader import Uploader
from storage.archive import ObjectRecord
from storage.local import LocalObjectStore
from storage.objects import ObjectProtection, StoredObject
from tests.recorder.test_uploader import spool_segments

RETAINED = ObjectProtection(retain_until=datetime(2056, 1, 1, tzinfo=UTC), mode="COMPLIANCE")
HELD = ObjectProtection(RETAINED.retain_until, RETAINED.mode, legal_hold=True)


class RecordingStore(LocalObjectStore):
    """The local store, noting the protection it was asked for (it cannot enforce any)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.written: dict[str, ObjectProtection | None] = {}
        self.holds: list[tuple[str, bool]] = []

    async def put_file(
        self,
        key: str,
        path: Path,
        *,
        sha256: str,
        content_type: str,
        protection: ObjectProtection | None = None,
    ) -> StoredObject:
        self.written[key] = protection
        return await super().put_file(key, path, sha256=sha256, content_type=content_type)

    async def set_legal_hold(self, key: str, on: bool) -> None:
        self.holds.append((key, on))


async def test_hold_placed_between_put_and_index_reaches_the_object(tmp_path: Path) -> None:
    """The case's hold request saw the index before this object was in it: the uploader,
    reading the case again after indexing, must place the hold itself."""
    store = RecordingStore(tmp_path / "objects")
    answers = iter([RETAINED, HELD, HELD, HELD])  # before put 1, after index 1, then held
    asked: list[str] = []

    async def protection_for(recording_id: str) -> ObjectProtection:
        asked.append(recording_id)
        return next(answers)

    async def index(record: ObjectRecord) -> None:
        return None

    uploader = Uploader(store, on_stored=index, protection_for=protection_for)
    first, second = spool_segments(TrackSpool(tmp_path / "spool"), 2)
    uploader.submit(first)
    uploader.submit(second)
    await asyncio.wait_for(uploader.drain("rec"), 10)
    await uploader.close()

    assert asked == ["rec"] * 4
    assert store.written == {first.record.key: RETAINED, second.record.key: HELD}
    assert store.holds == [(first.record.key, True)]  # the second was written held
