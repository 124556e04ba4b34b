"""Evidence sources (a screen or document camera showing exhibits) are typed cameras of a
courtroom: named when the room is made or its cameras are set, and told to the token that
publishes one, so the publish page offers screen sharing."""

from __future__ import annotations

import pytest

from tests.support.server import RunningServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_courtroom_names_its_evidence_sources_and_its_camera_token_hears_of_it(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        body = {"name": "科技法庭", "cameras": ["bench", "doc"], "evidence_sources": ["doc"]}
        wrong = await admin.post("/api/v1/courtrooms", json={**body, "evidence_sources": ["x"]})
        assert wrong.status_code == 422, wrong.text
        assert "evidence_sources name cameras not in cameras: x" in wrong.text
        made = await admin.post("/api/v1/courtrooms", json=body)
        assert made.status_code == 201, made.text
        room = made.json()
        assert (room["cameras"], room["evidence_sources"]) == (["bench", "doc"], ["doc"])

        token = await admin.post(
            "/api/v1/tokens",
            json={
                "role": "camera",
                "name": "证据展示",
                "courtroom_ids": [room["id"]],
                "camera": "doc",
            },
        )
        async with api_server.client(token.json()["token"]) as camera:
            (usable,) = (await camera.get("/api/v1/me")).json()["courtrooms"]
            assert (usable["cameras"], usable["evidence_sources"]) == (["doc"], ["doc"])

        cameras = [
            {"name": "bench", "zh": "审判席"},
            {"name": "doc", "zh": "证据展示", "kind": "evidence"},
            {"name": "screen", "kind": "evidence"},
        ]
        put = await admin.put(f"/api/v1/courtrooms/{room['id']}/cameras", json={"cameras": cameras})
        assert put.status_code == 200, put.text
        assert put.json()["evidence_sources"] == ["doc", "screen"]
        cameras[1]["kind"] = "camera"  # the desk unticks it: an ordinary camera again
        put = await admin.put(f"/api/v1/courtrooms/{room['id']}/cameras", json={"cameras": cameras})
        assert put.json()["evidence_sources"] == ["screen"]
        odd = await admin.put(
            f"/api/v1/courtrooms/{room['id']}/cameras",
            json={"cameras": [{"name": "bench", "kind": "slate"}]},
        )
        assert odd.status_code == 422, odd.text
