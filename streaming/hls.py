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


def render_media_playlist(
    segments: Sequence[PlaylistSegment],
    *,
    ended: bool,
    gaps: Sequence[PlaylistGap] = (),
    playlist_type: PlaylistType | None = None,
    media_sequence: int = 0,
    discontinuity_sequence: int = 0,
    low_latency: LowLatency | None = None,
) -> str:
    """The playlist text; EXT-X-ENDLIST once nothing more will be added."""
    complete = [s for s in segments if s.uri is not None]
    target = max((math.ceil(s.duration_s - 0.001) for s in complete), default=2)
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{HLS_VERSION}",
        f"#EXT-X-TARGETDURATION:{max(1, target)}",
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
    current_map: str | None = None
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
            lines.append(f"#EXTINF:{segment.duration_s:.5f},")
            lines.append(segment.uri)
    if low_latency is not None and low_latency.preload_hint is not None and not ended:
        lines.append(f'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="{low_latency.preload_hint}"')
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


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
