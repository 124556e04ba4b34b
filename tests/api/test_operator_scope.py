"""An operator token limited to courtrooms acts only there; lifting a legal hold is an admin's.

Every operator action that names a hearing, a recording or a courtroom answers 403 "this
token may not use that courtroom" outside the token's rooms, and a sealed hearing the token
may not see still answers 404 exactly like an unknown id (a 403 would confirm it exists).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio

from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.serials import case_number
from tests.support.server import RunningServer

FORBIDDEN = {"detail": "this token may not use that courtroom"}
NOT_FOUND = {"detail": "hearing not found"}
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass(frozen=True)
class Rooms:
    mine: str
    other: str
    public_mine: str
    restricted_mine: str
    public_other: str
    restricted_other: str
    sealed_other: str
    operator: str  # limited to `mine`


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rooms(api_server: RunningServer) -> Rooms:
    async with api_server.client() as admin:
        mine = (await create_courtroom(admin, ["bench"])).id
        other = (await create_courtroom(admin, ["bench"])).id
        token = await admin.post(
            "/api/v1/tokens", json={"role": "operator", "name": "书记员", "courtroom_ids": [mine]}
        )
        assert token.status_code == 201, token.text
        return Rooms(
            mine=mine,
            other=other,
            public_mine=await create_hearing(admin, mine),
            restricted_mine=await create_hearing(admin, mine, visibility="restricted"),
            public_other=await create_hearing(admin, other),
            restricted_other=await create_hearing(admin, other, visibility="restricted"),
            sealed_other=await create_hearing(admin, other, visibility="sealed"),
            operator=token.json()["token"],
        )


def answer(response: httpx.Response) -> tuple[int, object]:
    return response.status_code, response.json()


async def hearing_body(client: httpx.AsyncClient, courtroom_id: str) -> dict[str, str]:
    number = case_number()
    case = await client.post("/api/v1/cases", json={"number": number, "title": "张三诉李四"})
    assert case.status_code == 201, case.text
    return {
        "case_id": case.json()["id"],
        "courtroom_id": courtroom_id,
        "title": "第二次开庭",
        "scheduled_start": datetime.now(UTC).isoformat(),
        "visibility": "public",
    }


async def test_creates_hearings_only_in_its_courtrooms(
    api_server: RunningServer, rooms: Rooms
) -> None:
    async with api_server.client(rooms.operator) as operator:
        mine = await operator.post(
            "/api/v1/hearings", json=await hearing_body(operator, rooms.mine)
        )
        other = await operator.post(
            "/api/v1/hearings", json=await hearing_body(operator, rooms.other)
        )
    assert mine.status_code == 201, mine.text
    assert mine.json()["courtroom_id"] == rooms.mine
    assert answer(other) == (403, FORBIDDEN)
    async with api_server.client() as admin:  # nothing was created in the other room
        listed = await admin.get("/api/v1/hearings", params={"courtroom_id": rooms.other})
    assert listed.status_code == 200, listed.text
    assert {h["id"] for h in listed.json()["items"]} == {
        rooms.public_other,
        rooms.restricted_other,
        rooms.sealed_other,
    }


async def test_an_operator_without_a_courtroom_list_reaches_every_room(
    api_server: RunningServer, rooms: Rooms
) -> None:
    async with api_server.client() as admin:
        token = await admin.post("/api/v1/tokens", json={"role": "operator", "name": "庭务"})
    async with api_server.client(token.json()["token"]) as operator:
        created = await operator.post(
            "/api/v1/hearings", json=await hearing_body(operator, rooms.other)
        )
    assert created.status_code == 201, created.text


async def test_starts_and_stops_recordings_only_in_its_courtrooms(
    api_server: RunningServer, rooms: Rooms
) -> None:
    async with api_server.client(rooms.operator) as operator:
        started = await operator.post(f"/api/v1/hearings/{rooms.public_mine}/recordings")
        elsewhere = await operator.post(f"/api/v1/hearings/{rooms.public_other}/recordings")
        assert started.status_code == 201, started.text
        assert answer(elsewhere) == (403, FORBIDDEN)
        stopped = await operator.post(f"/api/v1/recordings/{started.json()['id']}/stop")
        assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
        async with api_server.client() as admin:
            theirs = await admin.post(f"/api/v1/hearings/{rooms.public_other}/recordings")
            assert theirs.status_code == 201, theirs.text
            refused = await operator.post(f"/api/v1/recordings/{theirs.json()['id']}/stop")
            assert answer(refused) == (403, FORBIDDEN)
            still = await admin.get(f"/api/v1/recordings/{theirs.json()['id']}")
            assert still.json()["status"] == "recording"
            await admin.post(f"/api/v1/recordings/{theirs.json()['id']}/stop")


async def test_controls_broadcast_only_in_its_courtrooms(
    api_server: RunningServer, rooms: Rooms
) -> None:
    async with api_server.client(rooms.operator) as operator:
        for method, body in (("GET", None), ("PUT", {"on": False, "delay_s": 5})):
            mine = await operator.request(
                method, f"/api/v1/hearings/{rooms.public_mine}/broadcast", json=body
            )
            assert mine.status_code == 200, mine.text
            other = await operator.request(
                method, f"/api/v1/hearings/{rooms.public_other}/broadcast", json=body
            )
            assert answer(other) == (403, FORBIDDEN)
    async with api_server.client() as admin:  # the other room's broadcast was not touched
        state = await admin.get(f"/api/v1/hearings/{rooms.public_other}/broadcast")
    assert state.json()["on"] is True and state.json()["delay_s"] == 0


async def test_manages_access_codes_only_in_its_courtrooms(
    api_server: RunningServer, rooms: Rooms
) -> None:
    codes_mine = f"/api/v1/hearings/{rooms.restricted_mine}/access-codes"
    codes_other = f"/api/v1/hearings/{rooms.restricted_other}/access-codes"
    async with api_server.client() as admin:
        theirs = await admin.post(codes_other, json={"label": "另一法庭的家属"})
        assert theirs.status_code == 201, theirs.text
    async with api_server.client(rooms.operator) as operator:
        created = await operator.post(codes_mine, json={"label": "家属"})
        assert created.status_code == 201, created.text
        assert (await operator.get(codes_mine)).status_code == 200
        revoked = await operator.delete(f"{codes_mine}/{created.json()['id']}")
        assert revoked.status_code == 204
        assert answer(await operator.post(codes_other, json={"label": "x"})) == (403, FORBIDDEN)
        assert answer(await operator.get(codes_other)) == (403, FORBIDDEN)
        refused = await operator.delete(f"{codes_other}/{theirs.json()['id']}")
        assert answer(refused) == (403, FORBIDDEN)
    async with api_server.client() as admin:
        listed = (await admin.get(codes_other)).json()
    assert [(c["id"], c["revoked_at"]) for c in listed] == [(theirs.json()["id"], None)]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "broadcast", None),
        ("PUT", "broadcast", {"on": False}),
        ("POST", "access-codes", {"label": "x"}),
        ("GET", "access-codes", None),
        ("DELETE", "access-codes/some-code", None),
        ("POST", "recordings", None),
        ("PATCH", "", {"status": "closed"}),
    ],
)
async def test_a_sealed_hearing_elsewhere_is_404_like_an_unknown_id(
    api_server: RunningServer, rooms: Rooms, method: str, path: str, body: object
) -> None:
    async with api_server.client(rooms.operator) as operator:
        sealed = await operator.request(
            method, f"/api/v1/hearings/{rooms.sealed_other}/{path}".rstrip("/"), json=body
        )
        unknown = await operator.request(
            method, f"/api/v1/hearings/{uuid.uuid4().hex}/{path}".rstrip("/"), json=body
        )
    assert answer(sealed) == answer(unknown) == (404, NOT_FOUND)


async def test_operators_place_legal_holds_and_only_admins_lift_them(
    api_server: RunningServer, rooms: Rooms
) -> None:
    async with api_server.client() as admin:
        case_id = (await admin.get(f"/api/v1/hearings/{rooms.public_mine}")).json()["case_id"]
        hold = f"/api/v1/cases/{case_id}/legal-hold"
        async with api_server.client(rooms.operator) as operator:
            placed = await operator.put(hold, json={"on": True})
            assert placed.status_code == 200 and placed.json()["legal_hold"] is True
            lifted = await operator.put(hold, json={"on": False})
            assert answer(lifted) == (403, {"detail": "only an admin may lift a legal hold"})
            assert (await admin.get(f"/api/v1/cases/{case_id}")).json()["legal_hold"] is True
            again = await operator.put(hold, json={"on": True})  # idempotent placing still works
            assert again.status_code == 200
        released = await admin.put(hold, json={"on": False})
        assert released.status_code == 200 and released.json()["legal_hold"] is False
