"""A viewer judged before the hearing's public was restarted (the kill switch, a new delay)
and registered after it is not left watching under the state it was judged by."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from court.in_session import ViewerKind
from court.live.viewers import PublicRestarted, ViewerRegistry, Watching
from streaming.hub import Hub
from streaming.relay import FrameRelay
from streaming.whep import WhepViewer
from tests.support.viewer import WhepClient

Admit = Callable[[ViewerKind, str, int], Awaitable[WhepViewer]]


@pytest.fixture
async def admit() -> AsyncIterator[tuple[ViewerRegistry, Admit, list[str]]]:
    """A registry, a way to admit a viewer to it with a real offer, and the viewers ended."""
    registry = ViewerRegistry()
    relay = FrameRelay(Hub())
    clients: list[WhepClient] = []
    ended: list[str] = []

    async def admitted(kind: ViewerKind, hearing_id: str, mark: int) -> WhepViewer:
        client = WhepClient("http://127.0.0.1/unused")  # only its offer is used
        clients.append(client)
        return await registry.watch(
            relay=relay,
            offer_sdp=await client.offer(),
            admitted_at=mark,
            watching=lambda viewer: Watching(hearing_id, "room", "bench", viewer, kind=kind),
            on_ended=lambda: ended.append(hearing_id),
        )

    yield registry, admitted, ended
    await registry.close()
    for client in clients:
        await client.close(hang_up=False)


async def test_a_public_viewer_admitted_across_a_restart_of_its_public_is_told_to_join_again(
    admit: tuple[ViewerRegistry, Admit, list[str]],
) -> None:
    registry, admitted, ended = admit
    mark = registry.public_mark("听证")
    await registry.close_public("听证")  # while the viewer was judged and negotiated
    with pytest.raises(PublicRestarted, match="join again"):
        await admitted("public", "听证", mark)
    assert registry.all() == [] and ended == ["听证"]  # hung up, its admission slot given back

    for kind in ("public", "code"):  # admitted again, under the state as it stands
        await admitted(kind, "听证", registry.public_mark("听证"))
    assert sorted(w.kind for w in registry.all()) == ["code", "public"]


async def test_staff_and_other_hearings_are_not_restarted_with_the_public(
    admit: tuple[ViewerRegistry, Admit, list[str]],
) -> None:
    registry, admitted, _ = admit
    mark, other = registry.public_mark("听证"), registry.public_mark("另一案")
    await registry.close_public("听证")
    await admitted("staff", "听证", mark)  # staff watch in real time, never cut
    await admitted("public", "另一案", other)
    assert sorted((w.hearing_id, w.kind) for w in registry.all()) == [
        ("另一案", "public"),
        ("听证", "staff"),
    ]


class _Feed:
    id = "feed"

    async def close(self) -> None:
        pass


async def test_a_feed_judged_before_a_restart_is_not_registered() -> None:
    registry = ViewerRegistry()
    feed = Watching("听证", "room", "bench", _Feed(), kind="public", feed=True)
    mark = registry.public_mark("听证")
    await registry.close_public("听证")
    with pytest.raises(PublicRestarted):
        registry.add_feed(feed, mark)
    assert registry.all() == []
    registry.add_feed(feed, registry.public_mark("听证"))
    assert registry.all() == [feed]
