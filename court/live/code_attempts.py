"""Wrong access codes, counted in sliding windows per client address and per hearing.

A code is 12 digits; what makes guessing hopeless is that each address may fail only a few
times per hearing in a window, and all addresses together only a bounded number of times per
hearing (a botnet gains little). A limited client is answered 429 before its code is even
looked at, so the right code does not get through either: the limit is not an oracle.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

MAX_KEYS = 100_000  # memory bound: a flood of addresses forgets the stalest ones first


class SlidingWindow:
    """At most `limit` failures per key within the last `window_s` seconds."""

    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a sliding window needs limit >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        # Only the last `limit` failures decide, so each key keeps no more than that.
        self._failures: dict[Hashable, deque[float]] = {}

    def retry_after(self, key: Hashable) -> float:
        """Seconds until `key` may try again; 0 when it may try now."""
        failures = self._failures.get(key)
        if failures is None or len(failures) < self.limit:
            return 0.0
        return max(0.0, failures[0] + self.window_s - self._clock())

    def record(self, key: Hashable) -> None:
        failures = self._failures.pop(key, None) or deque(maxlen=self.limit)
        failures.append(self._clock())
        self._failures[key] = failures  # re-inserted: the dict's order is last failure first
        if len(self._failures) > self._max_keys:
            self._forget()

    def _forget(self) -> None:
        """Drop keys whose failures have all left the window, then the least recent ones."""
        horizon = self._clock() - self.window_s
        for key in [k for k, f in self._failures.items() if f[-1] <= horizon]:
            del self._failures[key]
        while len(self._failures) > self._max_keys:
            del self._failures[next(iter(self._failures))]


def client_key(address: str) -> str:
    """The unit an address is counted in: itself for IPv4, its /64 for IPv6 (one household
    or one VPS holds a whole /64, so counting single IPv6 addresses would count nothing)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


@dataclass
class CodeAttempts:
    """Both bounds at once: per address per hearing, and per hearing from everywhere."""

    per_address: SlidingWindow
    per_hearing: SlidingWindow

    def retry_after(self, address: str, hearing_id: str) -> int:
        """Whole seconds to wait (what `Retry-After` says); 0 when the client may try."""
        wait = max(
            self.per_address.retry_after((client_key(address), hearing_id)),
            self.per_hearing.retry_after(hearing_id),
        )
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, address: str, hearing_id: str) -> None:
        self.per_address.record((client_key(address), hearing_id))
        self.per_hearing.record(hearing_id)
