"""Who may publish and watch a replay, without media (tests/integration/test_replay.py plays
one with an off-record period cut out)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import RunningServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_restricted_replay_is_for_code_holders_and_a_sealed_hearing_has_none(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        restricted = await create_hearing(admin, room, "restricted")
        sealed = await create_hearing(admin, room, "sealed")
        for hearing in (restricted, sealed):
            closed = await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "closed"})
            assert closed.status_code == 200, closed.text
        never = await admin.put(f"/api/v1/hearings/{sealed}/replay", json={"days": 7})
        assert (never.status_code, never.json()) == (
            409,
            {"detail": "a sealed hearing is never replayed"},
        )
        too_long = await admin.put(f"/api/v1/hearings/{restricted}/replay", json={"days": 91})
        assert too_long.status_code == 422, too_long.text
        published = await admin.put(f"/api/v1/hearings/{restricted}/replay", json={"days": 3})
        assert published.status_code == 200, published.text
        assert published.json()["audience"] == "codes"
        case = (await admin.get(f"/api/v1/hearings/{restricted}")).json()["case_id"]
        made = await admin.post(f"/api/v1/cases/{case}/access-codes", json={"label": "家属"})
        code = made.json()["code"]
    async with httpx.AsyncClient(base_url=api_server.base_url, timeout=30) as anyone:
        playlist = f"/replay/{restricted}/bench/playlist.m3u8"
        asked = await anyone.get(playlist)
        assert (asked.status_code, asked.json()) == (
            401,
            {"detail": "this replay is restricted: enter the access code the court gave you"},
        )
        wrong = await anyone.get(playlist, params={"code": "0000-0000-0001"})
        assert wrong.status_code == 403, wrong.text
        opened = await anyone.get(playlist, params={"code": code})
        assert opened.status_code == 200, opened.text
        assert opened.text.rstrip().endswith("#EXT-X-ENDLIST")
        assert opened.headers["cache-control"] == "private, no-cache"
        # a segment link without the playlist's signature opens nothing
        unsigned = await anyone.get(f"/replay/{restricted}/bench/segments/x/seg-00000001.m4s")
        assert unsigned.status_code == 401, unsigned.text
        # the sealed hearing's replay is unknown, like an unknown hearing's
        for hearing in (sealed, "0" * 32):
            hidden = await anyone.get(f"/api/v1/public/hearings/{hearing}/replay")
            assert (hidden.status_code, hidden.json()) == (
                404,
                {"detail": "this hearing has no replay"},
            )
