"""Admission of WebRTC peers: how many one client address and one scope may hold or try.

Every WHIP or WHEP peer costs the server sockets, DTLS and a share of the one
event loop that carries every camera, so a client may hold only so many at once
(per address, per courtroom or hearing) and start only so many per minute. A
refusal is `TooManyPeers` with the seconds after which trying again makes
sense; `too_many_requests` turns it into the route's 429 with `Retry-After`.

    slot = caps.acquire(address, hearing_id)   # raises TooManyPeers
    ...                                         # the peer lives
    slot.release()                              # idempotent: call it on every exit path
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from api.settings import Settings

BUSY_RETRY_AFTER_S = 5  # a held slot frees when its peer leaves: no exact time to give


class TooManyPeers(Exception):
    """A cap is reached; `retry_after_s` is when a new attempt may succeed."""

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after_s = max(1, retry_after_s)


def too_many_requests(refusal: TooManyPeers) -> HTTPException:
    """The 429 a route raises for `refusal`."""
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        refusal.detail,
        headers={"Retry-After": str(refusal.retry_after_s)},
    )


class Slot:
    """One admitted peer; `release` gives its place back, once, however often it is called."""

    def __init__(self, caps: ConcurrencyCaps, address: str, scope: str) -> None:
        self._caps = caps
        self.address = address
        self.scope = scope
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._caps._give_back(self.address, self.scope)


class ConcurrencyCaps:
    """At most `per_address` slots held by one client address and `per_scope` in one scope."""

    def __init__(self, *, per_address: int, per_scope: int, what: str = "peers") -> None:
        self.per_address = per_address
        self.per_scope = per_scope
        self.what = what
        self._by_address: Counter[str] = Counter()
        self._by_scope: Counter[str] = Counter()

    def acquire(self, address: str, scope: str) -> Slot:
        if self._by_address[address] >= self.per_address:
            raise TooManyPeers(
                f"too many {self.what} from this address (at most {self.per_address} at once)",
                BUSY_RETRY_AFTER_S,
            )
        if self._by_scope[scope] >= self.per_scope:
            raise TooManyPeers(
                f"too many {self.what} here (at most {self.per_scope} at once)",
                BUSY_RETRY_AFTER_S,
            )
        self._by_address[address] += 1
        self._by_scope[scope] += 1
        return Slot(self, address, scope)

    def held(self, *, address: str | None = None, scope: str | None = None) -> int:
        """Slots held now by `address`, or in `scope`."""
        if address is not None:
            return self._by_address[address]
        return self._by_scope[scope] if scope is not None else self._by_address.total()

    def _give_back(self, address: str, scope: str) -> None:
        for counter, key in ((self._by_address, address), (self._by_scope, scope)):
            counter[key] -= 1
            if counter[key] <= 0:
                del counter[key]  # no entry left behind per address ever seen


class AttemptRate:
    """At most `limit` attempts per key in any `window_s` seconds (a sliding window).

    One log of every attempt in the window, oldest first, lets each call forget
    expired attempts in amortised constant time, however many keys there are.
    """

    def __init__(
        self,
        *,
        limit: int,
        window_s: float = 60.0,
        what: str = "attempts",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.what = what
        self._clock = clock
        self._log: deque[tuple[float, str]] = deque()
        self._by_key: dict[str, deque[float]] = {}

    def attempt(self, key: str) -> None:
        """Count one attempt by `key`, or raise TooManyPeers if its window is full."""
        now = self._clock()
        while self._log and self._log[0][0] <= now - self.window_s:
            _, old = self._log.popleft()
            times = self._by_key[old]
            times.popleft()
            if not times:
                del self._by_key[old]
        times = self._by_key.setdefault(key, deque())
        if len(times) >= self.limit:
            raise TooManyPeers(
                f"too many {self.what} from this address "
                f"(at most {self.limit} per {self.window_s:g} s)",
                math.ceil(times[0] + self.window_s - now),
            )
        times.append(now)
        self._log.append((now, key))


class PeerAdmission:
    """The caps of one Courtcast process, sized by the settings."""

    def __init__(self, settings: Settings) -> None:
        self.whip_negotiations = ConcurrencyCaps(
            per_address=settings.max_whip_negotiations_per_address,
            per_scope=settings.max_whip_negotiations_per_courtroom,
            what="WHIP negotiations",
        )
        self.whip_attempts = AttemptRate(
            limit=settings.max_whip_attempts_per_minute, what="WHIP attempts"
        )
        self.whep_peers = ConcurrencyCaps(
            per_address=settings.max_whep_per_address,
            per_scope=settings.max_whep_per_hearing,
            what="WHEP viewers",
        )

    def admit_whip(self, address: str, courtroom_id: str) -> Slot:
        """Count a WHIP attempt and hold a negotiation slot, or raise the 429."""
        try:
            self.whip_attempts.attempt(address)
            return self.whip_negotiations.acquire(address, courtroom_id)
        except TooManyPeers as refusal:
            raise too_many_requests(refusal) from refusal

    def admit_whep(self, address: str, hearing_id: str) -> Slot:
        """Hold a viewer's slot for as long as it watches (release it when it leaves), or 429."""
        try:
            return self.whep_peers.acquire(address, hearing_id)
        except TooManyPeers as refusal:
            raise too_many_requests(refusal) from refusal


def client_address(request: Request) -> str:
    """The peer's address as uvicorn reports it (X-Forwarded-For only from trusted proxies)."""
    return request.client.host if request.client else "unknown"


def get_admission(request: Request) -> PeerAdmission:
    admission: PeerAdmission = request.app.state.admission
    return admission


AdmissionDep = Annotated[PeerAdmission, Depends(get_admission)]
