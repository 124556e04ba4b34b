"""All cores of a node (issue 15): `courtcast serve --workers 2` runs two worker processes,
each a node of the several-nodes kind holding a share of the courtrooms, behind one port.

Cameras, viewers and commands all go to the shared port and land on the worker holding the
courtroom (307s, forwarded commands); a worker killed mid-recording is started again by the
supervisor while the other goes on with its courtroom. Workers need PostgreSQL: on SQLite
`serve --workers 2` refuses to start and says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil  # type: ignore[import-untyped]
import pytest

from tests.fixtures.postgres_server import database_under_test
from tests.integration.test_nodes import (
    CAMERAS,
    clip,
    needs_postgresql,
    plays_back_whole,
    prompt_cameras,
    until,
)
from tests.integration.test_whep import open_hearing
from tests.support.archive import fetch_track, source_slice_nals
from tests.support.fixtures_api import start_recording
from tests.support.publisher import RetryingPublisher
from tests.support.server import (
    RunningServer,
    configured_server,
    running_server,
    scratch_index_url,
)
from tests.support.viewer import WhepClient

__all__ = ["clip", "prompt_cameras"]  # fixtures shared with the several-nodes tests

WORKERS_ENV = {
    "COURTCAST_WORKERS": "2",
    "COURTCAST_WORKER_PORT": "0",  # each worker's private port: any free one
    "COURTCAST_SEGMENT_SECONDS": "2",
    "COURTCAST_MAX_WHIP_ATTEMPTS_PER_MINUTE": "1000",
}


async def nodes_of(server: RunningServer) -> list[dict[str, Any]]:
    """The live worker nodes (GET /api/v1/nodes on the shared port)."""
    async with server.client(timeout=5) as client:
        response = await client.get("/api/v1/nodes")
    assert response.status_code == 200, response.text
    nodes: list[dict[str, Any]] = response.json()
    return nodes


async def workers_view(server: RunningServer) -> dict[str, list[str]]:
    """Live worker node id -> the courtrooms it holds."""
    return {node["id"]: node["courtrooms"] for node in await nodes_of(server)}


async def public_viewer(worker: str, hearing_id: str) -> WhepClient | None:
    """A member of the public watching the bench camera through `worker`; None when refused,
    which must be a 403 (the live rule), not any other failure."""
    viewer = WhepClient(f"{worker}/whep/{hearing_id}/bench")
    try:
        await viewer.start()
    except RuntimeError as refused:
        assert "403" in str(refused), refused
        return None
    return viewer


async def off_record_marked_through_the_other_worker(server: RunningServer) -> None:
    """An off-record marker sent to the worker not holding the room still puts the room's
    program on the slate, and its end takes it off: the marker is written where the program
    is switched."""
    async with server.client() as staff, httpx.AsyncClient(timeout=10) as anyone:
        recording = await start_recording(staff, cameras=CAMERAS[:1])
        await open_hearing(staff, recording.hearing_id)
        room = recording.courtroom.id
        holder = {
            room: node for node, rooms in (await workers_view(server)).items() for room in rooms
        }
        (other,) = [n["url"] for n in await nodes_of(server) if n["id"] != holder[room]]
        markers = f"{other}/api/v1/recordings/{recording.id}/markers"
        page = f"{other}/api/v1/public/hearings/{recording.hearing_id}"
        chosen = await staff.put(f"/api/v1/courtrooms/{room}/program", json={"source": "bench"})
        assert chosen.status_code == 200, chosen.text

        async def camera_refused_to_the_public() -> bool:
            """The worker not holding the room knows the court now shows a program (from its
            holder's word, within a second or so) and refuses the public a camera."""
            viewer = await public_viewer(other, recording.hearing_id)
            if viewer is None:
                return True
            await viewer.close()
            return False

        await until("a camera refused while the program runs", camera_refused_to_the_public, 10)
        for kind, text, shown in (
            ("off_record_start", "调解", {"on_air": None, "slate": "off_record"}),
            ("off_record_end", "", {"on_air": "bench", "slate": None}),
        ):
            at = datetime.now(UTC).isoformat()
            marked = await staff.post(markers, json={"at": at, "kind": kind, "text": text})
            assert marked.status_code == 201, marked.text
            assert (await anyone.get(page)).json()["program"] == shown, kind
        stopped = await staff.post(f"/api/v1/recordings/{recording.id}/stop")
        assert stopped.status_code == 200, stopped.text


async def public_served_by_the_other_worker(
    server: RunningServer, hearing_id: str, room: str
) -> None:
    """A member of the public who reaches the worker not holding the courtroom is served
    there (no 307), from that worker's mirror of the camera; the console at the holder counts
    them, and the court's kill switch hangs them up there and refuses them again."""
    holder = {r: node for node, rooms in (await workers_view(server)).items() for r in rooms}
    (other,) = [n["url"] for n in await nodes_of(server) if n["id"] != holder[room]]
    public = WhepClient(f"{other}/whep/{hearing_id}/bench")
    await public.start()
    broadcast = f"/api/v1/hearings/{hearing_id}/broadcast"
    counted: list[dict[str, int]] = []
    async with server.client() as staff:

        async def counted_as(viewers: dict[str, int]) -> bool:
            counted.append((await staff.get(broadcast)).json()["viewers"])
            return counted[-1] == viewers

        try:
            assert public.resource_url is not None
            assert public.resource_url.startswith(f"{other}/whep/"), public.resource_url

            async def frames_seen() -> bool:
                return public.video_frames >= 30

            await until(f"the public viewer decodes frames\n{server.log_tail()}", frames_seen, 15)
            await until(
                "the holder's console counts the viewer", lambda: counted_as({"bench": 1}), 10
            )
            cut = await staff.put(broadcast, json={"on": False, "delay_s": 0})
            assert cut.status_code == 200, cut.text
            await until("the other worker hung the viewer up", lambda: counted_as({}), 10)
            seen = public.video_frames
            await asyncio.sleep(1.5)
            assert public.video_frames - seen <= 2, "frames still reach a viewer after the cut"
            again = WhepClient(f"{other}/whep/{hearing_id}/bench")
            with pytest.raises(RuntimeError, match="403"):
                await again.start()
            back = await staff.put(broadcast, json={"on": True, "delay_s": 0})
            assert back.status_code == 200, back.text
            await served_again_once_back(other, hearing_id)
        finally:
            await public.close()
            restored = await staff.put(broadcast, json={"on": True, "delay_s": 0})
            assert restored.status_code == 200, restored.text


async def served_again_once_back(other: str, hearing_id: str) -> None:
    """The feed is back: the worker that refused the public while it was cut serves them
    again. It kept the cut state it read, with no expiry, so only the holder's word on the
    cluster bus can end the refusal (before 2026-12-04 it went on refusing)."""
    returning: list[WhepClient] = []

    async def admitted() -> bool:
        viewer = await public_viewer(other, hearing_id)
        if viewer is not None:
            returning.append(viewer)
        return viewer is not None

    await until("the other worker serves the public again once the feed is back", admitted, 10)

    async def frames_seen() -> bool:
        return returning[0].video_frames >= 30

    try:
        await until("the returning viewer decodes frames", frames_seen, 15)
    finally:
        await returning[0].close()


def court_day(scheduled_start: str) -> str:
    """The court day (the default zone, Asia/Shanghai) a hearing's start falls in."""
    start = datetime.fromisoformat(scheduled_start)
    return start.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def worker_pid(server: RunningServer, node_id: str) -> int:
    """The process of worker `<node>.w<i>`: the supervisor's child told it is worker i (0:
    none now)."""
    assert server.process is not None
    index = node_id.rsplit(".w", 1)[1]
    for child in psutil.Process(server.process.pid).children():
        with contextlib.suppress(psutil.Error):  # a killed one not yet reaped
            if child.environ().get("COURTCAST_WORKER") == index:
                return int(child.pid)
    return 0


@needs_postgresql
async def test_two_workers_share_the_courtrooms_and_one_killed_comes_back(
    tmp_path: Path, clip: Path, prompt_cameras: None
) -> None:
    with running_server(tmp_path / "data", WORKERS_ENV) as server:
        token = server.admin_token

        async def both_live() -> bool:
            return len(await workers_view(server)) == 2

        await until(f"two workers live\n{server.log_tail()}", both_live, 60)
        async with server.client() as client:
            recordings = [await start_recording(client, cameras=CAMERAS[:1]) for _ in range(2)]
            for recording in recordings:
                await open_hearing(client, recording.hearing_id)
        cameras = []
        for recording in recordings:  # one after the other: the second goes to the idle worker
            camera = RetryingPublisher(
                clip, [server.base_url], f"/whip/{recording.courtroom.id}/bench", token
            )
            await camera.start()
            cameras.append(camera)
        view = await workers_view(server)
        holder = {room: node for node, rooms in view.items() for room in rooms}
        assert sorted(len(rooms) for rooms in view.values()) == [1, 1], view
        victim_room = recordings[0].courtroom.id
        victim = holder[victim_room]

        admin = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(timeout=10) as anyone:  # the public, on either worker
            for node in await nodes_of(server):
                for recording in recordings:
                    page = await anyone.get(
                        f"{node['url']}/api/v1/public/hearings/{recording.hearing_id}"
                    )
                    assert page.json()["live_cameras"] == ["bench"], (node["id"], page.text)
            day = court_day(page.json()["scheduled_start"])
            listed: dict[str, list[list[str]]] = {}
            both = [["bench"], ["bench"]] * 2  # in the public's day list, then in the staff's

            async def every_worker_lists_both_cameras() -> bool:
                """The holder says what it shows at its next lease renewal (each second)."""
                for node in await nodes_of(server):
                    day_list = await anyone.get(f"{node['url']}/api/v1/public/hearings?date={day}")
                    rooms = await anyone.get(f"{node['url']}/api/v1/courtrooms", headers=admin)
                    assert day_list.status_code == rooms.status_code == 200, day_list.text
                    live = {item["id"]: item["live_cameras"] for item in day_list.json()["items"]}
                    publishing = {room["id"]: room["publishing"] for room in rooms.json()}
                    listed[node["id"]] = [live.get(r.hearing_id, []) for r in recordings] + [
                        publishing[r.courtroom.id] for r in recordings
                    ]
                return all(cameras == both for cameras in listed.values())

            with contextlib.suppress(AssertionError):  # the lists seen last say what failed
                await until("every worker lists both cameras", every_worker_lists_both_cameras, 10)
            assert all(cameras == both for cameras in listed.values()), listed

        viewer = WhepClient(f"{server.base_url}/whep/{recordings[0].hearing_id}/bench", token)
        await viewer.start()  # following the 307 to the worker holding the courtroom

        async def frames_seen() -> bool:
            return viewer.video_frames >= 30

        try:
            await until("a viewer through the shared port decodes frames", frames_seen, 15)
        finally:
            await viewer.close()
        await public_served_by_the_other_worker(
            server, recordings[0].hearing_id, recordings[0].courtroom.id
        )
        await asyncio.sleep(3)  # both workers record

        old_pid = worker_pid(server, victim)
        psutil.Process(old_pid).send_signal(signal.SIGKILL)

        async def taken_over_and_back() -> bool:
            view = await workers_view(server)
            return len(view) == 2 and worker_pid(server, victim) not in (0, old_pid)

        await until(f"the worker started again\n{server.log_tail()}", taken_over_and_back, 30)

        async def camera_back() -> bool:
            return len(cameras[0].publications) == 2

        await until(f"the camera published again\n{server.log_tail()}", camera_back, 30)
        await asyncio.sleep(4)  # recording after the break
        stopped = []
        async with server.client() as client:
            for recording in recordings:
                stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
                assert stop.status_code == 200, f"{stop.text}\n{server.log_tail()}"
                stopped.append(stop.json())
        for camera in cameras:
            await camera.close()
        assert len(cameras[1].publications) == 1, "the other worker's camera had to come back"

        gaps = [Counter(gap["reason"] for gap in body["gaps"]) for body in stopped]
        assert sum(gaps[0].values()) == 1, stopped[0]["gaps"]  # one break, for the killed worker
        assert set(gaps[0]) <= {"node_lost", "crash"}, stopped[0]["gaps"]
        assert not gaps[1], stopped[1]["gaps"]
        source = source_slice_nals(str(clip))
        async with server.client() as client:
            for recording, epochs in zip(recordings, (2, 1), strict=True):
                body = (await client.get(f"/api/v1/recordings/{recording.id}")).json()
                (track,) = body["tracks"]
                archived = await fetch_track(client, track["playlist"])
                assert plays_back_whole(archived, source, epochs) == track["frames"], track
        await off_record_marked_through_the_other_worker(server)


def serve_until_it_exits(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`courtcast serve` that is expected to refuse to start: its exit code and output."""
    server = configured_server(tmp_path / "data", env)
    command = [sys.executable, "-m", "api.cli", "serve"]
    return subprocess.run(command, env=server.env, capture_output=True, text=True, timeout=120)


def test_workers_on_sqlite_refuse_to_start(tmp_path: Path) -> None:
    if database_under_test() == "postgresql":
        pytest.skip("workers on SQLite: runs in the SQLite pass")
    ran = serve_until_it_exits(tmp_path, {"COURTCAST_WORKERS": "2"})
    assert ran.returncode == 2, ran.stderr
    assert "--workers needs PostgreSQL" in ran.stderr, ran.stderr


@needs_postgresql
def test_a_worker_failing_at_start_up_stops_the_node_with_its_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**WORKERS_ENV, "COURTCAST_WORKER_PORT": str(taken.getsockname()[1])}
        index = {"COURTCAST_DATABASE_URL": scratch_index_url(tmp_path)}
        ran = serve_until_it_exits(tmp_path, {**env, **index})
    assert ran.returncode != 0, ran.stderr
    assert ran.stderr.count("Address already in use") == 3, ran.stderr  # the worker's error
    assert "worker 0 exited with 1 at start-up 3 times in a row" in ran.stderr, ran.stderr
