"""Access codes against a real server: guessing is rate limited and audited, no answer tells a
guesser a code exists, codes are stored keyed, and a code is traded once for a viewer ticket
(a cookie) that watches over WHEP and live HLS within the code's device limit and dies with
the code.

Other client addresses are real: the kernel routes all of 127.0.0.0/8 to loopback, so a client
bound to 127.0.0.2 reaches the server on 127.0.0.1 from another address.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.clips import clip_fixture
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer, running_server
from tests.support.viewer import WhepClient, wait_until

clip = clip_fixture("numbered.ts", seconds=40, width=640, height=360, fps=30, gop=30)
REFUSED = {"detail": "this access code is not valid"}


@pytest.fixture(scope="module")
def court(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for the module: each test makes its own hearing, so limits never meet."""
    with running_server(tmp_path_factory.mktemp("codes") / "data") as running:
        yield running


def from_address(server: RunningServer, address: str = "127.0.0.1") -> httpx.AsyncClient:
    """A client with no token, connecting from `address`."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=server.base_url, transport=transport, timeout=30)


@dataclass
class Restricted:
    hearing_id: str
    courtroom_id: str


async def restricted_in_session(admin: httpx.AsyncClient) -> Restricted:
    """A restricted hearing being recorded: the courtroom's hearing in session."""
    room = await create_courtroom(admin, ["bench"])
    hearing_id = await create_hearing(admin, room.id, visibility="restricted")
    started = await admin.post(f"/api/v1/hearings/{hearing_id}/recordings")
    assert started.status_code == 201, started.text
    return Restricted(hearing_id, room.id)


async def new_code(admin: httpx.AsyncClient, hearing_id: str, **fields: object) -> dict[str, str]:
    created = await admin.post(
        f"/api/v1/hearings/{hearing_id}/access-codes", json={"label": "家属", **fields}
    )
    assert created.status_code == 201, created.text
    body: dict[str, str] = created.json()
    return body


def tickets(hearing_id: str) -> str:
    return f"/api/v1/public/hearings/{hearing_id}/tickets"


async def test_a_burst_of_wrong_codes_gets_429_for_that_address_only_and_is_audited(
    court: RunningServer,
) -> None:
    async with court.client() as admin:
        hearing = await restricted_in_session(admin)
        code = (await new_code(admin, hearing.hearing_id))["code"]
        async with from_address(court) as guesser, from_address(court, "127.0.0.2") as family:
            wrong = [
                await guesser.post(tickets(hearing.hearing_id), json={"code": f"0000-0000-000{n}"})
                for n in range(5)
            ]
            assert [(r.status_code, r.json()) for r in wrong] == [(403, REFUSED)] * 5
            assert {r.headers["X-Courtcast-Error"] for r in wrong} == {"access_code_invalid"}
            limited = await guesser.post(tickets(hearing.hearing_id), json={"code": code})
            assert limited.status_code == 429, limited.text
            assert limited.headers["X-Courtcast-Error"] == "access_code_attempts"
            assert 290 <= int(limited.headers["Retry-After"]) <= 300
            assert "try again in" in limited.json()["detail"]
            # the script path (`?code=` on WHEP) is the same exchange, limited the same way
            whep = await guesser.post(
                f"/whep/{hearing.hearing_id}/bench?code={code}",
                content=b"v=0\r\n",
                headers={"Content-Type": "application/sdp"},
            )
            assert whep.status_code == 429 and "Retry-After" in whep.headers
            # X-Forwarded-For is not believed: claiming another address changes nothing
            spoofed = await guesser.post(
                tickets(hearing.hearing_id),
                json={"code": code},
                headers={"X-Forwarded-For": "198.51.100.9"},
            )
            assert spoofed.status_code == 429
            # another address, with the right code, is not affected
            allowed = await family.post(tickets(hearing.hearing_id), json={"code": code})
            assert allowed.status_code == 201, allowed.text

        audit = (await admin.get("/api/v1/audit", params={"action": "access_code_refused"})).json()
    refused = [e for e in audit["items"] if e["details"]["hearing_id"] == hearing.hearing_id]
    assert len(refused) == 5
    assert {(e["actor"], e["source"]) for e in refused} == {("access code", "127.0.0.1")}
    assert all("0000-0000" not in str(e) and "00000000000" not in str(e) for e in refused)


