"""Archive playlists served from kept entries: the same text as rendered afresh, each caller's
own fresh links, new footage at once (appended while a recording grows, rendered afresh when
older rows change), and a sealed hearing still hidden."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import delete

from court.errors import NotFound
from court.live.signed_urls import UrlSigner
from court.playback import archive_playlist, segments_path
from court.playback_cache import LINK_QUERY, KeptTrack, PlaylistCache
from court.principals import Principal
from storage.catalog import add_init_segment, add_segment
from storage.db import Database
from storage.gaps import add_gap
from storage.models import Hearing, HearingAssignment, Recording, Token
from storage.playlist_models import KeptPlaylist
from storage.playlists import SegmentsVersion, listed_segments, segments_version
from streaming.hls import RenderedSegments
from tests.storage.test_leases import recording_in
from tests.storage.test_playlists import START, init, segment

SECRET = b"s" * 32
JUDGE = Principal(name="judge", role="judge", token_id="tok-judge")
CLERK = Principal(name="clerk", role="clerk", token_id="tok-clerk")


class SteadySigner(UrlSigner):
    """Signs as at one moment, so playlists fetched a second apart can be compared whole."""

    MOMENT = time.time()

    def query(
        self, path: str, *, subject: str, now: float | None = None, lifetime_s: int | None = None
    ) -> str:
        moment = self.MOMENT if now is None else now
        return super().query(path, subject=subject, now=moment, lifetime_s=lifetime_s)


async def stopped_recording(db: Database, room: str, segments: int = 6) -> Recording:
    recording = await recording_in(db, room, status="stopped")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        for sequence in range(1, segments + 1):
            await add_segment(session, segment(recording, "bench", 1, sequence))
    return recording


async def playlist(
    db: Database,
    cache: PlaylistCache,
    recording: Recording,
    principal: Principal = JUDGE,
    signer: UrlSigner | None = None,
) -> str:
    async with db.session() as session:
        return await archive_playlist(
            session,
            principal,
            signer or SteadySigner(SECRET),
            cache,
            recording_id=recording.id,
            camera="bench",
        )


async def afresh(db: Database, recording: Recording) -> str:
    """The playlist as a process that has kept nothing renders it: nothing in its memory,
    nothing stored in the index."""
    async with db.session() as session, session.begin():
        await session.execute(delete(KeptPlaylist))
    return await playlist(db, PlaylistCache(), recording)


def links(text: str) -> list[tuple[str, dict[str, str]]]:
    """Each segment link's path and query, in playlist order."""
    found = []
    for line in text.splitlines():
        uri = line.removeprefix('#EXT-X-MAP:URI="').removesuffix('"')
        if uri.startswith("segments/"):
            parts = urlsplit(uri)
            found.append((parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}))
    return found


async def test_a_cached_playlist_is_the_text_rendered_afresh(db: Database) -> None:
    recording = await stopped_recording(db, "1")
    cache = PlaylistCache()
    first = await playlist(db, cache, recording)
    assert len(cache) == 1
    again = await playlist(db, cache, recording)
    rendered = await afresh(db, recording)

    assert again == first == rendered
    assert LINK_QUERY not in again
    assert [path for path, _ in links(again)] == [
        "segments/init-0001.mp4",
        *(f"segments/seg-{n:08d}.m4s" for n in range(1, 7)),
    ]
    assert again.endswith("#EXT-X-ENDLIST\n")


async def test_each_caller_gets_links_signed_for_itself_only(db: Database) -> None:
    recording = await stopped_recording(db, "2")
    cache = PlaylistCache()
    signer = UrlSigner(SECRET)
    await playlist(db, cache, recording, JUDGE)
    clerks = await playlist(db, cache, recording, CLERK)

    assert "tok-judge" not in clerks
    path = segments_path(recording.id, "bench")
    for _, query in links(clerks):
        assert signer.subject(path, query["exp"], query["sub"], query["sig"]) == "tok-clerk"


