"""No secret in the server's log after a session that used every kind of secret.

A court keeps its logs for months and hands them to support staff: a token, an access code,
a link signature or a viewer ticket found there would open footage. The session below uses
each of them the way real clients do (query strings included, where browsers need them),
then reads the server's whole log, access lines included, and looks for every one.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import websockets

from api.log_redaction import redact
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer
from tests.support.viewer import WhepClient, wait_until

clip = clip_fixture("camera.ts", seconds=12, width=320, height=180, fps=15, gop=15)


def signatures(playlist: str) -> list[str]:
    """Every `sig` of the playlist's links (segments and init segments)."""
    links = re.findall(r'URI="([^"]+)"', playlist) + [
        line for line in playlist.splitlines() if line and not line.startswith("#")
    ]
    return [sig for link in links for sig in parse_qs(urlsplit(link).query).get("sig", [])]


async def new_token(admin: httpx.AsyncClient, role: str, **scope: object) -> str:
    created = await admin.post("/api/v1/tokens", json={"role": role, "name": role, **scope})
    assert created.status_code == 201, created.text
    secret: str = created.json()["token"]
    return secret


async def test_a_session_leaves_no_secret_in_the_log(server: RunningServer, clip: Path) -> None:
    secrets: dict[str, str] = {"admin token": server.admin_token}
    events_url = server.base_url.replace("http", "ws", 1) + "/api/v1/events"
    async with server.client() as admin:
        room = await create_courtroom(admin, ["bench"])
        hearing_id = await create_hearing(admin, room.id, visibility="restricted")
        camera = await new_token(admin, "camera", courtroom_ids=[room.id], camera="bench")
        operator = await new_token(admin, "operator", courtroom_ids=[room.id])
        judge = await new_token(admin, "judge")
        secrets |= {"camera token": camera, "operator token": operator, "judge token": judge}

        # The camera's link, as an operator sends it (the publish page reads its query).
        page = await admin.get("/publish", params={"courtroom": room.id, "token": camera})
        assert page.status_code == 200
        async with server.client(operator) as desk:
            started = await desk.post(f"/api/v1/hearings/{hearing_id}/recordings")
            assert started.status_code == 201, started.text
            recording_id = started.json()["id"]
            code = await desk.post(
                f"/api/v1/hearings/{hearing_id}/access-codes",
                json={"label": "家属", "max_viewers": 10},
            )
            assert code.status_code == 201, code.text
        dashed = code.json()["code"]
        secrets |= {"access code": dashed, "access code digits": re.sub(r"\D", "", dashed)}

        publisher = WhipPublisher(clip, f"{server.base_url}/whip/{room.id}/bench", camera)
        await publisher.start()
        try:
            # WHEP with the code in its URL, as a script would; then the live playlist.
            viewer = WhepClient(f"{server.base_url}/whep/{hearing_id}/bench?code={dashed}")
            await viewer.start()
            await wait_until(lambda: viewer.video_frames > 0, 20, "a frame over WHEP")
            await viewer.close()
            await asyncio.sleep(5)  # stored segments for the playlists
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as family:
                live_url = f"/live/{hearing_id}/bench/playlist.m3u8"
                live = await family.get(live_url, params={"code": secrets["access code digits"]})
                assert live.status_code == 200, live.text
                live_sigs = signatures(live.text)
                assert live_sigs, live.text
                segment = live.text.split('URI="', 1)[1].split('"', 1)[0]
                fetched = await family.get(live_url.rsplit("/", 1)[0] + "/" + segment)
                assert fetched.status_code == 200, fetched.text

                # The browser's way: the code traded once for a ticket cookie.
                traded = await family.post(
                    f"/api/v1/public/hearings/{hearing_id}/tickets", json={"code": dashed}
                )
                assert traded.status_code == 201, traded.text
                tickets = [value for value in family.cookies.values() if value]
                assert tickets, traded.headers
                assert (await family.get(live_url)).status_code == 200

            async with server.client(judge) as reviewer:
                archive_url = f"/api/v1/recordings/{recording_id}/cameras/bench/playlist.m3u8"
                archive = await reviewer.get(archive_url)
                assert archive.status_code == 200, archive.text
            archive_sigs = signatures(archive.text)
            assert archive_sigs, archive.text
            first = archive.text.split('URI="', 1)[1].split('"', 1)[0]
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as player:
                fetched = await player.get(archive_url.rsplit("/", 1)[0] + "/" + first)
            assert fetched.status_code == 200, fetched.text  # by the signed link, no token
        finally:
            await publisher.close()

        wrong = "cct_" + "x" * 43
        secrets["wrong token"] = wrong
        async with server.client(wrong) as stranger:
            assert (await stranger.get("/api/v1/hearings")).status_code == 401
            assert (await stranger.get("/api/v1/hearings", params={"token": wrong})).status_code
        # The events websocket: the console's first message, a script's header, and an old
        # client that still puts its token in the URL (refused, but its request line is logged).
        async with websockets.connect(events_url) as socket:
            await socket.send(json.dumps({"type": "auth", "token": operator}))
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "authenticated"
        headers = {"Authorization": f"Bearer {judge}"}
        async with websockets.connect(events_url, additional_headers=headers) as socket:
            assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "authenticated"
        async with websockets.connect(f"{events_url}?token={server.admin_token}") as socket:
            await socket.send(json.dumps({"type": "hello"}))
            await asyncio.sleep(0.5)
        await admin.post(f"/api/v1/recordings/{recording_id}/stop")

    for number, ticket in enumerate(tickets):
        secrets[f"ticket {number}"] = ticket
    for number, sig in enumerate(live_sigs + archive_sigs):
        secrets[f"sig {number}"] = sig
    await asyncio.sleep(0.5)
    log = server.log_path.read_text(errors="replace")
    # The access log is on, and saw the secret-bearing requests with their values redacted.
    assert f"GET /live/{hearing_id}/bench/playlist.m3u8?code=[redacted] HTTP/1.1" in log
    assert "sig=[redacted]" in log and "token=[redacted]" in log
    assert "WebSocket /api/v1/events?token=[redacted]" in log
    found = {name for name, secret in secrets.items() if secret in log}
    assert found == set(), f"in the log: {sorted(found)}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("GET /watch/h?code=1234-5678-9012&x=1", "GET /watch/h?code=[redacted]&x=1"),
        ("/segments/a.m4s?exp=1&sub=t&sig=00ff", "/segments/a.m4s?exp=1&sub=t&sig=[redacted]"),
        ("?access_token=abc ok", "?access_token=[redacted] ok"),
        ("next=%2Fx%3Fticket%3Dabc%26y%3D1", "next=%2Fx%3Fticket%3D[redacted]"),
        ("Authorization: Bearer abc.def", "Authorization: [redacted]"),
        ("{'authorization': 'Basic Zm9v'}", "{'authorization': '[redacted]'}"),
        ("[(b'authorization', b'Bearer x')]", "[(b'authorization', b'[redacted]')]"),
        ("sent cct_abcdefghijklmnop", "sent [redacted]"),
        ("design=1&zipcode=2", "design=1&zipcode=2"),
    ],
)
def test_redaction_of_one_line(line: str, expected: str) -> None:
    assert redact(line) == expected
