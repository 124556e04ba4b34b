"""A stopped track's playlist entries stored in the index: a process that starts later (a
restart, another worker) serves them without listing or rendering a segment, and renders
again whenever the rows, the init segments or the way entries are rendered differ from what
the stored text came from. What is stored carries nobody's signature."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

import court.playback
import court.recordings
import court.stored_playlists
from court.archiving import Archive
from court.errors import NotFound
from court.monitoring.metrics import Timings
from court.playback_cache import LINK_QUERY, PlaylistCache
from court.publications import Publications
from court.recordings import Recordings, SegmentPlan
from court.stored_playlists import store_recording_playlists
from storage.catalog import add_init_segment, add_segment
from storage.db import Database
from storage.keyring import KeyRing
from storage.local import LocalObjectStore
from storage.models import Recording
from storage.playlist_models import KeptPlaylist
from storage.playlists import ListedSegment, StoredEntries, store_entries, stored_entries
from streaming.hub import HubRegistry
from tests.court.test_playback_cache import (
    CLERK,
    JUDGE,
    afresh,
    links,
    playlist,
    seal_for_the_judge,
    stopped_recording,
)
from tests.storage.test_leases import recording_in
from tests.storage.test_playlists import init, segment


@pytest.fixture
def listings(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The cameras whose segments playback listed, in order."""
    listed: list[str] = []
    real = court.playback.listed_segments

    async def counted(
        session: AsyncSession,
        *,
        recording_id: str,
        camera: str,
        after: int | None = None,
        through: int | None = None,
    ) -> list[ListedSegment]:
        listed.append(camera)
        return await real(
            session, recording_id=recording_id, camera=camera, after=after, through=through
        )

    monkeypatch.setattr(court.playback, "listed_segments", counted)
    yield listed


async def stored(db: Database, recording: Recording, camera: str = "bench") -> StoredEntries | None:
    async with db.session() as session:
        return await stored_entries(session, recording_id=recording.id, camera=camera)


async def test_a_process_started_later_serves_the_stored_entries_without_listing_a_segment(
    db: Database, listings: list[str]
) -> None:
    recording = await stopped_recording(db, "1")
    first = await playlist(db, PlaylistCache(), recording)
    assert listings == ["bench"]
    kept = await stored(db, recording)
    restarted = await playlist(db, PlaylistCache(), recording)

    assert listings == ["bench"]  # the second process read the stored text only
    assert restarted == first
    assert [path for path, _ in links(restarted)][1:] == [
        f"segments/seg-{n:08d}.m4s" for n in range(1, 7)
    ]
    assert kept is not None
    assert kept.entries.count("#EXTINF") == 6 and kept.target_s == 2
    assert kept.entries.count(LINK_QUERY) == 7  # one per link, where each caller's query goes
    assert "sig=" not in kept.entries and "tok-judge" not in kept.entries


async def test_stored_entries_of_other_rows_are_rendered_again_and_replaced(
    db: Database, listings: list[str]
) -> None:
    recording = await recording_in(db, "2", status="stopped")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        for sequence in (1, 2, 4):  # the third still in a crashed node's spool
            await add_segment(session, segment(recording, "bench", 1, sequence))
    await playlist(db, PlaylistCache(), recording)
    before = await stored(db, recording)
    async with db.session() as session, session.begin():
        await add_segment(session, segment(recording, "bench", 1, 3))  # recovered
    recovered = await playlist(db, PlaylistCache(), recording)
    after = await stored(db, recording)

    assert listings == ["bench", "bench"]
    assert [path for path, _ in links(recovered)][1:] == [
        f"segments/seg-{n:08d}.m4s" for n in (1, 2, 3, 4)
    ]
    assert before is not None and after is not None and after.basis != before.basis
    assert "seg-00000003.m4s" in after.entries
    assert recovered == await afresh(db, recording)


