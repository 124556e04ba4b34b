"""HLS media playlists (RFC 8216) built from segment records.

Only segments already stored appear, in order, so a player never asks for a
segment that is not there yet. A new init segment (a new EXT-X-MAP) is always
preceded by a discontinuity: the picture size or the publisher changed.

Low-latency HLS (RFC 8216bis, section 4.4.4.9 and 6.2.5): a segment may list
its partial segments (EXT-X-PART) and the growing last segment is listed by its
parts alone; EXT-X-PART-INF, EXT-X-SERVER-CONTROL and EXT-X-PRELOAD-HINT come
with them. None of these tags needs a version above the 7 already declared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

HLS_VERSION = 7  # EXT-X-MAP in a media playlist with fMP4 segments needs 6 or later

PlaylistType = Literal["EVENT", "VOD"]


@dataclass(frozen=True, slots=True)
class PlaylistPart:
    """A partial segment: one fMP4 fragment of a segment."""

    uri: str
    duration_s: float
    independent: bool  # starts with a keyframe


@dataclass(frozen=True, slots=True)
class PlaylistSegment:
    """`uri` None: the segment still growing, listed by its parts only (it must come last)."""

    uri: str | None
    duration_s: float
    program_date_time: datetime
    init_uri: str
    discontinuity: bool = False
    parts: tuple[PlaylistPart, ...] = ()


@dataclass(frozen=True, slots=True)
class LowLatency:
    """What a low-latency playlist declares: the part target and the next part's URI."""

    part_target_s: float
    preload_hint: str | None

    @property
    def part_hold_back_s(self) -> float:
        """Three part targets: the least RFC 8216bis allows a player to stay behind."""
        return 3 * self.part_target_s


@dataclass(frozen=True, slots=True)
class PlaylistGap:
    """Time not recorded, shown to players as an EXT-X-DATERANGE with its reason."""

    id: str
    start: datetime
    end: datetime | None
    reason: str


@dataclass(frozen=True, slots=True)
class RenderedSegments:
    """Segments rendered as playlist lines, to which later segments can be appended: a growing
    recording's playlist renders each new segment once, not every segment on every poll."""

    text: str = ""  # whole lines, each ending in a newline
    target_s: int | None = None  # the longest complete segment, rounded up; None: none yet
    current_map: str | None = None  # the init segment the last of them plays with


def render_segments(
    segments: Sequence[PlaylistSegment], after: RenderedSegments | None = None
) -> RenderedSegments:
    """`after` followed by `segments`; a new init segment comes after a discontinuity."""
    after = after or RenderedSegments()
    lines: list[str] = []
    current_map, target = after.current_map, after.target_s
    for segment in segments:
        if segment.init_uri != current_map:
            if current_map is not None or segment.discontinuity:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f'#EXT-X-MAP:URI="{segment.init_uri}"')
            current_map = segment.init_uri
        elif segment.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(
            f"#EXT-X-PROGRAM-DATE-TIME:{format_program_date_time(segment.program_date_time)}"
        )
        lines.extend(_part(part) for part in segment.parts)
        if segment.uri is not None:
            longest = math.ceil(segment.duration_s - 0.001)
            target = longest if target is None else max(target, longest)
            lines.append(f"#EXTINF:{segment.duration_s:.5f},")
            lines.append(segment.uri)
    text = "".join(line + "\n" for line in lines)
    return RenderedSegments(after.text + text, target, current_map)


def render_media_playlist(
    segments: Sequence[PlaylistSegment] | RenderedSegments,
    *,
    ended: bool,
    gaps: Sequence[PlaylistGap] = (),
    playlist_type: PlaylistType | None = None,
    media_sequence: int = 0,
    discontinuity_sequence: int = 0,
    low_latency: LowLatency | None = None,
) -> str:
    """The playlist text (of segments, or of segments rendered already); EXT-X-ENDLIST once
    nothing more will be added."""
    rendered = segments if isinstance(segments, RenderedSegments) else render_segments(segments)
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{HLS_VERSION}",
        f"#EXT-X-TARGETDURATION:{max(1, 2 if rendered.target_s is None else rendered.target_s)}",
    ]
    if low_latency is not None:
        lines += [
            "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,"
            f"PART-HOLD-BACK={low_latency.part_hold_back_s:.3f}",
            f"#EXT-X-PART-INF:PART-TARGET={low_latency.part_target_s:.3f}",
        ]
    lines.append(f"#EXT-X-MEDIA-SEQUENCE:{media_sequence}")
    if discontinuity_sequence:
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{discontinuity_sequence}")
    if playlist_type is not None:
        lines.append(f"#EXT-X-PLAYLIST-TYPE:{playlist_type}")
    lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    lines.extend(_daterange(gap) for gap in gaps)
    closing = []
    if low_latency is not None and low_latency.preload_hint is not None and not ended:
        closing.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{low_latency.preload_hint}"')
    if ended:
        closing.append("#EXT-X-ENDLIST")
    return (
        "".join(line + "\n" for line in lines)
        + rendered.text
        + "".join(line + "\n" for line in closing)
    )


def _part(part: PlaylistPart) -> str:
    independent = ",INDEPENDENT=YES" if part.independent else ""
    return f'#EXT-X-PART:DURATION={part.duration_s:.5f},URI="{part.uri}"{independent}'


def _daterange(gap: PlaylistGap) -> str:
    attributes = [
        f'ID="gap-{gap.id}"',
        'CLASS="org.courtcast.gap"',
        f'START-DATE="{format_program_date_time(gap.start)}"',
    ]
    if gap.end is not None:
        attributes.append(f"DURATION={(gap.end - gap.start).total_seconds():.3f}")
    attributes.append(f'X-REASON="{gap.reason}"')
    return "#EXT-X-DATERANGE:" + ",".join(attributes)


def format_program_date_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as players expect."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
