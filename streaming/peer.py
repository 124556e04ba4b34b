"""What WHIP and WHEP share: turning an untrusted offer into an answered peer connection.

Both endpoints receive one non-trickle offer and answer it in one response;
aiortc reports unusable offers with assorted exception types, which become a
ValueError with the reason so the routes can answer 400.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, Self

from aiortc import RTCPeerConnection, RTCRtpTransceiver, RTCSessionDescription

from streaming.codecs import install_codecs
from streaming.hub import Hub
from streaming.ice import rtc_configuration
from streaming.sdp import validate_offer, without_mdns_candidates

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 15.0


def checked_offer(text: str) -> str:
    """The offer ready for aiortc; ValueError names what is wrong with it."""
    return without_mdns_candidates(validate_offer(text))


def new_peer_connection() -> RTCPeerConnection:
    """A peer connection with Courtcast's codecs and ICE settings."""
    install_codecs()
    return RTCPeerConnection(rtc_configuration())


async def apply_offer(pc: RTCPeerConnection, offer: str) -> list[RTCRtpTransceiver]:
    """Set the remote offer; returns the transceivers it negotiated (ValueError if none)."""
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    except Exception as exc:  # aiortc rejects unusable offers with assorted exception types
        raise ValueError(f"the SDP offer cannot be used: {exc or type(exc).__name__}") from exc
    negotiated = [t for t in pc.getTransceivers() if t.mid is not None]
    if not negotiated:
        raise ValueError("the SDP offer has no audio or video section we can use")
    return negotiated


async def answer(pc: RTCPeerConnection) -> str:
    """Create and set the local answer (waits for ICE gathering: no trickle)."""
    try:
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as exc:
        raise ValueError(f"the SDP offer cannot be answered: {exc}") from exc
    sdp: str = pc.localDescription.sdp
    return sdp


class BackgroundTasks:
    """Tasks a peer starts (timeouts, RTCP, pumps), kept referenced and cancelled together."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        """Cancel every task except the caller's own (a task may close its peer)."""
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()


class HubPeer:
    """A peer connection on one camera's hub: a WHIP publisher or a WHEP viewer.

    Subclasses say how they are created (`create`), how to negotiate
    (`_negotiate`) and what runs once answered (`_start`); answering, failure
    clean-up and the shared state live here.
    """

    def __init__(self, hub: Hub, on_ended: Callable[[Any], None], pc: RTCPeerConnection) -> None:
        self.id = uuid.uuid4().hex
        self.answer_sdp = ""
        self._hub = hub
        self._on_ended = on_ended
        self._pc = pc
        self._tasks = BackgroundTasks()
        self._closed = False

    @classmethod
    async def _answered(cls, offer_sdp: str, make: Callable[[RTCPeerConnection], Self]) -> Self:
        """Check the offer, `make` the peer on a new connection, negotiate and start it;
        ValueError with a precise reason (and the connection closed) if it cannot be used."""
        offer = checked_offer(offer_sdp)
        peer = make(new_peer_connection())
        try:
            await peer._negotiate(offer)
        except BaseException:
            await peer._pc.close()
            raise
        peer._start()
        return peer

    async def _negotiate(self, offer: str) -> None:
        raise NotImplementedError

    def _start(self) -> None:
        raise NotImplementedError

    def _leave_hub(self) -> None:
        raise NotImplementedError

    async def _hang_up_unless_connected(self) -> None:
        """A peer that never completes ICE and DTLS must not hold its camera or viewer slot."""
        await asyncio.sleep(CONNECT_TIMEOUT_S)
        if self._pc.connectionState != "connected":
            log.warning("%s %s never connected; hanging up", type(self).__name__, self.id)
            await self.close()

    @property
    def connection_state(self) -> str:
        return str(self._pc.connectionState)

    async def close(self) -> None:
        """Hang up and leave the hub; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._leave_hub()
        self._tasks.cancel()
        await self._pc.close()
        with contextlib.suppress(Exception):  # the owner's bookkeeping must not undo the hang-up
            self._on_ended(self)
