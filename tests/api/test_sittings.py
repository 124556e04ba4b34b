"""Planning a sitting: what a running order may hold, and who may see it.

The switching itself, with cameras publishing, is tests/integration/test_sitting.py."""

from __future__ import annotations

import httpx
import pytest

from tests.support.fixtures_api import (
    create_courtroom,
    create_hearing,
    create_sitting,
    sitting_plan,
)
from tests.support.server import RunningServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def refused(client: httpx.AsyncClient, body: dict[str, object]) -> tuple[int, object]:
    answer = await client.post("/api/v1/sittings", json=body)
    return answer.status_code, answer.json()["detail"]


async def test_a_running_order_holds_scheduled_hearings_of_its_courtroom_once(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        other = (await create_courtroom(admin, ["bench"])).id
        first, second = [await create_hearing(admin, room) for _ in range(2)]
        elsewhere = await create_hearing(admin, other)
        cancelled = await create_hearing(admin, room)
        patched = await admin.patch(f"/api/v1/hearings/{cancelled}", json={"status": "cancelled"})
        assert patched.status_code == 200, patched.text

        assert await refused(admin, sitting_plan(room, [first, first])) == (
            422,
            "a hearing appears twice in the running order",
        )
        assert await refused(admin, sitting_plan(room, [first, elsewhere])) == (
            422,
            f"hearing {elsewhere} is in another courtroom",
        )
        assert await refused(admin, sitting_plan(room, [first, cancelled])) == (
            422,
            f"hearing {cancelled} is cancelled, not scheduled",
        )
        unknown = "0" * 32
        assert await refused(admin, sitting_plan(room, [unknown])) == (
            422,
            f"unknown hearing_id {unknown}",
        )
        too_many = await admin.post("/api/v1/sittings", json=sitting_plan(room, [first] * 61))
        assert too_many.status_code == 422, too_many.text

        planned = await admin.post("/api/v1/sittings", json=sitting_plan(room, [second, first]))
        assert planned.status_code == 201, planned.text
        sitting = planned.json()
        assert sitting["status"] == "planned" and sitting["position"] is None
        assert [e["hearing_id"] for e in sitting["entries"]] == [second, first]
        assert [e["position"] for e in sitting["entries"]] == [0, 1]
        listed = await admin.get("/api/v1/sittings", params={"courtroom_id": room})
        assert [s["id"] for s in listed.json()] == [sitting["id"]]
        # not running: nothing to move on from or to end
        for action in ("next", "end"):
            answer = await admin.post(f"/api/v1/sittings/{sitting['id']}/{action}")
            assert answer.status_code == 409, answer.text
            assert answer.json() == {"detail": "the sitting is planned"}


async def test_a_sealed_hearing_keeps_its_sitting_from_unassigned_staff(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        public = await create_hearing(admin, room)
        sealed = await create_hearing(admin, room, "sealed")
        made = await admin.post(
            "/api/v1/tokens",
            json={"role": "operator", "name": "书记员", "courtroom_ids": [room]},
        )
        operator = made.json()["token"]
        sitting = await create_sitting(admin, room, [public, sealed])
    async with api_server.client(operator) as client:
        # the sealed hearing is unknown to the operator, in a plan as anywhere else
        assert await refused(client, sitting_plan(room, [public, sealed])) == (
            422,
            f"unknown hearing_id {sealed}",
        )
        listed = await client.get("/api/v1/sittings", params={"courtroom_id": room})
        assert listed.json() == []
        for method, path in (
            ("GET", ""),
            ("POST", "/start"),
            ("POST", "/next"),
            ("POST", "/end"),
        ):
            answer = await client.request(method, f"/api/v1/sittings/{sitting['id']}{path}")
            assert (answer.status_code, answer.json()) == (404, {"detail": "sitting not found"})
        own = await client.post("/api/v1/sittings", json=sitting_plan(room, [public]))
        assert own.status_code == 201, own.text
        listed = await client.get("/api/v1/sittings", params={"courtroom_id": room})
        assert [s["id"] for s in listed.json()] == [own.json()["id"]]
