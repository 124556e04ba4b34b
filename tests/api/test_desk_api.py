"""The API behind the scheduling desk: camera display names, editing a case, moving and
cancelling a hearing, and QR codes of publish links. Each route's success and its refusals,
status code and body."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree

import httpx
import pytest
import pytest_asyncio
import segno

from tests.support.fixtures_api import create_case, create_courtroom, create_hearing
from tests.support.serials import case_number
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
            json={"number": case_number(), "title": "案"},
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


# -- editing a case ------------------------------------------------------------------------


async def test_a_case_title_and_parties_are_corrected(desk: Desk) -> None:
    async with desk.client() as admin:
        case = await create_case(admin, parties=[{"name": "张三", "role": "原告"}])
    async with desk.client("operator") as operator:
        title = await operator.patch(f"/api/v1/cases/{case}", json={"title": "张三诉李四借款纠纷"})
        assert title.status_code == 200, title.text
        assert title.json()["title"] == "张三诉李四借款纠纷"
        assert title.json()["parties"] == [{"name": "张三", "role": "原告"}]  # left as they were
        parties = [{"name": " 李四 ", "role": "被告"}, {"name": "王五", "role": "第三人"}]
        replaced = await operator.patch(f"/api/v1/cases/{case}", json={"parties": parties})
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["parties"] == [
            {"name": "李四", "role": "被告"},
            {"name": "王五", "role": "第三人"},
        ]
        assert replaced.json()["title"] == "张三诉李四借款纠纷"
        read = await operator.get(f"/api/v1/cases/{case}")
        assert read.json() == replaced.json()
        emptied = await operator.patch(f"/api/v1/cases/{case}", json={"parties": []})
        assert emptied.json()["parties"] == []
        found = await operator.get("/api/v1/hearings", params={"party": "王五"})
        assert found.json()["items"] == []


async def test_case_edits_are_refused(desk: Desk) -> None:
    async with desk.client() as admin:
        case = await create_case(admin)
    async with desk.client("operator") as operator:
        blank = await operator.patch(f"/api/v1/cases/{case}", json={"title": ""})
        nameless = await operator.patch(
            f"/api/v1/cases/{case}", json={"parties": [{"name": "", "role": "原告"}]}
        )
        unknown = await operator.patch(f"/api/v1/cases/{uuid.uuid4().hex}", json={"title": "案"})
    assert blank.status_code == 422, blank.text
    assert nameless.status_code == 422, nameless.text
    assert answer(unknown) == (404, {"detail": "case not found"})
    async with desk.client("clerk") as clerk:
        refused = await clerk.patch(f"/api/v1/cases/{case}", json={"title": "案"})
    assert answer(refused) == (403, {"detail": "the clerk role may not do this"})


async def test_a_sealed_case_is_unknown_to_an_unassigned_operator(desk: Desk) -> None:
    async with desk.client() as admin:
        case = await create_case(admin)
        await create_hearing(admin, desk.other, visibility="sealed", case_id=case)
    async with desk.client("operator") as operator:
        sealed = await operator.patch(f"/api/v1/cases/{case}", json={"title": "改"})
        unknown = await operator.patch(f"/api/v1/cases/{uuid.uuid4().hex}", json={"title": "改"})
    assert answer(sealed) == answer(unknown) == (404, {"detail": "case not found"})
    async with desk.client() as admin:
        assert (await admin.get(f"/api/v1/cases/{case}")).json()["title"] == "张三诉李四合同纠纷"


# -- moving and cancelling a hearing -------------------------------------------------------


async def test_a_scheduled_hearing_moves_in_time_and_room(desk: Desk) -> None:
    async with desk.client() as admin:
        hearing = await create_hearing(admin, desk.other)
        moved = await admin.patch(
            f"/api/v1/hearings/{hearing}",
            json={"scheduled_start": "2026-12-03T09:30:00+08:00", "courtroom_id": desk.mine},
        )
    assert moved.status_code == 200, moved.text
    assert moved.json()["courtroom_id"] == desk.mine
    assert moved.json()["scheduled_start"] == "2026-12-03T01:30:00Z"
    assert moved.json()["status"] == "scheduled"


async def test_a_move_is_refused_where_the_token_may_not_go(desk: Desk) -> None:
    async with desk.client() as admin:
        hearing = await create_hearing(admin, desk.mine)
    async with desk.client("operator") as operator:
        away = await operator.patch(
            f"/api/v1/hearings/{hearing}", json={"courtroom_id": desk.other}
        )
        nowhere = await operator.patch(
            f"/api/v1/hearings/{hearing}", json={"courtroom_id": uuid.uuid4().hex}
        )
        staying = await operator.patch(
            f"/api/v1/hearings/{hearing}", json={"courtroom_id": desk.mine}
        )
    assert answer(away) == (403, FORBIDDEN)
    assert answer(nowhere) == (422, {"detail": "unknown courtroom_id"})
    assert staying.status_code == 200, staying.text
    assert staying.json()["courtroom_id"] == desk.mine


async def test_a_hearing_moves_no_more_once_opened(desk: Desk) -> None:
    async with desk.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        hearing = await create_hearing(admin, room)
        opened = await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "in_session"})
        assert opened.status_code == 200, opened.text
        later = await admin.patch(
            f"/api/v1/hearings/{hearing}", json={"scheduled_start": "2026-12-04T09:00:00+08:00"}
        )
        elsewhere = await admin.patch(
            f"/api/v1/hearings/{hearing}", json={"courtroom_id": desk.mine}
        )
        await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "closed"})
    refusal = {"detail": "a hearing is moved only while scheduled; this one is in_session"}
    assert answer(later) == answer(elsewhere) == (409, refusal)


async def test_a_cancelled_hearing_never_opens(desk: Desk) -> None:
    async with desk.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        hearing = await create_hearing(admin, room)
        cancelled = await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "cancelled"})
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        opened = await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "in_session"})
        assert answer(opened) == (
            409,
            {
                "detail": "a hearing cannot go from cancelled to in_session; from cancelled it"
                " may go to: nothing"
            },
        )
        recorded = await admin.post(f"/api/v1/hearings/{hearing}/recordings")
        assert answer(recorded) == (409, {"detail": "the hearing is cancelled"})
        moved = await admin.patch(f"/api/v1/hearings/{hearing}", json={"courtroom_id": desk.mine})
        assert moved.status_code == 409, moved.text
        # staff may look at an idle room's cameras through a hearing, but not a cancelled one
        preview = await admin.get(f"/live/{hearing}/bench/playlist.m3u8")
        assert answer(preview) == (404, {"detail": "the hearing is not in session"})
        public = await admin.get(f"/api/v1/public/hearings/{hearing}")
        assert public.json()["status"] == "cancelled"
        assert public.json()["live_cameras"] == []


async def test_only_a_scheduled_hearing_is_cancelled(desk: Desk) -> None:
    async with desk.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        hearing = await create_hearing(admin, room)
        await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "in_session"})
        refused = await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "cancelled"})
        await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "closed"})
    assert answer(refused) == (
        409,
        {
            "detail": "a hearing cannot go from in_session to cancelled; from in_session it"
            " may go to: closed, recess"
        },
    )


# -- QR codes ------------------------------------------------------------------------------


SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("length", [1, 60, 400, 1000])
async def test_a_qr_code_is_an_svg_of_the_right_size(desk: Desk, length: int) -> None:
    text = ("https://court.example/publish#token=cct_" + "x" * 1000)[:length]
    async with desk.client("operator") as operator:
        drawn = await operator.post("/api/v1/qr", json={"text": text})
    assert drawn.status_code == 200, drawn.text
    assert drawn.headers["content-type"] == "image/svg+xml"
    svg = ElementTree.fromstring(drawn.content)
    assert svg.tag == f"{SVG_NS}svg"
    version = segno.make(text, error="l", micro=False).version
    assert isinstance(version, int)
    modules = 17 + 4 * version + 2 * 4  # the symbol and its quiet zone of 4 modules a side
    assert svg.attrib["viewBox"] == f"0 0 {modules} {modules}"
    background, dark = list(svg)
    assert background.attrib["fill"] == "#fff"
    assert dark.attrib["stroke"] == "#000"


async def test_qr_codes_are_refused(desk: Desk) -> None:
    async with desk.client("operator") as operator:
        empty = await operator.post("/api/v1/qr", json={"text": ""})
        long = await operator.post("/api/v1/qr", json={"text": "x" * 1001})
        wide = await operator.post("/api/v1/qr", json={"text": "😀" * 1000})  # 4000 bytes
    assert empty.status_code == long.status_code == 422
    assert answer(wide) == (422, {"detail": "the text is too long for a QR code"})
    for role in ("clerk", "camera"):
        async with desk.client(role) as caller:
            refused = await caller.post("/api/v1/qr", json={"text": "x"})
        assert answer(refused) == (403, {"detail": f"the {role} role may not do this"})
    async with httpx.AsyncClient(base_url=desk.server.base_url) as anonymous:
        nobody = await anonymous.post("/api/v1/qr", json={"text": "x"})
    assert nobody.status_code == 401
