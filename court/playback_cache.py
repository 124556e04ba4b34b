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
index on every request, which keeps them right. A stopped track's entries are stored in that
index too (storage/playlist_models.py), for the processes that start later.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from storage.models import InitSegment
from storage.playlists import SegmentsVersion
from streaming.hls import RenderedSegments

# Stands for a link's query in kept text. RFC 8216 section 4.1 forbids control characters
# in a playlist, so nothing else in a valid body can be mistaken for it. SUB, not NUL: a
# stopped track's entries are stored in the index, and PostgreSQL's text cannot hold NUL.
LINK_QUERY = "\x1a"

DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # about 100 four-hour tracks


@dataclass(frozen=True, slots=True)
class KeptTrack:
    """A track's segments as playlist entries, and what they were rendered from."""

    inits: tuple[tuple[int, str], ...]  # (epoch, object key) of every init segment
    version: SegmentsVersion  # of exactly the segment rows rendered
    entries: RenderedSegments

    @property
    def size(self) -> int:
        return len(self.entries.text)

    @staticmethod
    def basis_of(inits: Sequence[InitSegment]) -> tuple[tuple[int, str], ...]:
        """What of the init segments the entries' links and discontinuities depend on."""
        return tuple((init.epoch, init.object_key) for init in inits)


class Sized(Protocol):
    @property
    def size(self) -> int:
        """Characters held: playlists are ASCII, so about their bytes."""
        ...


K = TypeVar("K", bound=Sized)


class SizedCache(Generic[K]):
    """One kept value per key; the least recently used is evicted first once the values
    exceed `max_bytes`."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._kept: OrderedDict[Hashable, K] = OrderedDict()

    def get(self, key: Hashable) -> K | None:
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
        return kept

    def put(self, key: Hashable, kept: K) -> None:
        """Keep `kept` in place of what the key had, unless it alone exceeds the bound."""
        self._discard(key)
        if kept.size > self.max_bytes:
            return
        self._kept[key] = kept
        self.size += kept.size
        while self.size > self.max_bytes:
            self._discard(next(iter(self._kept)))

    def __len__(self) -> int:
        return len(self._kept)

    def _discard(self, key: Hashable) -> None:
        kept = self._kept.pop(key, None)
        if kept is not None:
            self.size -= kept.size


class PlaylistCache(SizedCache[KeptTrack]):
    """Archive playlists' entries, one per (recording, camera)."""
