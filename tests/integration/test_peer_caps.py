"""WHEP viewers are capped per client address and per hearing, and a place frees when a viewer
leaves or is hung up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.clips import clip_fixture
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer, running_server
from tests.support.viewer import WhepClient, wait_until

clip = clip_fixture("caps.ts", seconds=40, width=320, height=180, fps=30, gop=30)


@pytest.fixture
def capped(tmp_path: Path) -> Iterator[RunningServer]:
    with running_server(tmp_path / "data", {"COURTCAST_MAX_WHEP_PER_ADDRESS": "2"}) as server:
        yield server


async def test_a_third_viewer_from_one_address_waits_for_a_place(
    capped: RunningServer, clip: Path
) -> None:
    server = capped
    async with server.client() as admin:
        room = await create_courtroom(admin, ["bench"])
        publisher = WhipPublisher(
            clip, f"{server.base_url}/whip/{room.id}/bench", server.admin_token
        )
        await publisher.start()
        viewers: list[WhepClient] = []
        try:
            hearing = await create_hearing(admin, room.id)
            assert (await admin.post(f"/api/v1/hearings/{hearing}/recordings")).status_code == 201
            url = f"{server.base_url}/whep/{hearing}/bench"
            for _ in range(2):
                viewers.append(WhepClient(url))
                await viewers[-1].start()
            offering = WhepClient(url)
            offer = await offering.offer()
            await offering.close()
            async with httpx.AsyncClient(base_url=server.base_url) as anyone:
                refused = await anyone.post(
                    f"/whep/{hearing}/bench",
                    content=offer,
                    headers={"Content-Type": "application/sdp"},
                )
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) >= 1
            assert "at most 2" in refused.json()["detail"]
            await viewers.pop().close()  # DELETE frees its place
            again = WhepClient(url)
            await again.start()
            viewers.append(again)
            await wait_until(lambda: again.video_frames > 5, 15, "the viewer that got the place")
        finally:
            for viewer in viewers:
                await viewer.close()
            await publisher.close()
