"""A WHIP publication passes frames to its camera's hub only while it lasts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from streaming import aiortc_hooks as hooks
from streaming.frames import EncodedFrame, SourceEnded
from streaming.hub import Hub
from streaming.whip import WhipPublication

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90_000, payloadType=96)
VP8_KEYFRAME = b"\x10\x02\x00\x9d\x01\x2a" + bytes(20)


@pytest.fixture
async def camera_offer() -> AsyncIterator[str]:
    """What a VP8 camera offers (it never connects: its frames are handed in below)."""
    camera = RTCPeerConnection()
    camera.addTransceiver("video", direction="sendonly")
    await camera.setLocalDescription(await camera.createOffer())
    yield camera.localDescription.sdp
    await camera.close()


def frame_reassembled(publication: WhipPublication, timestamp: int) -> None:
    """A keyframe leaves the receiver's jitter buffer, handed over as the receive path does."""
    (transceiver,) = publication._pc.getTransceivers()
    getattr(transceiver.receiver, hooks.DECODER_QUEUE).put(
        (VP8, JitterFrame(data=VP8_KEYFRAME, timestamp=timestamp))
    )


async def test_a_frame_finished_during_the_hang_up_is_not_passed_on(camera_offer: str) -> None:
    """Seen in CI: the keyframe the receive path finished while the camera hung up reached
    the recorder after the end of its publication and opened a one-frame epoch."""
    hub = Hub()
    ended: list[WhipPublication] = []
    publication = await WhipPublication.create(camera_offer, hub, on_ended=ended.append)
    subscription = hub.subscribe(16)
    frame_reassembled(publication, 90_000)
    await publication.close()
    frame_reassembled(publication, 93_000)

    items = [await anext(subscription) for _ in range(subscription.backlog)]
    assert [type(item) for item in items] == [EncodedFrame, SourceEnded]
    assert {item.source_id for item in items} == {publication.id}
    assert ended == [publication]
