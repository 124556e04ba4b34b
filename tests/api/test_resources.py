"""The JSON API as an operator or admin script uses it: status codes and bodies."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx

from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import RunningServer


async def test_courtroom_case_hearing_round_trip_keeps_chinese_text(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as client:
        courtroom = await create_courtroom(client, ["bench", "witness"])
        fetched = await client.get(f"/api/v1/courtrooms/{courtroom.id}")
        assert fetched.status_code == 200
        assert fetched.json()["name"] == "第三法庭"
        assert fetched.json()["cameras"] == ["bench", "witness"]
        hearing_id = await create_hearing(client, courtroom.id)
        hearing = (await client.get(f"/api/v1/hearings/{hearing_id}")).json()
        case = (await client.get(f"/api/v1/cases/{hearing['case_id']}")).json()
        assert case["number"].startswith("(2026)湘04民初")
        assert case["title"] == "张三诉李四合同纠纷"
        assert hearing["visibility"] == "public"
        assert hearing["scheduled_start"].endswith(("Z", "+00:00"))


async def test_duplicate_case_number_is_a_conflict(api_server: RunningServer) -> None:
    async with api_server.client() as client:
        body = {"number": "(2026)京01刑初7号", "title": "重复案号"}
        assert (await client.post("/api/v1/cases", json=body)).status_code == 201
        again = await client.post("/api/v1/cases", json=body)
        assert again.status_code == 409
        assert "already exists" in again.json()["detail"]


async def test_bad_json_and_bad_fields_get_422_with_detail(api_server: RunningServer) -> None:
    async with api_server.client() as client:
        broken = await client.post(
            "/api/v1/courtrooms", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert broken.status_code == 422
        assert broken.json()["detail"]
        unsafe_camera = await client.post(
            "/api/v1/courtrooms", json={"name": "x", "kind": "courtroom", "cameras": ["../etc"]}
        )
        assert unsafe_camera.status_code == 422
        bad_kind = await client.post(
            "/api/v1/courtrooms", json={"name": "x", "kind": "stadium", "cameras": ["a"]}
        )
        assert bad_kind.status_code == 422
        naive_time = await client.post(
            "/api/v1/hearings",
            json={
                "case_id": "x",
                "courtroom_id": "y",
                "title": "t",
                "scheduled_start": "2026-01-01T09:00:00",
            },
        )
        assert naive_time.status_code == 422
        unknown_case = await client.post(
            "/api/v1/hearings",
            json={
                "case_id": "nope",
                "courtroom_id": "nope",
                "title": "t",
                "scheduled_start": "2026-01-01T09:00:00+08:00",
            },
        )
        assert unknown_case.status_code == 422
        assert unknown_case.json()["detail"] == "unknown case_id"


async def test_unknown_ids_are_404_json(api_server: RunningServer) -> None:
    async with api_server.client() as client:
        for path in (
            "/api/v1/courtrooms/nope",
            "/api/v1/hearings/nope",
            "/api/v1/recordings/nope",
            "/api/v1/recordings/nope/cameras/bench/playlist.m3u8",
        ):
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.json()["detail"]


async def test_everything_but_healthz_needs_a_token(api_server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=api_server.base_url) as anonymous:
        health = await anonymous.get("/healthz")
        assert health.status_code == 200
        assert health.json()["database"] == "ok"
        assert health.json()["object_store"] == "ok"
        for method, path in (
            ("GET", "/api/v1/courtrooms"),
            ("POST", "/api/v1/cases"),
            ("GET", "/api/v1/recordings/x"),
            ("POST", "/api/v1/tokens"),
            ("POST", "/whip/room/bench"),
        ):
            response = await anonymous.request(method, path)
            assert response.status_code == 401, (method, path)
            assert response.json()["detail"]
        wrong = await anonymous.get(
            "/api/v1/courtrooms", headers={"Authorization": "Bearer not-a-token"}
        )
        assert wrong.status_code == 401


async def test_created_token_works_until_revoked_and_secret_is_not_stored(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        created = await admin.post("/api/v1/tokens", json={"role": "operator", "name": "书记员 王"})
        assert created.status_code == 201
        token = created.json()["token"]
        async with api_server.client(token) as operator:
            assert (await operator.get("/api/v1/courtrooms")).status_code == 200
            # operators may not mint tokens
            assert (
                await operator.post("/api/v1/tokens", json={"role": "admin", "name": "x"})
            ).status_code == 403
            listed = (await admin.get("/api/v1/tokens")).json()
            assert all("token" not in row for row in listed)
            revoke = await admin.delete(f"/api/v1/tokens/{created.json()['id']}")
            assert revoke.status_code == 204
            assert (await operator.get("/api/v1/courtrooms")).status_code == 401
    index = api_server.index_dump()
    assert hashlib.sha256(token.encode()).hexdigest().encode() in index  # only its hash is kept
    assert token.encode() not in index


async def test_expired_token_is_refused(api_server: RunningServer) -> None:
    async with api_server.client() as admin:
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        created = await admin.post(
            "/api/v1/tokens", json={"role": "judge", "name": "法官", "expires_at": past}
        )
        assert created.status_code == 201
        async with api_server.client(created.json()["token"]) as judge:
            assert (await judge.get("/api/v1/courtrooms")).status_code == 401


async def test_camera_token_publishes_only(api_server: RunningServer) -> None:
    async with api_server.client() as admin:
        courtroom = await create_courtroom(admin, ["bench"])
        missing_scope = await admin.post("/api/v1/tokens", json={"role": "camera", "name": "cam"})
        assert missing_scope.status_code == 422
        created = await admin.post(
            "/api/v1/tokens",
            json={
                "role": "camera",
                "name": "审判席摄像机",
                "courtroom_ids": [courtroom.id],
                "camera": "bench",
            },
        )
        assert created.status_code == 201
        async with api_server.client(created.json()["token"]) as camera:
            assert (await camera.get("/api/v1/courtrooms")).status_code == 403
            other = await camera.post(
                f"/whip/{courtroom.id}/witness",
                content=b"v=0\r\n",
                headers={"Content-Type": "application/sdp"},
            )
            assert other.status_code == 403


async def test_nul_characters_are_refused_with_422(api_server: RunningServer) -> None:
    """PostgreSQL cannot store U+0000; found by the OpenAPI fuzzing on PostgreSQL."""
    async with api_server.client() as client:
        in_body = await client.post("/api/v1/cases", json={"number": "a\u0000b", "title": "t"})
        in_query = await client.get("/api/v1/cases", params={"number": "a\u0000"})
        in_path = await client.get("/api/v1/cases/a%00b")
    for answer in (in_body, in_query, in_path):
        assert answer.status_code == 422, answer.text
        assert "NUL" in answer.json()["detail"]
