"""Archive playlists' segment entries, kept and extended as their tracks grow.

A 4-hour track's playlist is 7,200 entries: reading and rendering them took most of a seek,
and a recording still going was rendered whole on every reload a player made of it (every
target duration). What is kept per track is its entries as text, with the rows and init
segments they were rendered from; a request renders only the segments indexed since, and
everything afresh when anything else changed (court/playback.py). Its links' query (who they
are signed for, until when) is left as a placeholder and put in on every request, so kept
text never carries another caller's signature nor an expired link. Whether the caller may
see the recording is judged before the cache is asked.

Several nodes each keep their own cache; what they compare it with is read from the shared
index on every request, which keeps them right.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from storage.playlists import SegmentsVersion
from streaming.hls import RenderedSegments

# Stands for a link's query in kept text. RFC 8216 section 4.1 forbids control characters
# in a playlist, so nothing else in a valid body can be mistaken for it.
LINK_QUERY = "\x00"

DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # about 100 four-hour tracks


@dataclass(frozen=True, slots=True)
class KeptTrack:
    """A track's segments as playlist entries, and what they were rendered from."""

    inits: tuple[tuple[int, str], ...]  # (epoch, object key) of every init segment
    version: SegmentsVersion  # of exactly the segment rows rendered
    entries: RenderedSegments


class PlaylistCache:
    """One kept track per (recording, camera); the least recently used is evicted first once
    the entries exceed `max_bytes`."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0  # characters held: the entries are ASCII, so about their bytes
        self._kept: OrderedDict[Hashable, KeptTrack] = OrderedDict()

    def get(self, track: Hashable) -> KeptTrack | None:
        kept = self._kept.get(track)
        if kept is not None:
            self._kept.move_to_end(track)
        return kept

    def put(self, track: Hashable, kept: KeptTrack) -> None:
        """Keep `kept` in place of what the track had, unless it alone exceeds the bound."""
        self._discard(track)
        if len(kept.entries.text) > self.max_bytes:
            return
        self._kept[track] = kept
        self.size += len(kept.entries.text)
        while self.size > self.max_bytes:
            self._discard(next(iter(self._kept)))

    def __len__(self) -> int:
        return len(self._kept)

    def _discard(self, track: Hashable) -> None:
        kept = self._kept.pop(track, None)
        if kept is not None:
            self.size -= len(kept.entries.text)
