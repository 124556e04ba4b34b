"""ICE on the hosts courts really have, including a loopback-only one.

aioice skips 127.0.0.1 when it gathers host candidates, so a machine whose only
interface is loopback offers no candidate at all and nothing connects; its
gathering hook is also the only way to keep media on chosen interfaces. With no
STUN/TURN configured we pass an empty server list: aiortc's public STUN default
costs seconds per call on an offline court network.
"""

from __future__ import annotations

from collections.abc import Sequence

import aioice.ice
from aiortc import RTCConfiguration

LOOPBACK = "127.0.0.1"
_discover_host_addresses = aioice.ice.get_host_addresses


def install_host_addresses(only: Sequence[str] = ()) -> None:
    """Gather host candidates on `only` (all interfaces when empty), else on loopback."""
    chosen = list(only)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        if chosen:
            return chosen
        return _discover_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6) or [LOOPBACK]

    aioice.ice.get_host_addresses = host_addresses


def rtc_configuration() -> RTCConfiguration:
    """Peer connection settings for an offline network: no STUN/TURN servers."""
    return RTCConfiguration(iceServers=[])
