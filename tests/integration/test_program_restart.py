"""The court's choice of program outlives the process: after a crash and a restart the same
source (here the recess slate) is back on air before any viewer is let in, so the public cannot
pick a camera the court had chosen not to show; ending the program is marked like a switch."""

from __future__ import annotations

import signal

import httpx

from tests.support.fixtures_api import start_recording
from tests.support.server import RunningServer


async def _public_tries(server: RunningServer, hearing: str) -> tuple[object, int, int]:
    """What an anonymous viewer is told: the hearing's program, and the status of asking for
    the bench camera over WHEP and over HLS."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as anyone:
        facts = await anyone.get(f"/api/v1/public/hearings/{hearing}")
        assert facts.status_code == 200, facts.text
        whep = await anyone.post(
            f"/whep/{hearing}/bench", content=b"v=0", headers={"Content-Type": "application/sdp"}
        )
        hls = await anyone.get(f"/live/{hearing}/bench/playlist.m3u8")
        return facts.json()["program"], whep.status_code, hls.status_code


async def test_the_program_is_back_on_air_after_a_crash_and_its_end_is_marked(
    server: RunningServer,
) -> None:
    async with server.client() as admin:
        started = await start_recording(admin, ["bench", "witness"])
        room, hearing, recording = started.courtroom.id, started.hearing_id, started.id
        for source in ("witness", "recess"):
            chosen = await admin.put(f"/api/v1/courtrooms/{room}/program", json={"source": source})
            assert chosen.status_code == 200, chosen.text
    assert await _public_tries(server, hearing) == ({"on_air": None, "slate": "recess"}, 403, 403)

    server.stop(signal.SIGKILL)
    server.start()  # same data directory: the running recording and the program go on here

    assert await _public_tries(server, hearing) == ({"on_air": None, "slate": "recess"}, 403, 403)
    async with server.client() as admin:
        kept = await admin.get(f"/api/v1/courtrooms/{room}/program")
        assert kept.status_code == 200, kept.text
        assert (kept.json()["chosen"], kept.json()["slate"]) == ("recess", "recess")
        ended = await admin.delete(f"/api/v1/courtrooms/{room}/program")
        assert ended.status_code == 204, ended.text
        assert (await admin.get(f"/api/v1/courtrooms/{room}/program")).json() is None
        program, whep, _ = await _public_tries(server, hearing)
        assert program is None and whep != 403  # the public picks cameras again
        marks = (await admin.get(f"/api/v1/recordings/{recording}/markers")).json()
        assert [(m["kind"], m["text"]) for m in marks if m["kind"].startswith("program")] == [
            ("program", "witness"),
            ("program", "recess"),
            ("program_end", ""),
        ]
        stopped = await admin.post(f"/api/v1/recordings/{recording}/stop")
        assert stopped.status_code == 200, stopped.text