async def test_links_are_signed_afresh_so_a_cached_body_never_hands_out_expired_ones(
    db: Database,
) -> None:
    recording = await stopped_recording(db, "3")
    cache = PlaylistCache()
    short = await playlist(db, cache, recording, signer=UrlSigner(SECRET, lifetime_s=10))
    later = await playlist(db, cache, recording, signer=UrlSigner(SECRET, lifetime_s=3600))

    path, in_a_minute = segments_path(recording.id, "bench"), time.time() + 60
    expired = [signed(path, query, in_a_minute) for _, query in links(short)]
    valid = [signed(path, query, in_a_minute) for _, query in links(later)]
    assert expired == [None] * 7
    assert valid == ["tok-judge"] * 7


def signed(path: str, query: dict[str, str], now: float) -> str | None:
    return UrlSigner(SECRET).subject(path, query["exp"], query["sub"], query["sig"], now=now)


async def test_a_segment_indexed_later_by_spool_recovery_appears_at_once(db: Database) -> None:
    recording = await recording_in(db, "4", status="stopped")
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        for sequence in (1, 2, 4):  # the third still in a crashed node's spool
            await add_segment(session, segment(recording, "bench", 1, sequence))
    cache = PlaylistCache()
    before = await playlist(db, cache, recording)
    async with db.session() as session, session.begin():
        await add_segment(session, segment(recording, "bench", 1, 3))
        await add_segment(session, segment(recording, "bench", 1, 5))  # after the kept ones
        await add_gap(
            session,
            recording_id=recording.id,
            camera="bench",
            reason="crash",
            at=START,
            detail="",
            after_epoch=1,
        )
    after = await playlist(db, cache, recording)

    assert "seg-00000003.m4s" not in before
    numbered = [path for path, _ in links(after)][1:]
    assert numbered == [f"segments/seg-{n:08d}.m4s" for n in (1, 2, 3, 4, 5)]
    assert 'X-REASON="crash"' in after
    assert after == await afresh(db, recording)


async def seal_for_the_judge(db: Database, recording: Recording) -> None:
    """Seal the recording's hearing, assigned to JUDGE alone."""
    async with db.session() as session, session.begin():
        hearing = await session.get(Hearing, recording.hearing_id)
        assert hearing is not None
        hearing.visibility = "sealed"
        session.add(Token(id="tok-judge", name="judge", role="judge", secret_hash="h" * 64))
        await session.flush()
        session.add(HearingAssignment(hearing_id=hearing.id, token_id="tok-judge"))


async def test_a_sealed_hearings_cached_playlist_stays_hidden_from_the_unassigned(
    db: Database,
) -> None:
    recording = await stopped_recording(db, "5")
    await seal_for_the_judge(db, recording)
    cache = PlaylistCache()
    assert links(await playlist(db, cache, recording, JUDGE))  # the assigned judge's: cached
    assert len(cache) == 1

    with pytest.raises(NotFound):
        await playlist(db, cache, recording, CLERK)


async def test_a_growing_recordings_kept_entries_are_extended_by_each_new_segment(
    db: Database,
) -> None:
    recording = await recording_in(db, "6")
    cache = PlaylistCache()
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        await add_segment(session, segment(recording, "bench", 1, 1))
    growing = await playlist(db, cache, recording)
    texts = []
    for sequence in (2, 3, 4):  # the third a discontinuity, as a camera's reconnect makes
        async with db.session() as session, session.begin():
            await add_segment(session, segment(recording, "bench", 1, sequence))
        texts.append(await playlist(db, cache, recording))
        assert texts[-1] == await afresh(db, recording)
    kept = cache.get((recording.id, "bench"))
    async with db.session() as session, session.begin():
        stopped = await session.get(Recording, recording.id)
        assert stopped is not None
        stopped.status = "stopped"
        stopped.stopped_at = START + timedelta(seconds=10)
    ended = await playlist(db, cache, recording)

    assert len(links(growing)) == 2 and "#EXT-X-ENDLIST" not in growing
    assert [len(links(text)) for text in texts] == [3, 4, 5]
    assert texts[1].count("#EXT-X-DISCONTINUITY") == 1
    assert kept is not None and kept.version == (4, 4, 10)
    assert cache.get((recording.id, "bench")) is kept  # stopping lists no other segment
    assert ended == texts[-1] + "#EXT-X-ENDLIST\n"