async def test_entries_stored_by_another_rendering_are_rendered_again(
    db: Database, listings: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = await stopped_recording(db, "3")
    with monkeypatch.context() as older_release:
        older_release.setattr(court.stored_playlists, "_RENDERING", "an older release's entries")
        await playlist(db, PlaylistCache(), recording)
    older = await stored(db, recording)
    served = await playlist(db, PlaylistCache(), recording)

    assert listings == ["bench", "bench"]
    assert older is not None and (await stored(db, recording)) != older
    assert served == await afresh(db, recording)


async def test_text_stored_under_a_basis_that_does_not_match_is_never_served(
    db: Database,
) -> None:
    recording = await stopped_recording(db, "4")
    async with db.session() as session:
        planted = StoredEntries("0" * 64, "#EXTINF:2.00000,\nelsewhere.m4s\n", 2, None)
        await store_entries(session, planted, recording_id=recording.id, camera="bench")
    served = await playlist(db, PlaylistCache(), recording)

    assert "elsewhere" not in served
    assert served == await afresh(db, recording)


async def test_a_damaged_stored_row_is_rendered_again_and_replaced(db: Database) -> None:
    recording = await stopped_recording(db, "12")
    first = await playlist(db, PlaylistCache(), recording)
    async with db.session() as session, session.begin():
        await session.execute(update(KeptPlaylist).values(entries=b"not what zlib wrote"))
    served = await playlist(db, PlaylistCache(), recording)
    replaced = await stored(db, recording)

    assert served == first
    assert replaced is not None and "seg-00000006.m4s" in replaced.entries


async def test_a_running_recording_and_a_camera_without_footage_store_nothing(
    db: Database,
) -> None:
    running = await recording_in(db, "5")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(running, "bench", 1))
        await add_segment(session, segment(running, "bench", 1, 1))
    await playlist(db, PlaylistCache(), running)
    stopped = await stopped_recording(db, "6")
    with pytest.raises(NotFound):
        async with db.session() as session:
            await court.playback.archive_playlist(
                session,
                JUDGE,
                court.playback.UrlSigner(b"s" * 32),
                PlaylistCache(),
                recording_id=stopped.id,
                camera="dock",
            )

    async with db.session() as session:
        assert list(await session.scalars(select(KeptPlaylist))) == []


async def test_a_sealed_hearings_stored_entries_stay_hidden_from_the_unassigned(
    db: Database,
) -> None:
    recording = await stopped_recording(db, "7")
    await seal_for_the_judge(db, recording)
    assert links(await playlist(db, PlaylistCache(), recording, JUDGE))
    assert await stored(db, recording) is not None

    with pytest.raises(NotFound):
        await playlist(db, PlaylistCache(), recording, CLERK)


async def test_a_recording_stored_once_sealed_is_served_at_its_first_seek_without_a_listing(
    db: Database, listings: list[str]
) -> None:
    recording = await stopped_recording(db, "8")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "dock", 1))  # no segment yet
    await store_recording_playlists(db, recording.id)
    first = await playlist(db, PlaylistCache(), recording)
    dock = await stored(db, recording, "dock")

    assert listings == []
    assert dock is not None and dock.entries == ""  # an init and no segment: nothing listed
    assert first == await afresh(db, recording)


def recordings_service(db: Database, data: Path, archive: Archive | None = None) -> Recordings:
    """The court's recordings on a local directory, as the runtime wires them (on one node,
    unless `archive` carries a node's fences)."""
    hubs, timings = HubRegistry(), Timings(CollectorRegistry())
    return Recordings(
        db=db,
        store=LocalObjectStore(data / "objects"),
        keyring=KeyRing.create(data / "keys"),
        hubs=hubs,
        publications=Publications(hubs, timings),
        archive=archive or Archive(db, timings, fence_for=lambda _courtroom: None),
        plan=SegmentPlan(data / "spool", 2.0, 0.4, 1 << 30),
        timings=timings,
    )


async def test_stopping_a_recording_stores_its_playlists_once_it_is_sealed(
    db: Database, tmp_path: Path
) -> None:
    recording = await recording_in(db, "10")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        await add_segment(session, segment(recording, "bench", 1, 1))
    await recordings_service(db, tmp_path).stop_recording(recording.id)

    kept = await stored(db, recording)
    assert kept is not None and "seg-00000001.m4s" in kept.entries
    async with db.session() as session:
        sealed = await session.get(Recording, recording.id)
    assert sealed is not None and sealed.status == "stopped" and sealed.manifest_key


async def test_a_store_the_index_refuses_does_not_fail_the_stop(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    recording = await recording_in(db, "11")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        await add_segment(session, segment(recording, "bench", 1, 1))

    async def refused(*_: object) -> None:
        raise OperationalError("INSERT INTO kept_playlists", {}, Exception("disk I/O error"))

    monkeypatch.setattr(court.recordings, "store_recording_playlists", refused)
    await recordings_service(db, tmp_path).stop_recording(recording.id)

    async with db.session() as session:
        sealed = await session.get(Recording, recording.id)
    assert sealed is not None and sealed.status == "stopped" and sealed.manifest_key
    assert await stored(db, recording) is None
    assert f"recording {recording.id}: playlists not stored" in caplog.text
