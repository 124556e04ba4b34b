"""Playlists as a player reads them: version, maps, discontinuities, dates, end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streaming.hls import PlaylistGap, PlaylistSegment, render_media_playlist

START = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)


def segment(n: int, init: str, *, discontinuity: bool = False) -> PlaylistSegment:
    return PlaylistSegment(
        uri=f"seg-{n}.m4s",
        duration_s=2.002,
        program_date_time=START + timedelta(seconds=2 * n),
        init_uri=init,
        discontinuity=discontinuity,
    )


def test_two_epochs_give_two_maps_and_one_discontinuity() -> None:
    text = render_media_playlist(
        [
            segment(0, "init-1.mp4"),
            segment(1, "init-1.mp4"),
            segment(2, "init-2.mp4", discontinuity=True),
        ],
        ended=True,
        playlist_type="EVENT",
    )
    lines = text.splitlines()
    assert lines[:2] == ["#EXTM3U", "#EXT-X-VERSION:7"]
    assert "#EXT-X-TARGETDURATION:3" in lines
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in lines
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    assert [line for line in lines if line.startswith("#EXT-X-MAP")] == [
        '#EXT-X-MAP:URI="init-1.mp4"',
        '#EXT-X-MAP:URI="init-2.mp4"',
    ]
    assert lines.index("#EXT-X-DISCONTINUITY") < lines.index('#EXT-X-MAP:URI="init-2.mp4"')
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-11-25T01:30:04.000Z" in lines
    assert lines[-1] == "#EXT-X-ENDLIST"
    durations = [float(line[8:-1]) for line in lines if line.startswith("#EXTINF:")]
    assert sum(durations) == 3 * 2.002


def test_open_recording_has_no_endlist() -> None:
    text = render_media_playlist([segment(0, "init-1.mp4")], ended=False, playlist_type="EVENT")
    assert "#EXT-X-ENDLIST" not in text


def test_gaps_are_dateranges_with_their_reason_and_duration() -> None:
    gap = PlaylistGap("abc", START, START + timedelta(seconds=12.5), "crash")
    still_open = PlaylistGap("def", START + timedelta(seconds=30), None, "publisher_left")
    lines = render_media_playlist(
        [segment(0, "init-1.mp4")], ended=False, gaps=[gap, still_open]
    ).splitlines()
    assert (
        '#EXT-X-DATERANGE:ID="gap-abc",CLASS="org.courtcast.gap",'
        'START-DATE="2026-11-25T01:30:00.000Z",DURATION=12.500,X-REASON="crash"'
    ) in lines
    assert (
        '#EXT-X-DATERANGE:ID="gap-def",CLASS="org.courtcast.gap",'
        'START-DATE="2026-11-25T01:30:30.000Z",X-REASON="publisher_left"'
    ) in lines