async def test_unknown_revoked_and_other_hearings_codes_get_identical_answers(
    court: RunningServer,
) -> None:
    """Only an expired code of this hearing is told apart (court/live/access_codes.py says why)."""
    async with court.client() as admin:
        hearing = await restricted_in_session(admin)
        elsewhere = await create_hearing(
            admin, (await create_courtroom(admin, ["bench"])).id, visibility="restricted"
        )
        revoked = await new_code(admin, hearing.hearing_id)
        gone = await admin.delete(
            f"/api/v1/hearings/{hearing.hearing_id}/access-codes/{revoked['id']}"
        )
        assert gone.status_code == 204
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        expired = await new_code(admin, hearing.hearing_id, expires_at=past)
        other = await new_code(admin, elsewhere)
    codes = {
        "unknown": "1234-5678-9012",
        "revoked": revoked["code"],
        "expired": expired["code"],
        "another hearing's": other["code"],
    }
    answers: dict[str, set[tuple[int, str | None, bytes]]] = {}
    for n, (kind, code) in enumerate(codes.items()):
        async with from_address(court, f"127.0.1.{n + 1}") as client:
            ticket = await client.post(tickets(hearing.hearing_id), json={"code": code})
            whep = await client.post(
                f"/whep/{hearing.hearing_id}/bench",
                params={"code": code},
                content=b"v=0\r\n",
                headers={"Content-Type": "application/sdp"},
            )
            playlist = await client.get(
                f"/live/{hearing.hearing_id}/bench/playlist.m3u8", params={"code": code}
            )
        answers[kind] = {
            (r.status_code, r.headers.get("X-Courtcast-Error"), r.content)
            for r in (ticket, whep, playlist)
        }
    invalid = (403, "access_code_invalid", b'{"detail":"this access code is not valid"}')
    expired_answer = (403, "access_code_expired", b'{"detail":"this access code has expired"}')
    assert answers.pop("expired") == {expired_answer}
    assert all(found == {invalid} for found in answers.values()), answers


async def test_codes_are_stored_keyed_never_as_their_sha256(court: RunningServer) -> None:
    async with court.client() as admin:
        hearing = await restricted_in_session(admin)
        code = (await new_code(admin, hearing.hearing_id))["code"]
    digits = code.replace("-", "")
    assert len(digits) == 12 and digits.isdigit()
    index = court.index_dump()
    assert hashlib.sha256(digits.encode()).hexdigest().encode() not in index
    assert digits.encode() not in index


@pytest.fixture
async def broadcasting(court: RunningServer, clip: Path) -> AsyncIterator[Restricted]:
    """A restricted hearing in session whose bench camera publishes and is recorded."""
    async with court.client() as admin:
        hearing = await restricted_in_session(admin)
    publisher = WhipPublisher(
        clip, f"{court.base_url}/whip/{hearing.courtroom_id}/bench", court.admin_token
    )
    await publisher.start()
    try:
        yield hearing
    finally:
        await publisher.close()


def ticket_cookie(client: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def live_segments(client: httpx.AsyncClient, hearing_id: str) -> httpx.Response:
    """The live playlist once it lists a segment (the recording needs a few seconds)."""
    for _ in range(60):
        playlist = await client.get(f"/live/{hearing_id}/bench/playlist.m3u8")
        if playlist.status_code != 200 or "#EXTINF" in playlist.text:
            return playlist
        await asyncio.sleep(0.5)
    raise AssertionError("the live playlist listed no segment within 30 s")


async def test_a_ticket_watches_over_whep_and_hls_within_max_viewers_and_dies_with_its_code(
    court: RunningServer, broadcasting: Restricted
) -> None:
    hearing_id = broadcasting.hearing_id
    async with court.client() as admin:
        code = await new_code(admin, hearing_id, max_viewers=2)
    whep_url = f"{court.base_url}/whep/{hearing_id}/bench"
    async with from_address(court) as phone, from_address(court, "127.0.0.3") as laptop:
        issued = await phone.post(tickets(hearing_id), json={"code": code["code"]})
        assert issued.status_code == 201, issued.text
        assert set(issued.json()) == {"hearing_id", "expires_at"}
        set_cookie = issued.headers["set-cookie"]
        assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
        assert code["code"].replace("-", "") not in set_cookie
        viewer = WhepClient(whep_url, headers={"Cookie": ticket_cookie(phone)})
        await viewer.start()
        try:
            await wait_until(lambda: viewer.video_frames >= 10, 20, "frames over WHEP by ticket")

            assert (await laptop.post(tickets(hearing_id), json={"code": code["code"]})).is_success
            playlist = await live_segments(laptop, hearing_id)
            assert playlist.status_code == 200, playlist.text
            assert "set-cookie" in playlist.headers  # renewed while it is used
            segment = [line for line in playlist.text.splitlines() if line[:1] != "#"][-1]
            fetched = await laptop.get(f"/live/{hearing_id}/bench/{segment}")
            assert fetched.status_code == 200 and len(fetched.content) > 1000

            # the phone over WHEP and the laptop over HLS: both devices are in use
            async with court.client() as admin:
                listed = (await admin.get(f"/api/v1/hearings/{hearing_id}/access-codes")).json()
            assert listed[0]["watching"] == 2
            async with from_address(court, "127.0.0.4") as third:
                refused = await third.post(tickets(hearing_id), json={"code": code["code"]})
            assert refused.status_code == 403
            assert refused.headers["X-Courtcast-Error"] == "access_code_in_use"
            assert "already in use on 2 device(s)" in refused.json()["detail"]

            async with court.client() as admin:
                revoked = await admin.delete(
                    f"/api/v1/hearings/{hearing_id}/access-codes/{code['id']}"
                )
            assert revoked.status_code == 204
            dead = await laptop.get(f"/live/{hearing_id}/bench/playlist.m3u8")
            assert (dead.status_code, dead.json()) == (403, REFUSED)
            again = WhepClient(whep_url, headers={"Cookie": ticket_cookie(phone)})
            with pytest.raises(RuntimeError, match="answered 403"):
                await again.start()
            frames = viewer.video_frames
            await asyncio.sleep(1.5)
            assert viewer.video_frames - frames < 5, "a revoked code's viewer still gets frames"
        finally:
            await viewer.close()
