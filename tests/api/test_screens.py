"""Viewing points: what a screen token may be, and what a screen is told to show.

The kiosk page itself, with video and a restart, is tests/browser/test_screen_kiosk.py."""

from __future__ import annotations

import httpx
import pytest

from tests.support.fixtures_api import create_courtroom, create_hearing, create_sitting
from tests.support.server import RunningServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def screen_token(admin: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await admin.post("/api/v1/tokens", json={"role": "screen", "name": "会见室", **body})


async def test_a_screen_names_its_courtrooms_its_place_and_never_sealed_hearings(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        scope = {"courtroom_ids": [room], "place": "visiting_room"}
        refusals = {
            "no courtroom": ({"place": "cell_block", "visibilities": ["public"]}, 422),
            "no place": ({"courtroom_ids": [room], "visibilities": ["public"]}, 422),
            "nothing to show": ({**scope, "visibilities": []}, 422),
            "sealed": ({**scope, "visibilities": ["public", "sealed"]}, 422),
        }
        for why, (body, status) in refusals.items():
            refused = await screen_token(admin, **body)
            assert refused.status_code == status, (why, refused.text)
        operator = await admin.post(
            "/api/v1/tokens",
            json={"role": "operator", "name": "书记员", "place": "cell_block"},
        )
        assert operator.status_code == 422, operator.text
        made = await screen_token(admin, **scope, visibilities=["restricted", "public"])
        assert made.status_code == 201, made.text
        assert made.json()["visibilities"] == ["public", "restricted"]
        assert made.json()["place"] == "visiting_room"


async def test_a_screen_sees_its_own_state_and_names_only_what_it_may_show(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        public = await create_hearing(admin, room)
        restricted = await create_hearing(admin, room, "restricted")
        sealed = await create_hearing(admin, room, "sealed")
        await create_sitting(admin, room, [public, sealed, restricted])
        made = await screen_token(
            admin, courtroom_ids=[room], place="cell_block", visibilities=["public"]
        )
        screen_id, secret = made.json()["id"], made.json()["token"]
        other = await screen_token(
            admin, courtroom_ids=[room], place="education_hall", visibilities=["public"]
        )
    async with api_server.client(secret) as screen:
        state = (await screen.get(f"/api/v1/screens/{screen_id}")).json()
        # another screen's state is not this one's to read
        foreign = await screen.get(f"/api/v1/screens/{other.json()['id']}")
        assert (foreign.status_code, foreign.json()) == (404, {"detail": "screen not found"})
    assert state["courtroom_id"] == room and state["hearing"] is None and state["notice"] is None
    entries = state["sitting"]["entries"]
    # the sealed hearing is left out and the others numbered around it
    assert [(e["number"], e["hearing_id"]) for e in entries] == [(1, public), (2, restricted)]
    assert entries[0]["case_number"] != ""  # public: named
    assert (entries[1]["case_number"], entries[1]["title"]) == ("", "")  # not granted: unnamed
    assert state["sitting"]["upcoming"]["hearing_id"] == public
    starts = [e["estimated_start"] for e in entries]
    assert starts[0] is not None and starts[1] is not None and starts[0] < starts[1]


async def test_a_screen_watches_the_program_while_the_court_shows_one(
    api_server: RunningServer,
) -> None:
    """A screen is shown what the public is: while the court shows a program it is told to
    watch `program` (a camera would be refused it, and one it watched is hung up), and the
    cameras again once the program ends."""
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench", "dock"])).id
        hearing = await create_hearing(admin, room)
        opened = await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "in_session"})
        assert opened.status_code == 200, opened.text
        made = await screen_token(
            admin, courtroom_ids=[room], place="cell_block", visibilities=["public"]
        )
        screen_id, secret = made.json()["id"], made.json()["token"]
        async with api_server.client(secret) as screen:

            async def cameras() -> list[str]:
                state = (await screen.get(f"/api/v1/screens/{screen_id}")).json()
                assert state["hearing"]["id"] == hearing, state
                return list(state["hearing"]["cameras"])

            assert await cameras() == ["bench", "dock"]
            chosen = await admin.put(
                f"/api/v1/courtrooms/{room}/program", json={"source": "recess"}
            )
            assert chosen.status_code == 200, chosen.text
            assert await cameras() == ["program"]
            ended = await admin.delete(f"/api/v1/courtrooms/{room}/program")
            assert ended.status_code == 204, ended.text
            assert await cameras() == ["bench", "dock"]
