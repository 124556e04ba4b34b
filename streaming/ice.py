"""ICE on the hosts courts really have, including a loopback-only one.

aioice skips 127.0.0.1 when it gathers host candidates, so a machine whose only
interface is loopback offers no candidate at all and nothing connects; its
gathering hook is also the only way to keep media on chosen interfaces. With no
STUN/TURN configured we pass an empty server list: aiortc's public STUN default
costs seconds per call on an offline court network.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiortc import RTCConfiguration

from streaming.aiortc_hooks import gather_host_candidates_on

LOOPBACK = "127.0.0.1"


def install_host_addresses(only: Sequence[str] = ()) -> None:
    """Gather host candidates on `only` (all interfaces when empty), else on loopback."""
    gather_host_candidates_on(only, fallback=LOOPBACK)


def rtc_configuration() -> RTCConfiguration:
    """Peer connection settings for an offline network: no STUN/TURN servers."""
    return RTCConfiguration(iceServers=[])
