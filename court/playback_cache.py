"""Rendered archive playlists, kept while what they list is unchanged.

A stopped 4-hour recording's playlist is 7,200 entries: reading, building and rendering them
took most of a seek. What a cached body holds is the same for everyone allowed to see the
recording: its links' query (who they are signed for, until when) is left as a placeholder
and put in on every request, so a body never carries another caller's signature nor an
expired link. Whether the caller may see the recording is judged before the cache is asked.

A body is found by a key read fresh on every request (court/playback.py): the recording's
status, its inits and gaps, and a fingerprint of the track's segment rows, so a segment
indexed later (spool recovery after a crash) or removed shows at once. Several nodes each
keep their own cache; the key, read from the shared index, keeps them right.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

# Stands for a link's query in a cached body. RFC 8216 section 4.1 forbids control characters
# in a playlist, so nothing else in a valid body can be mistaken for it.
LINK_QUERY = "\x00"

DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # about 60 four-hour tracks


class PlaylistCache:
    """One body per track, valid for one version of it; the least recently used is evicted
    first once the bodies exceed `max_bytes`."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0  # characters held: a body's links are ASCII, so about its bytes
        self._bodies: OrderedDict[Hashable, tuple[Hashable, str]] = OrderedDict()

    def get(self, track: Hashable, version: Hashable) -> str | None:
        """The body kept for `track` if it was rendered from this `version` of it."""
        kept = self._bodies.get(track)
        if kept is None or kept[0] != version:
            return None
        self._bodies.move_to_end(track)
        return kept[1]

    def put(self, track: Hashable, version: Hashable, body: str) -> None:
        """Keep `body` in place of any older one, unless it alone exceeds the bound."""
        self._discard(track)
        if len(body) > self.max_bytes:
            return
        self._bodies[track] = (version, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            self._discard(next(iter(self._bodies)))

    def __len__(self) -> int:
        return len(self._bodies)

    def _discard(self, track: Hashable) -> None:
        kept = self._bodies.pop(track, None)
        if kept is not None:
            self.size -= len(kept[1])
