"""A track's index rows as playlist entries: the same for archive, live and replay playlists,
which differ only in the segments they list and how their links are signed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from court.playback_cache import LINK_QUERY, KeptTrack
from storage.keys import ObjectName, parse_object_key
from storage.models import InitSegment
from storage.playlists import NO_SEGMENTS
from streaming.hls import PlaylistSegment, render_segments


class Listable(Protocol):
    """What a playlist entry needs of a stored segment (an index row or a ListedSegment)."""

    @property
    def sequence(self) -> int: ...
    @property
    def epoch(self) -> int: ...
    @property
    def extension(self) -> str: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def discontinuity(self) -> bool: ...


def playlist_items(
    inits: Sequence[InitSegment], segments: Sequence[Listable], link: Callable[[str], str]
) -> list[PlaylistSegment]:
    """Playlist entries for the segments whose init segment is stored (in the given order).

    A segment's name comes from its number and extension, as the segment route finds it
    (its key ends with that name); each init link is signed once, not once per segment."""
    init_links = {init.epoch: link(str(parse_object_key(init.object_key).name)) for init in inits}
    return [
        PlaylistSegment(
            uri=link(str(ObjectName("segment", segment.sequence, segment.extension))),
            duration_s=segment.duration_s,
            program_date_time=segment.started_at,
            init_uri=init_links[segment.epoch],
            discontinuity=segment.discontinuity,
        )
        for segment in segments
        if segment.epoch in init_links
    ]


def kept_link(name: str) -> str:
    """An archive link as kept: its query stands in for the one each request signs."""
    return f"segments/{name}?{LINK_QUERY}"


def rendered_track(inits: Sequence[InitSegment], segments: Sequence[Listable]) -> KeptTrack:
    """A track's entries rendered whole, under exactly the rows they were rendered from."""
    version = NO_SEGMENTS.then([segment.sequence for segment in segments])
    entries = render_segments(playlist_items(inits, segments, kept_link))
    return KeptTrack(KeptTrack.basis_of(inits), version, entries)
