"""A stopped recording's playlist served from the cache: the same text as rendered afresh,
each caller's own fresh links, new footage at once, and a sealed hearing still hidden."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from court.errors import NotFound
from court.live.signed_urls import UrlSigner
from court.playback import archive_playlist, segments_path
from court.playback_cache import PlaylistCache
from court.principals import Principal
from storage.catalog import add_init_segment, add_segment
from storage.db import Database
from storage.gaps import add_gap
from storage.models import Hearing, HearingAssignment, Recording, Token
from tests.storage.test_leases import recording_in
from tests.storage.test_playlists import START, init, segment

SECRET = b"s" * 32
JUDGE = Principal(name="judge", role="judge", token_id="tok-judge")
CLERK = Principal(name="clerk", role="clerk", token_id="tok-clerk")


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
            signer or UrlSigner(SECRET),
            cache,
            recording_id=recording.id,
            camera="bench",
        )


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
    afresh = await playlist(db, PlaylistCache(), recording)

    assert again == first == afresh
    assert "\x00" not in again
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
        add_gap(
            session,
            recording_id=recording.id,
            camera="bench",
            reason="crash",
            at=START,
            detail="",
        )
    after = await playlist(db, cache, recording)

    assert "seg-00000003.m4s" not in before
    numbered = [path for path, _ in links(after)][1:]
    assert numbered == [f"segments/seg-{n:08d}.m4s" for n in (1, 2, 3, 4)]
    assert 'X-REASON="crash"' in after
    assert after == await playlist(db, PlaylistCache(), recording)


async def test_a_sealed_hearings_cached_playlist_stays_hidden_from_the_unassigned(
    db: Database,
) -> None:
    recording = await stopped_recording(db, "5")
    async with db.session() as session, session.begin():
        hearing = await session.get(Hearing, recording.hearing_id)
        assert hearing is not None
        hearing.visibility = "sealed"
        session.add(Token(id="tok-judge", name="judge", role="judge", secret_hash="h" * 64))
        await session.flush()
        session.add(HearingAssignment(hearing_id=hearing.id, token_id="tok-judge"))
    cache = PlaylistCache()
    assert links(await playlist(db, cache, recording, JUDGE))  # the assigned judge's: cached
    assert len(cache) == 1

    with pytest.raises(NotFound):
        await playlist(db, cache, recording, CLERK)


async def test_a_recording_still_going_is_not_cached_and_lists_each_new_segment(
    db: Database,
) -> None:
    recording = await recording_in(db, "6")
    cache = PlaylistCache()
    async with db.session() as session, session.begin():
        await add_init_segment(session, init(recording, "bench", 1))
        await add_segment(session, segment(recording, "bench", 1, 1))
    growing = await playlist(db, cache, recording)
    async with db.session() as session, session.begin():
        await add_segment(session, segment(recording, "bench", 1, 2))
        stopped = await session.get(Recording, recording.id)
        assert stopped is not None
        stopped.status = "stopped"
        stopped.stopped_at = START + timedelta(seconds=4)
    ended = await playlist(db, cache, recording)

    assert len(links(growing)) == 2 and "#EXT-X-ENDLIST" not in growing
    assert len(links(ended)) == 3 and ended.endswith("#EXT-X-ENDLIST\n")


def test_the_cache_keeps_the_most_recently_used_bodies_within_its_bound() -> None:
    cache = PlaylistCache(max_bytes=10)
    cache.put("a", 1, "aaaa")
    cache.put("b", 1, "bbbb")
    assert cache.get("a", 1) == "aaaa"  # now the most recent
    cache.put("c", 1, "cccc")  # 12 characters: the least recently used goes
    assert (cache.get("a", 1), cache.get("b", 1), cache.get("c", 1)) == ("aaaa", None, "cccc")
    assert cache.size == 8

    cache.put("a", 2, "AAA")  # a newer version replaces the older body
    assert (cache.get("a", 1), cache.get("a", 2), cache.size) == (None, "AAA", 7)
    cache.put("d", 1, "d" * 11)  # larger than the whole bound: not kept, nothing evicted
    assert (cache.get("d", 1), len(cache), cache.size) == (None, 2, 7)
