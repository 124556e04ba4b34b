"""A sealed hearing exists only for admins and the people assigned to it, on every route."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import RunningServer

NOWHERE = "0" * 32


async def token(client: httpx.AsyncClient, role: str, name: str) -> tuple[str, str]:
    created = await client.post("/api/v1/tokens", json={"role": role, "name": name})
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["token"]


def sealed_routes(hearing_id: str, recording_id: str) -> list[tuple[str, str]]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    recording = f"/api/v1/recordings/{recording_id}"
    return [
        ("GET", f"/api/v1/hearings/{hearing_id}"),
        ("PATCH", f"/api/v1/hearings/{hearing_id}"),
        ("GET", f"/api/v1/hearings/{hearing_id}/broadcast"),
        ("GET", f"/api/v1/hearings/{hearing_id}/access-codes"),
        ("GET", recording),
        ("GET", f"{recording}/markers"),
        ("GET", f"{recording}/transcript"),
        ("GET", f"{recording}/cameras/bench/playlist.m3u8"),
        ("GET", f"{recording}/cameras/bench/segments/init-0001.mp4"),
        ("GET", f"{recording}/cameras/bench/export.json?from={now}&to={now}"),
        ("POST", f"{recording}/stop"),
    ]


async def test_sealed_hearing_is_not_there_for_the_unassigned(api_server: RunningServer) -> None:
    async with api_server.client() as admin:
        room = await create_courtroom(admin, ["bench"])
        sealed = await create_hearing(admin, room.id, visibility="sealed")
        public = await create_hearing(admin, room.id)
        recording = (await admin.post(f"/api/v1/hearings/{sealed}/recordings")).json()["id"]
        tokens = {
            role: await token(admin, role, f"{role} 甲") for role in ("judge", "clerk", "operator")
        }
        assigned_judge = await token(admin, "judge", "主审法官")
        assigned = await admin.post(
            f"/api/v1/hearings/{sealed}/assignments", json={"token_id": assigned_judge[0]}
        )
        assert assigned.status_code == 201, assigned.text
        missing = f"/api/v1/hearings/{NOWHERE}"
        for role, (_, secret) in tokens.items():
            async with api_server.client(secret) as caller:
                fake = sealed_routes(NOWHERE, NOWHERE)
                for (method, path), (_, fake_path) in zip(
                    sealed_routes(sealed, recording), fake, strict=True
                ):
                    body = {"status": "in_session"} if method == "PATCH" else None
                    answer = await caller.request(method, path, json=body)
                    never_existed = await caller.request(method, fake_path, json=body)
                    # exactly what a made-up id gets: nothing tells the hearing is there
                    assert answer.status_code in (403, 404), (role, method, path, answer.text)
                    assert (answer.status_code, answer.json()) == (
                        never_existed.status_code,
                        never_existed.json(),
                    ), (role, method, path)
                never = (await caller.get(missing)).json()
                assert (await caller.get(f"/api/v1/hearings/{sealed}")).json() == never
                listed = (await caller.get("/api/v1/hearings", params={"limit": 200})).json()
                ids = {item["id"] for item in listed["items"]}
                assert public in ids and sealed not in ids, role
                searched = await caller.get("/api/v1/hearings", params={"q": "开庭"})
                assert sealed not in {item["id"] for item in searched.json()["items"]}
                by_visibility = await caller.get(
                    "/api/v1/hearings", params={"visibility": "sealed"}
                )
                assert by_visibility.json()["items"] == [], role
                recordings = (await caller.get("/api/v1/recordings", params={"limit": 200})).json()
                assert recording not in {item["id"] for item in recordings["items"]}
        async with api_server.client(assigned_judge[1]) as judge:
            assert (await judge.get(f"/api/v1/hearings/{sealed}")).status_code == 200
            assert (await judge.get(f"/api/v1/recordings/{recording}")).status_code == 200
            listed = (await judge.get("/api/v1/hearings", params={"visibility": "sealed"})).json()
            assert [item["id"] for item in listed["items"]] == [sealed]
        assert (await admin.get(f"/api/v1/hearings/{sealed}")).status_code == 200
        async with httpx.AsyncClient(base_url=api_server.base_url) as anyone:
            live = await anyone.get(f"/live/{sealed}/bench/playlist.m3u8")
            assert live.status_code == 404
        await admin.post(f"/api/v1/recordings/{recording}/stop")
