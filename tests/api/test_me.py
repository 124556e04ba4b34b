"""GET /api/v1/me: a token names its own courtroom and camera, and only what it may use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.fixtures_api import create_courtroom
from tests.support.server import RunningServer


async def new_token(admin: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    created = await admin.post("/api/v1/tokens", json=body)
    assert created.status_code == 201, created.text
    token: dict[str, Any] = created.json()
    return token


async def me(api_server: RunningServer, secret: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    async with httpx.AsyncClient(base_url=api_server.base_url, headers=headers) as client:
        return await client.get("/api/v1/me")


async def test_camera_token_names_its_courtroom_and_camera_only(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        created = await admin.post(
            "/api/v1/courtrooms",
            json={
                "name": "第三法庭",
                "cameras": ["bench", "witness"],
                "camera_labels": {"witness": {"zh": "证人席", "en": "Witness"}},
            },
        )
        assert created.status_code == 201, created.text
        room_id = created.json()["id"]
        await create_courtroom(admin, ["bench"])  # another room: never listed
        token = await new_token(
            admin, role="camera", name="证人席平板", courtroom_ids=[room_id], camera="witness"
        )
    answer = await me(api_server, token["token"])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "role": "camera",
        "name": "证人席平板",
        "courtroom_ids": [room_id],
        "camera": "witness",
        "courtrooms": [
            {
                "id": room_id,
                "name": "第三法庭",
                "cameras": ["witness"],
                "camera_labels": {"witness": {"zh": "证人席", "en": "Witness"}},
                "evidence_sources": [],
            }
        ],
    }


async def test_operator_sees_its_courtrooms_with_every_camera(api_server: RunningServer) -> None:
    async with api_server.client() as admin:
        first = await create_courtroom(admin, ["bench", "witness"])
        second = await create_courtroom(admin, ["overview"])
        await create_courtroom(admin, ["bench"])  # not the operator's
        token = await new_token(
            admin, role="operator", name="书记员甲", courtroom_ids=[second.id, first.id]
        )
    body = (await me(api_server, token["token"])).json()
    assert body["role"] == "operator" and body["camera"] is None
    assert body["courtroom_ids"] == sorted([first.id, second.id])
    assert [(room["id"], room["cameras"]) for room in body["courtrooms"]] == [
        (first.id, ["bench", "witness"]),
        (second.id, ["overview"]),
    ]
    assert body["courtrooms"][0]["camera_labels"]["bench"] == {"zh": None, "en": None}


async def test_admin_sees_every_courtroom(api_server: RunningServer) -> None:
    async with api_server.client() as admin:
        room = await create_courtroom(admin, ["bench"])
        listed = (await admin.get("/api/v1/courtrooms")).json()
    body = (await me(api_server, api_server.admin_token)).json()
    assert body["role"] == "admin"
    assert body["courtroom_ids"] is None and body["camera"] is None
    assert [r["id"] for r in body["courtrooms"]] == [r["id"] for r in listed]
    assert room.id in {r["id"] for r in body["courtrooms"]}


async def test_revoked_and_expired_tokens_are_401(api_server: RunningServer) -> None:
    async with api_server.client() as admin:
        room = await create_courtroom(admin, ["bench"])
        revoked = await new_token(
            admin, role="camera", name="cam", courtroom_ids=[room.id], camera="bench"
        )
        assert (await me(api_server, revoked["token"])).status_code == 200
        assert (await admin.delete(f"/api/v1/tokens/{revoked['id']}")).status_code in (200, 204)
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        expired = await new_token(admin, role="judge", name="法官", expires_at=past)
    for secret in (revoked["token"], expired["token"]):
        answer = await me(api_server, secret)
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("secret", [None, "cct_not-a-token"])
async def test_no_or_unknown_token_is_401(api_server: RunningServer, secret: str | None) -> None:
    assert (await me(api_server, secret)).status_code == 401
