"""The API behind the scheduling desk: camera display names, editing a case, moving and
cancelling a hearing, and QR codes of publish links. Each route's success and its refusals,
status code and body."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio

from tests.support.fixtures_api import create_courtroom
from tests.support.server import RunningServer
from tests.support.tampering import run_sql

pytestmark = pytest.mark.asyncio(loop_scope="module")

FORBIDDEN = {"detail": "this token may not use that courtroom"}


@dataclass(frozen=True)
class Desk:
    """Two courtrooms and an operator limited to the first, a clerk and a camera token."""

    server: RunningServer
    mine: str
    other: str
    operator: str
    clerk: str
    camera: str

    def client(self, role: str = "admin") -> httpx.AsyncClient:
        token = {"operator": self.operator, "clerk": self.clerk, "camera": self.camera}
        return self.server.client(token.get(role))


async def new_token(admin: httpx.AsyncClient, role: str, **scope: object) -> str:
    created = await admin.post("/api/v1/tokens", json={"role": role, "name": f"{role} 丁", **scope})
    assert created.status_code == 201, created.text
    secret: str = created.json()["token"]
    return secret


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def desk(api_server: RunningServer) -> Desk:
    async with api_server.client() as admin:
        mine = (await create_courtroom(admin, ["bench"])).id
        other = (await create_courtroom(admin, ["bench"])).id
        return Desk(
            server=api_server,
            mine=mine,
            other=other,
            operator=await new_token(admin, "operator", courtroom_ids=[mine]),
            clerk=await new_token(admin, "clerk"),
            camera=await new_token(admin, "camera", courtroom_ids=[mine], camera="bench"),
        )


def answer(response: httpx.Response) -> tuple[int, object]:
    return response.status_code, response.json()


# -- camera display names ------------------------------------------------------------------


async def test_a_courtroom_is_created_with_display_names(desk: Desk) -> None:
    async with desk.client() as admin:
        created = await admin.post(
            "/api/v1/courtrooms",
            json={
                "name": "第七法庭",
                "cameras": ["bench", "witness"],
                "camera_labels": {"bench": {"zh": "审判席", "en": "Bench"}},
            },
        )
        assert created.status_code == 201, created.text
        labels = {"bench": {"zh": "审判席", "en": "Bench"}, "witness": {"zh": None, "en": None}}
        assert created.json()["camera_labels"] == labels
        read = await admin.get(f"/api/v1/courtrooms/{created.json()['id']}")
        assert read.json()["camera_labels"] == labels


async def test_labels_must_name_the_rooms_cameras(desk: Desk) -> None:
    async with desk.client() as admin:
        refused = await admin.post(
            "/api/v1/courtrooms",
            json={
                "name": "第七法庭",
                "cameras": ["bench"],
                "camera_labels": {"dock": {"zh": "被告席"}},
            },
        )
    assert refused.status_code == 422, refused.text
    assert "dock" in refused.text


async def test_cameras_are_set_in_order_with_their_labels(desk: Desk) -> None:
    async with desk.client() as admin:
        room = (await create_courtroom(admin, ["bench", "witness"])).id
    cameras = [
        {"name": "witness", "zh": "证人席", "en": "Witness stand"},
        {"name": "bench", "zh": "审判席", "en": " "},  # blank: unset
        {"name": "dock", "zh": None, "en": "Dock"},
    ]
    async with desk.client() as admin:
        put = await admin.put(f"/api/v1/courtrooms/{room}/cameras", json={"cameras": cameras})
        assert put.status_code == 200, put.text
        assert put.json()["cameras"] == ["witness", "bench", "dock"]
        assert put.json()["camera_labels"] == {
            "witness": {"zh": "证人席", "en": "Witness stand"},
            "bench": {"zh": "审判席", "en": None},
            "dock": {"zh": None, "en": "Dock"},
        }
        removed = await admin.put(
            f"/api/v1/courtrooms/{room}/cameras", json={"cameras": [{"name": "dock"}]}
        )
        assert removed.status_code == 200, removed.text
        assert removed.json()["cameras"] == ["dock"]
        read = await admin.get(f"/api/v1/courtrooms/{room}")
        # a PUT states the whole list: labels left out are unset
        assert read.json()["camera_labels"] == {"dock": {"zh": None, "en": None}}


async def test_an_operator_sets_the_cameras_of_its_own_rooms_only(desk: Desk) -> None:
    body = {"cameras": [{"name": "bench", "zh": "审判席", "en": "Bench"}]}
    async with desk.client("operator") as operator:
        mine = await operator.put(f"/api/v1/courtrooms/{desk.mine}/cameras", json=body)
        other = await operator.put(f"/api/v1/courtrooms/{desk.other}/cameras", json=body)
        unknown = await operator.put(f"/api/v1/courtrooms/{uuid.uuid4().hex}/cameras", json=body)
    assert mine.status_code == 200, mine.text
    assert answer(other) == (403, FORBIDDEN)
    assert answer(unknown) == (404, {"detail": "courtroom not found"})
    for role in ("clerk", "camera"):
        async with desk.client(role) as caller:
            refused = await caller.put(f"/api/v1/courtrooms/{desk.mine}/cameras", json=body)
        assert answer(refused) == (403, {"detail": f"the {role} role may not do this"})


@pytest.mark.parametrize(
    ("cameras", "says"),
    [
        ([{"name": "bench"}, {"name": "bench"}], "unique"),
        ([{"name": "../bench"}], "must be 1-64 letters"),
        ([{"name": "bench", "zh": "审" * 65}], "at most 64"),
        ([], "at least 1"),
    ],
)
async def test_bad_camera_lists_are_refused(desk: Desk, cameras: list[object], says: str) -> None:
    async with desk.client() as admin:
        refused = await admin.put(
            f"/api/v1/courtrooms/{desk.mine}/cameras", json={"cameras": cameras}
        )
    assert refused.status_code == 422, refused.text
    assert says in refused.text


async def test_a_camera_with_recorded_footage_stays(desk: Desk) -> None:
    async with desk.client() as admin:
        room = (await create_courtroom(admin, ["bench", "witness", "dock"])).id
        case = await admin.post(
            "/api/v1/cases",
            json={"number": f"(2026)湘04民初{uuid.uuid4().int % 10**8}号", "title": "案"},
        )
        hearing = await admin.post(
            "/api/v1/hearings",
            json={
                "case_id": case.json()["id"],
                "courtroom_id": room,
                "title": "开庭",
                "scheduled_start": datetime.now(UTC).isoformat(),
            },
        )
        recording = (await admin.post(f"/api/v1/hearings/{hearing.json()['id']}/recordings")).json()
        await admin.post(f"/api/v1/recordings/{recording['id']}/stop")
        # what the index holds once a camera's first object is stored
        for camera in ("witness", "dock"):
            run_sql(
                desk.server,
                "INSERT INTO tracks (id, recording_id, camera, created_at) VALUES"
                f" ('{uuid.uuid4().hex}', '{recording['id']}', '{camera}', CURRENT_TIMESTAMP)",
            )
        refused = await admin.put(
            f"/api/v1/courtrooms/{room}/cameras", json={"cameras": [{"name": "bench"}]}
        )
        assert answer(refused) == (
            409,
            {"detail": "camera dock, witness has recorded footage and cannot be removed"},
        )
        relabelled = await admin.put(
            f"/api/v1/courtrooms/{room}/cameras",
            json={"cameras": [{"name": "dock"}, {"name": "witness", "zh": "证人席"}]},
        )
        assert relabelled.status_code == 200, relabelled.text
        assert relabelled.json()["cameras"] == ["dock", "witness"]
