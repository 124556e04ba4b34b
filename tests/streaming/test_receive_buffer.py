"""A camera's ICE sockets hold seconds of packets, so a busy event loop does not lose them."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection

from streaming import aiortc_hooks as hooks
from streaming.aiortc_hooks import receiving

RMEM_MAX = int(Path("/proc/sys/net/core/rmem_max").read_text())


async def receive_buffers() -> list[int]:
    """The receive buffer of each ICE socket of a receiving peer the hooks were put on."""
    pc = RTCPeerConnection()
    transport = pc.addTransceiver("video", direction="recvonly").receiver.transport
    await pc.setLocalDescription(await pc.createOffer())
    try:
        hooks.take_datagrams(transport, lambda data: True)
        return [
            protocol.transport.get_extra_info("socket").getsockopt(
                socket.SOL_SOCKET, socket.SO_RCVBUF
            )
            // 2  # Linux reports twice what it grants
            for protocol in transport.transport._connection._protocols
        ]
    finally:
        await pc.close()


async def test_each_ice_socket_gets_the_buffer_asked_for_up_to_the_kernels_cap() -> None:
    granted = await receive_buffers()
    assert granted and set(granted) == {min(receiving.RECEIVE_BUFFER_BYTES, RMEM_MAX)}


async def test_a_cap_below_the_ask_is_logged_once_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(receiving, "RECEIVE_BUFFER_BYTES", RMEM_MAX * 2)
    monkeypatch.setattr(receiving, "_capped_buffer_logged", threading.Event())
    with caplog.at_level(logging.WARNING, logger=receiving.__name__):
        granted = await receive_buffers() + await receive_buffers()

    assert set(granted) == {RMEM_MAX}
    warnings = [r.getMessage() for r in caplog.records if "net.core.rmem_max" in r.getMessage()]
    assert warnings == [
        f"camera sockets get a {RMEM_MAX}-byte receive buffer, not {RMEM_MAX * 2}: raise "
        "net.core.rmem_max (sysctl) so a busy moment does not lose camera packets"
    ]
