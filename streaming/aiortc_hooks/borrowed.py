"""What the native receive path and send side (streaming/native) borrow: pylibsrtp 1.0.0's
session and aiortc 1.16.0's receive statistics.

C decrypts and encrypts in place with aiortc's own SRTP sessions: a `pylibsrtp.Session` owns a
libsrtp 2.x `srtp_t` in `_srtp`, and pylibsrtp's binding exports the `srtp_unprotect` and
`srtp_protect` of the libsrtp it bundles (OpenSSL inside: every profile aiortc offers). One
session means one replay window and one rollover counter per SSRC, shared with aiortc, and no
key handed over.
"""

from __future__ import annotations

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


def set_stream_statistics(
    stats: StreamStatistics,
    *,
    packets: int,
    base_seq: int,
    max_seq: int,
    cycles: int,
    jitter_q4: int,
    last_arrival: int,
    last_timestamp: int,
) -> None:
    """Counters kept in C, copied where aiortc's receiver reports read them."""
    stats.packets_received = packets
    stats.base_seq, stats.max_seq, stats.cycles = base_seq, max_seq, cycles
    stats._jitter_q4 = jitter_q4
    stats._last_arrival = last_arrival
    stats._last_timestamp = last_timestamp