async def test_cameras_without_footage_are_not_kept_whatever_names_are_asked_for(
    db: Database,
) -> None:
    recording = await recording_in(db, "10")
    cache = PlaylistCache()
    for camera in ("bench", "dock", "x" * 200):
        async with db.session() as session:
            text = await archive_playlist(
                session, JUDGE, UrlSigner(SECRET), cache, recording_id=recording.id, camera=camera
            )
        assert "#EXTINF" not in text and "#EXT-X-ENDLIST" not in text

    assert len(cache) == 0


async def test_a_new_epochs_init_segment_renders_the_track_afresh(db: Database) -> None:
    recording = await recording_in(db, "8")
    cache = PlaylistCache()
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        await add_segment(session, segment(recording, "bench", 1, 1))
        await add_segment(session, segment(recording, "bench", 2, 2))  # its init not yet in
    before = await playlist(db, cache, recording)
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 2))
        await add_segment(session, segment(recording, "bench", 2, 3))
    after = await playlist(db, cache, recording)

    assert [path for path, _ in links(before)] == [
        "segments/init-0001.mp4",
        "segments/seg-00000001.m4s",
    ]
    assert [path for path, _ in links(after)] == [
        "segments/init-0001.mp4",
        "segments/seg-00000001.m4s",
        "segments/init-0002.mp4",
        "segments/seg-00000002.m4s",
        "segments/seg-00000003.m4s",
    ]
    assert after == await afresh(db, recording)


async def test_the_new_rows_read_are_bounded_by_the_fingerprint_read_before_them(
    db: Database,
) -> None:
    """A row indexed between the fingerprint and the listing (PostgreSQL reads each statement
    afresh) is left for the next request, which lists it once."""
    recording = await recording_in(db, "9")
    cache = PlaylistCache()
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        await add_segment(session, segment(recording, "bench", 1, 1))
    await playlist(db, cache, recording)
    async with db.session() as session, session.begin():
        await add_segment(session, segment(recording, "bench", 1, 2))
    async with db.session() as session:
        now = await segments_version(session, recording_id=recording.id, camera="bench")
    async with db.session() as session, session.begin():
        await add_segment(session, segment(recording, "bench", 1, 3))
    kept = cache.get((recording.id, "bench"))
    assert kept is not None
    async with db.session() as session:
        new = await listed_segments(
            session, recording_id=recording.id, camera="bench", after=1, through=now.last_sequence
        )
    assert [s.sequence for s in new] == [2]
    assert kept.version.then([2]) == now

    assert len(links(await playlist(db, cache, recording))) == 4
    assert await playlist(db, cache, recording) == await afresh(db, recording)


def kept(size: int, last: int = 1) -> KeptTrack:
    return KeptTrack((), SegmentsVersion(1, last, last), RenderedSegments("x" * size))


def test_the_cache_keeps_the_most_recently_used_tracks_within_its_bound() -> None:
    cache = PlaylistCache(max_bytes=10)
    a, b, c = kept(4), kept(4), kept(4)
    cache.put("a", a)
    cache.put("b", b)
    assert cache.get("a") is a  # now the most recent
    cache.put("c", c)  # 12 characters: the least recently used goes
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (a, None, c)
    assert cache.size == 8

    newer = kept(3, last=2)
    cache.put("a", newer)  # a track brought up to date replaces what it had
    assert (cache.get("a"), cache.size) == (newer, 7)
    cache.put("d", kept(11))  # larger than the whole bound: not kept, nothing evicted
    assert (cache.get("d"), len(cache), cache.size) == (None, 2, 7)
