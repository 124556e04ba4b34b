"""What the native receive path and send side (streaming/native) borrow: pylibsrtp 1.0.0's
session and aiortc 1.16.0's receive statistics.

C decrypts and encrypts in place with aiortc's own SRTP sessions: a `pylibsrtp.Session` owns a
libsrtp 2.x `srtp_t` in `_srtp`, and pylibsrtp's binding exports the `srtp_unprotect` and
`srtp_protect` of the libsrtp it bundles (OpenSSL inside: every profile aiortc offers). One
session means one replay window and one rollover counter per SSRC, shared with aiortc, and no
key handed over.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pylibsrtp
from aiortc.rtcrtpreceiver import StreamStatistics
from pylibsrtp._binding import ffi, lib


def srtp_unprotect_of(session: pylibsrtp.Session) -> tuple[int, int]:
    """(address of `srtp_unprotect(srtp_t, void *, int *)`, the session's `srtp_t`); the
    caller keeps `session` alive while C uses the pointer."""
    return _function("srtp_unprotect"), srtp_of(session)


def srtp_protect_function() -> int:
    """The address of `srtp_protect(srtp_t, void *, int *)`."""
    return _function("srtp_protect")


def srtp_of(session: pylibsrtp.Session) -> int:
    """The session's `srtp_t`, valid while `session` lives."""
    return int(ffi.cast("uintptr_t", session._srtp[0]))


def _function(name: str) -> int:
    return int(ffi.cast("uintptr_t", ffi.addressof(lib, name)))


# aiortc's fields of `StreamStatistics` (receiver reports and getStats read them) -> C's counter
_COUNTED_IN_C = {
    "packets_received": "packets",
    "base_seq": "base_seq",
    "max_seq": "max_seq",
    "cycles": "cycles",
    "_jitter_q4": "jitter_q4",
    "_last_arrival": "last_arrival",
    "_last_timestamp": "last_timestamp",
}


class StatisticsCountedInC(StreamStatistics):
    """aiortc's receive statistics of a stream whose counters C keeps, read from C whenever
    aiortc reads them (a receiver report a second, getStats): never copied per frame, and
    never stale. The loss interval (`fraction_lost`) is aiortc's own, kept here."""

    def __init__(self, clockrate: int, counters: Callable[[], Any]) -> None:
        """`counters`: a copy of C's counters now, each an attribute (named as in C)."""
        # not StreamStatistics.__init__: the counted fields must stay unset for __getattr__
        self._counters = counters
        self._clockrate = clockrate
        self._expected_prior = 0
        self._received_prior = 0

    def __getattr__(self, name: str) -> int:
        counter = _COUNTED_IN_C.get(name)
        if counter is None:
            raise AttributeError(name)
        value: int = getattr(self._counters(), counter)
        return value
