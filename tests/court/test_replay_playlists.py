"""A replay's playlist and cuts are rendered once and kept while what they show is unchanged:
new off-record markers and footage indexed later show at once, and what is kept is what a
fresh render gives."""

from __future__ import annotations

from datetime import timedelta

from court.playback_cache import LINK_QUERY
from court.replay_playlists import ReplayCache, rendered_replay
from storage.catalog import add_init_segment, add_segment
from storage.db import Database
from storage.models import Hearing, Marker, Recording
from tests.storage.test_leases import recording_in
from tests.storage.test_playlists import START, init, segment


async def stopped_with_segments(db: Database, sequences: list[int]) -> Recording:
    recording = await recording_in(db, "13", status="stopped")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        for sequence in sequences:
            await add_segment(session, segment(recording, "bench", 1, sequence))
    return recording


async def replay(db: Database, recording: Recording, cache: ReplayCache) -> tuple[str, int]:
    """(the playlist as a public watcher gets it, how many cuts)."""
    async with db.session() as session:
        hearing = await session.get(Hearing, recording.hearing_id)
        assert hearing is not None
        rendered = await rendered_replay(session, hearing, "bench", cache)
    return rendered.playlist.replace(LINK_QUERY, ""), len(rendered.cuts)


async def test_a_kept_replay_is_what_a_fresh_render_gives_until_its_footage_changes(
    db: Database,
) -> None:
    recording = await stopped_with_segments(db, [1, 2, 4, 5])
    cache = ReplayCache()
    first = await replay(db, recording, cache)
    kept = cache.get((recording.hearing_id, "bench"))
    again = await replay(db, recording, cache)
    assert cache.get((recording.hearing_id, "bench")) is kept  # nothing rendered again
    assert again == first == await replay(db, recording, ReplayCache())
    assert first[0].count("#EXTINF") == 4 and first[1] == 0

    async with db.session() as session, session.begin():  # recovered from a crashed spool
        await add_segment(session, segment(recording, "bench", 1, 3))
    recovered = await replay(db, recording, cache)
    assert recovered[0].count("#EXTINF") == 5
    assert "seg-00000003.m4s" in recovered[0]

    async with db.session() as session, session.begin():  # off the record: 2 s in, for 3 s
        for kind, seconds in (("off_record_start", 4.5), ("off_record_end", 7.5)):
            at = START + timedelta(seconds=seconds)
            session.add(Marker(recording_id=recording.id, at=at, kind=kind, text="调解"))
    cut = await replay(db, recording, cache)
    assert cut == await replay(db, recording, ReplayCache())
    assert cut[1] == 1
    assert [n for n in range(1, 6) if f"seg-{n:08d}.m4s" in cut[0]] == [1, 4, 5]
