"""A camera's feed for another process's mirror (court/live/mirrors.py, the public served by
whichever worker they reach) is given only to the installation's own processes, and only
while the hearing's public may watch: the kill switch and a sealed hearing going in session
hang it up at once, as they hang up a public viewer, and refuse it again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from court.live.mirrors import FEED_HEADER, feed_claim
from court.live.signed_urls import UrlSigner
from storage.keyring import SECRET_FILE
from streaming.frame_wire import decode
from streaming.frames import EncodedFrame
from streaming.mirror import REFUSED
from tests.integration.test_broadcast import clip
from tests.integration.test_workers import nodes_of
from tests.support.fixtures_api import create_hearing, start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

__all__ = ["clip"]


def signer_of(server: RunningServer) -> UrlSigner:
    """The installation's link key, as every node and worker process of it holds."""
    return UrlSigner((server.data_dir / SECRET_FILE).read_bytes())


async def holder_url(server: RunningServer, courtroom_id: str) -> str:
    """The URL of the process holding the courtroom: with worker processes on, the shared
    port would hand a feed's websocket to either, and only the holder serves feeds."""
    (url,) = [n["url"] for n in await nodes_of(server) if courtroom_id in n["courtrooms"]]
    assert isinstance(url, str)
    return url


@asynccontextmanager
async def feed(
    holder: str, hearing_id: str, camera: str, claim: str | None
) -> AsyncIterator[ClientConnection]:
    url = "ws" + holder.removeprefix("http") + f"/internal/feed/{hearing_id}/{camera}"
    headers = {FEED_HEADER: claim} if claim is not None else {}
    async with connect(url, additional_headers=headers, max_size=None) as link:
        yield link


async def refused(holder: str, hearing_id: str, camera: str, claim: str | None) -> None:
    with pytest.raises(InvalidStatus) as refusal:
        async with feed(holder, hearing_id, camera, claim):
            pass
    assert refusal.value.response.status_code == 403


async def frames_from(link: ClientConnection, count: int) -> list[EncodedFrame]:
    frames = []
    async with asyncio.timeout(15):
        while len(frames) < count:
            item = decode(await link.recv())
            if isinstance(item, EncodedFrame):
                frames.append(item)
    return frames


async def hung_up(link: ClientConnection) -> None:
    """The holder closes the feed within a second, saying the mirror must hang up its own
    viewers too."""
    async with asyncio.timeout(1.0):
        await link.wait_closed()
    assert link.close_code == REFUSED


async def test_only_the_installation_gets_a_feed_and_only_while_the_public_may_watch(
    server: RunningServer, clip: Path
) -> None:
    signer = signer_of(server)
    node = "node.w1"
    async with server.client() as staff:
        recording = await start_recording(staff)
        hearing = recording.hearing_id
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        holder = await holder_url(server, recording.courtroom.id)
        broadcast = f"/api/v1/hearings/{hearing}/broadcast"
        try:
            await refused(holder, hearing, "bench", None)
            await refused(
                holder, hearing, "bench", feed_claim(UrlSigner(b"x"), node, hearing, "bench")
            )
            await refused(holder, hearing, "bench", feed_claim(signer, node, hearing, "dock"))
            await refused(holder, hearing, "dock", feed_claim(signer, node, hearing, "dock"))

            async with feed(
                holder, hearing, "bench", feed_claim(signer, node, hearing, "bench")
            ) as link:
                frames = await frames_from(link, 30)
                assert frames[0].kind == "video" and frames[0].keyframe, "from a keyframe"
                await link.send(b"N3")  # three viewers of the mirror, counted at the console

                async def console() -> dict[str, int]:
                    return dict((await staff.get(broadcast)).json()["viewers"])

                async with asyncio.timeout(5):
                    while await console() != {"bench": 3}:
                        await asyncio.sleep(0.1)
                cut = await staff.put(broadcast, json={"on": False})
                assert cut.status_code == 200, cut.text
                await hung_up(link)
            assert await console() == {}
            await refused(holder, hearing, "bench", feed_claim(signer, node, hearing, "bench"))
            resumed = await staff.put(broadcast, json={"on": True})
            assert resumed.status_code == 200, resumed.text

            sealed = await create_hearing(staff, recording.courtroom.id, visibility="sealed")
            claim = feed_claim(signer, node, hearing, "bench")
            async with feed(holder, hearing, "bench", claim) as link:
                await frames_from(link, 1)
                closed = await staff.patch(f"/api/v1/hearings/{hearing}", json={"status": "closed"})
                assert closed.status_code == 200, closed.text
                await hung_up(link)  # its public sees nothing more of the room
            opened = await staff.patch(f"/api/v1/hearings/{sealed}", json={"status": "in_session"})
            assert opened.status_code == 200, opened.text
            unknown = "0" * len(hearing)  # a sealed hearing is refused as an unknown one is
            for hearing_id in (hearing, sealed, unknown):
                claim = feed_claim(signer, node, hearing_id, "bench")
                await refused(holder, hearing_id, "bench", claim)
        finally:
            await publisher.close()
