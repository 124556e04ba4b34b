"""LL-HLS tags (RFC 8216bis): parts, part target, server control and the preload hint."""

from __future__ import annotations

from datetime import UTC, datetime

from streaming.hls import LowLatency, PlaylistPart, PlaylistSegment, render_media_playlist

START = datetime(2026, 1, 2, 10, 0, 0, tzinfo=UTC)


def _parts(msn: int, count: int) -> tuple[PlaylistPart, ...]:
    return tuple(PlaylistPart(f"{msn}.{i}.m4s", 0.4, i == 0) for i in range(count))


def test_growing_segment_is_listed_by_its_parts_with_a_hint_for_the_next() -> None:
    segments = [
        PlaylistSegment("4.m4s", 2.0, START, "init-1.mp4", parts=_parts(4, 5)),
        PlaylistSegment(None, 0.0, START.replace(second=2), "init-1.mp4", parts=_parts(5, 2)),
    ]
    text = render_media_playlist(
        segments,
        ended=False,
        media_sequence=4,
        low_latency=LowLatency(part_target_s=0.4, preload_hint="5.2.m4s"),
    )
    assert text.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.200",
        "#EXT-X-PART-INF:PART-TARGET=0.400",
        "#EXT-X-MEDIA-SEQUENCE:4",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="init-1.mp4"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-02T10:00:00.000Z",
        '#EXT-X-PART:DURATION=0.40000,URI="4.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.40000,URI="4.1.m4s"',
        '#EXT-X-PART:DURATION=0.40000,URI="4.2.m4s"',
        '#EXT-X-PART:DURATION=0.40000,URI="4.3.m4s"',
        '#EXT-X-PART:DURATION=0.40000,URI="4.4.m4s"',
        "#EXTINF:2.00000,",
        "4.m4s",
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-02T10:00:02.000Z",
        '#EXT-X-PART:DURATION=0.40000,URI="5.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.40000,URI="5.1.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="5.2.m4s"',
    ]


def test_an_ended_playlist_has_no_preload_hint() -> None:
    segments = [PlaylistSegment("0.m4s", 1.6, START, "init-1.mp4", parts=_parts(0, 4))]
    text = render_media_playlist(
        segments, ended=True, low_latency=LowLatency(part_target_s=0.4, preload_hint="1.0.m4s")
    )
    assert "PRELOAD-HINT" not in text
    assert text.endswith("0.m4s\n#EXT-X-ENDLIST\n")


def test_without_low_latency_no_ll_tags_appear() -> None:
    segments = [PlaylistSegment("0.m4s", 2.0, START, "init-1.mp4")]
    text = render_media_playlist(segments, ended=False)
    for tag in ("SERVER-CONTROL", "PART-INF", "EXT-X-PART:", "PRELOAD-HINT"):
        assert tag not in text
