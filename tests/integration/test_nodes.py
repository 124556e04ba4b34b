"""One court, several nodes (issue 14): nodes share one PostgreSQL and one S3 bucket.

A node killed mid-recording hands its courtrooms on within seconds and the archive shows one
`node_lost` gap per moved camera; a node cut off from PostgreSQL stops writing before another
takes its courtroom; WHIP sent to a node that does not hold the courtroom is redirected to
the one that does; single-node setups refuse a second node.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import aioice.ice
import httpx
import pytest

from storage.db import sqlite_url
from storage.leases import LEASE_TTL_S
from tests.conftest import s3_env
from tests.fixtures.postgres_server import database_under_test
from tests.fixtures.s3_server import S3Server
from tests.support.archive import (
    ArchivedTrack,
    decode,
    fetch_track,
    is_contiguous_run,
    source_slice_nals,
)
from tests.support.clips import clip_fixture
from tests.support.cluster import Cluster, fresh_index, running_cluster, suite_postgres
from tests.support.fixtures_api import StartedRecording, start_recording
from tests.support.publisher import RetryingPublisher, WhipPublisher
from tests.support.server import configured_server
from tests.support.tcp_proxy import tcp_proxy

FPS = 30
SEGMENT_S = 2.0
CAMERAS = ["bench", "witness"]
FAILOVER_LIMIT_S = 5.0  # the promise: a dead node's courtrooms are held again within it

needs_postgresql = pytest.mark.skipif(
    database_under_test() != "postgresql",
    reason="several nodes share one PostgreSQL: runs in the PostgreSQL pass "
    "(COURTCAST_TEST_DATABASE=postgresql)",
)

clip = clip_fixture(
    "camera.ts", seconds=40, width=320, height=180, fps=FPS, gop=FPS, bitrate=300_000
)


@pytest.fixture
def prompt_cameras(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cameras notice a dead node within about 4 s (aioice's consent checks: 30 s)."""
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 1.0)
    monkeypatch.setattr(aioice.ice, "CONSENT_FAILURES", 3)


@pytest.fixture
def shared_store(s3_server: S3Server, s3_bucket: str) -> dict[str, str]:
    return {**s3_env(s3_server, s3_bucket), "COURTCAST_SEGMENT_SECONDS": str(SEGMENT_S)}


async def until(what: str, check: Callable[[], Awaitable[Any]], within_s: float) -> Any:
    """Poll `check` until it returns something true; fail naming `what` at the deadline."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within_s} s: {what}")


def cameras_of(
    recording: StartedRecording, token: str, clip: Path, nodes: list[str], first: int
) -> list[RetryingPublisher]:
    """A retrying publisher per camera, each trying the nodes from its own first one."""
    return [
        RetryingPublisher(
            clip, nodes, f"/whip/{recording.courtroom.id}/{camera}", token, first=first + k
        )
        for k, camera in enumerate(recording.courtroom.cameras)
    ]


async def segment_rows(cluster: Cluster) -> list[Any]:
    """Every indexed init and media segment, with who indexed it under which fence."""
    return await cluster.rows(
        "SELECT r.id AS recording_id, r.courtroom_id, t.camera, s.kind, s.number, s.object_key,"
        " s.node_id, s.fence, s.stored_at FROM ("
        "  SELECT 'media' AS kind, track_id, sequence AS number, object_key, node_id, fence,"
        "   stored_at FROM segments"
        "  UNION ALL SELECT 'init', track_id, epoch, object_key, node_id, fence, stored_at"
        "   FROM init_segments"
        " ) s JOIN tracks t ON t.id = s.track_id JOIN recordings r ON r.id = t.recording_id"
    )


async def grant_rows(cluster: Cluster) -> list[Any]:
    return await cluster.rows(
        "SELECT courtroom_id, node_id, fence, granted_at FROM lease_grants ORDER BY granted_at"
    )


def plays_back_whole(archived: ArchivedTrack, source: list[bytes], epochs: int) -> int:
    """The frames decoded; each publication is one epoch, a contiguous run of what was sent."""
    assert len(archived.epochs) == epochs, archived.playlist
    frames = 0
    for epoch in archived.epochs:
        decoded = decode(epoch.file())
        assert is_contiguous_run(decoded.slice_nals, source), (
            "an epoch's pictures are not a contiguous run of what the camera sent"
        )
        frames += decoded.video_frames
    return frames


@needs_postgresql
async def test_a_dead_nodes_courtrooms_move_on(
    tmp_path: Path, clip: Path, shared_store: dict[str, str], prompt_cameras: None
) -> None:
    with running_cluster(tmp_path, 3, shared_store) as cluster:
        token = cluster.admin_token
        recordings = []
        for i in range(4):  # set up and started through every node in turn
            async with cluster.client(i % 3) as client:
                recordings.append(await start_recording(client, cameras=CAMERAS))
        cameras = [
            camera
            for i, recording in enumerate(recordings)
            for camera in cameras_of(recording, token, clip, cluster.urls, first=2 * i)
        ]
        await asyncio.gather(*(camera.start() for camera in cameras))
        await asyncio.sleep(6)  # recording on three nodes

        view = await cluster.nodes_view(0)
        victim = max(view, key=lambda node: node["cameras"])
        assert victim["courtrooms"], view
        moved = set(victim["courtrooms"])
        dead = cluster.index_of(victim["id"])
        survivors = [i for i in range(3) if i != dead]
        killed_at = time.time()
        cluster.kill(dead)

        async def moved_rooms_held() -> bool:
            holders = await cluster.holders(survivors[0])
            return all(holders.get(room, victim["id"]) != victim["id"] for room in moved)

        await until(f"{moved} held by a survivor\n{cluster.logs()}", moved_rooms_held, 15)
        failover_s = time.time() - killed_at
        print(f"courtrooms {sorted(moved)} held again {failover_s:.2f} s after the SIGKILL")
        assert failover_s <= FAILOVER_LIMIT_S, cluster.logs()

        moving = [c for c in cameras if c.publications[0].node == cluster.urls[dead]]
        assert len(moving) == victim["cameras"], [c.publications for c in cameras]

        async def moved_cameras_back() -> bool:
            return all(len(camera.publications) == 2 for camera in moving)

        await until(f"cameras republished\n{cluster.logs()}", moved_cameras_back, 30)
        reconnect_s = max(c.publications[1].published_at - killed_at for c in moving)
        print(f"the last moved camera published again {reconnect_s:.2f} s after the SIGKILL")
        await asyncio.sleep(6)  # recording on the survivors

        stopped = []
        for recording in recordings:
            async with cluster.client(survivors[0]) as client:
                stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
            assert stop.status_code == 200, f"{stop.text}\n{cluster.logs()}"
            stopped.append(stop.json())
        for camera in cameras:
            await camera.close()
        assert all(len(c.publications) == 1 for c in cameras if c not in moving), (
            "a camera of a surviving node had to publish again"
        )

        moved_cameras = {
            (r.id, camera)
            for r in recordings
            if r.courtroom.id in moved
            for camera in r.courtroom.cameras
        }
        gap_limit_s = LEASE_TTL_S + reconnect_s + SEGMENT_S
        source = source_slice_nals(str(clip))
        read: dict[tuple[str, str], list[bytes]] = {}
        for index in survivors:  # everything readable through every surviving node
            async with cluster.client(index) as client:
                for recording in recordings:
                    response = await client.get(f"/api/v1/recordings/{recording.id}")
                    assert response.status_code == 200, response.text
                    body = response.json()
                    gaps = Counter((gap["camera"], gap["reason"]) for gap in body["gaps"])
                    expected = Counter(
                        (camera, "node_lost")
                        for (rid, camera) in moved_cameras
                        if rid == recording.id
                    )
                    assert gaps == expected, body["gaps"]
                    for gap in body["gaps"]:
                        assert gap["duration_s"] is not None, gap
                        assert gap["duration_s"] <= gap_limit_s, (gap, gap_limit_s)
                    for track in body["tracks"]:
                        archived = await fetch_track(client, track["playlist"])
                        key = (recording.id, track["camera"])
                        if key in read:  # decoded through the other node: the same bytes
                            assert [e.file() for e in archived.epochs] == read[key]
                            continue
                        epochs = 2 if key in moved_cameras else 1
                        frames = plays_back_whole(archived, source, epochs)
                        assert frames == track["frames"], (key, frames, track)
                        read[key] = [e.file() for e in archived.epochs]

        segments = await segment_rows(cluster)
        grants = await grant_rows(cluster)
        assert segments, "nothing was indexed"
        keys = Counter(
            (row["recording_id"], row["camera"], row["kind"], row["number"]) for row in segments
        )
        assert max(keys.values()) == 1, [key for key, n in keys.items() if n > 1]
        objects = Counter(row["object_key"] for row in segments)
        assert max(objects.values()) == 1, [key for key, n in objects.items() if n > 1]
        granted = {(g["courtroom_id"], g["node_id"], g["fence"]) for g in grants}
        for row in segments:
            assert (row["courtroom_id"], row["node_id"], row["fence"]) in granted, dict(row)
        for room in moved:
            takeover = next(
                g
                for g in grants
                if g["courtroom_id"] == room and g["granted_at"].timestamp() > killed_at
            )
            assert takeover["node_id"] != victim["id"], dict(takeover)
            late = [
                dict(row)
                for row in segments
                if row["courtroom_id"] == room
                and row["node_id"] == victim["id"]
                and row["stored_at"] > takeover["granted_at"]
            ]
            assert not late, f"the dead node indexed after the takeover: {late}"


@needs_postgresql
async def test_a_node_cut_off_from_postgresql_stops_first(
    tmp_path: Path, clip: Path, shared_store: dict[str, str], prompt_cameras: None
) -> None:
    host, port = suite_postgres()
    index = fresh_index()
    with tcp_proxy(host, port) as proxy:
        proxied = index.replace(f"@{host}:{port}/", f"@127.0.0.1:{proxy.port}/")
        with running_cluster(
            tmp_path, 2, shared_store, index_url=index, index_urls={0: proxied}, start=1
        ) as cluster:
            async with cluster.client(0) as client:
                recording = await start_recording(client, cameras=CAMERAS)
            cameras = cameras_of(recording, cluster.admin_token, clip, cluster.urls, first=0)
            await asyncio.gather(*(camera.start() for camera in cameras))
            cluster.start(1)  # node-2 joins once node-1 holds the courtroom
            await asyncio.sleep(4)
            room = recording.courtroom.id
            assert (await cluster.holders(1)).get(room) == "node-1"

            proxy.pause()
            paused_at = time.time()

            async def taken_by_node_2() -> bool:
                return (await cluster.holders(1)).get(room) == "node-2"

            await until(f"node-2 holds {room}\n{cluster.logs()}", taken_by_node_2, 15)
            print(f"node-2 took the courtroom {time.time() - paused_at:.2f} s after the cut")

            async def cameras_on_node_2() -> bool:
                return all(c.publications[-1].node == cluster.urls[1] for c in cameras)

            await until(f"cameras on node-2\n{cluster.logs()}", cameras_on_node_2, 30)
            await asyncio.sleep(4)  # node-2 records
            proxy.resume()

            async def node_1_back() -> bool:
                return "node-1" in {node["id"] for node in await cluster.nodes_view(1)}

            await until(f"node-1 reaches PostgreSQL again\n{cluster.logs()}", node_1_back, 15)
            async with cluster.client(0) as client:  # forwarded by node-1 to node-2
                stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
            assert stop.status_code == 200, f"{stop.text}\n{cluster.logs()}"
            for camera in cameras:
                await camera.close()
            node_1_log = cluster.nodes[0].log_path.read_text(errors="replace")

    let_go = re.search(
        rf"^(\S+ \S+) \w+ [\w.]+: letting go of courtroom {room}: (.*)$", node_1_log, re.M
    )
    assert let_go is not None, node_1_log  # node-1 says it stopped, and why
    assert "could not renew" in let_go.group(2), let_go.group(0)
    let_go_at = datetime.strptime(let_go.group(1), "%Y-%m-%d %H:%M:%S,%f").astimezone()
    gaps = Counter((gap["camera"], gap["reason"]) for gap in stop.json()["gaps"])
    assert gaps == Counter((camera, "node_lost") for camera in CAMERAS), (
        stop.json()["gaps"],
        [c.publications for c in cameras],
    )
    grants = [g for g in await grant_rows(cluster) if g["courtroom_id"] == room]
    takeover = next(g for g in grants if g["node_id"] == "node-2")
    segments = [row for row in await segment_rows(cluster) if row["courtroom_id"] == room]
    node_1 = [row for row in segments if row["node_id"] == "node-1"]
    node_2 = [row for row in segments if row["node_id"] == "node-2"]
    assert node_1, "node-1 indexed nothing before the cut"
    print(f"node-1 let go {(takeover['granted_at'] - let_go_at).total_seconds():.2f} s before")
    assert let_go_at < takeover["granted_at"], (let_go.group(0), dict(takeover))
    last_by_node_1 = max(row["stored_at"] for row in node_1)
    assert last_by_node_1 < takeover["granted_at"], (last_by_node_1, dict(takeover))
    assert {row["camera"] for row in node_2} == set(CAMERAS), "node-2 did not go on recording"
    assert all(row["fence"] == takeover["fence"] for row in node_2)


@pytest.mark.parametrize("setup", ["sqlite", "local store"])
def test_a_second_node_on_a_single_node_setup_refuses_to_start(tmp_path: Path, setup: str) -> None:
    on_postgresql = database_under_test() == "postgresql"
    if setup == "sqlite" and on_postgresql:
        pytest.skip("a second node on one SQLite index: runs in the SQLite pass")
    if setup == "local store" and not on_postgresql:
        pytest.skip("a second node on a local store: runs in the PostgreSQL pass")
    index = sqlite_url(tmp_path / "a" / "index.sqlite3") if setup == "sqlite" else fresh_index()
    first = configured_server(
        tmp_path / "a", {"COURTCAST_DATABASE_URL": index, "COURTCAST_NODE_ID": "node-1"}
    )
    second = configured_server(
        tmp_path / "b", {"COURTCAST_DATABASE_URL": index, "COURTCAST_NODE_ID": "node-2"}
    )
    first.start()
    try:
        second.launch()
        assert second.process is not None
        try:
            code = second.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            second.stop()
            raise AssertionError(f"the second node started:\n{second.log_tail()}") from None
    finally:
        first.stop()
    output = second.log_tail()
    assert code != 0, output
    assert "node-1" in output, output  # names the node it found


@needs_postgresql
async def test_whip_to_a_node_not_holding_the_courtroom_is_redirected(
    tmp_path: Path, clip: Path, shared_store: dict[str, str]
) -> None:
    with running_cluster(tmp_path, 2, shared_store) as cluster:
        async with cluster.client(0) as client:
            recording = await start_recording(client, cameras=CAMERAS)
        token = cluster.admin_token
        bench = WhipPublisher(clip, recording.whip_url(cluster.urls[0], "bench"), token)
        await bench.start()
        holder = (await cluster.holders(0))[recording.courtroom.id]
        other = cluster.urls[1 - cluster.index_of(holder)]
        holder_url = cluster.urls[cluster.index_of(holder)]
        path = f"/whip/{recording.courtroom.id}/witness"

        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                other + path,
                content=bench.last_offer_sdp.encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/sdp"},
            )
        assert response.status_code == 307, response.text
        assert response.headers["Location"] == holder_url + path

        witness = WhipPublisher(clip, other + path, token)
        await witness.start()  # follows the redirect, sending its offer and token again
        assert witness.redirects == [holder_url + path]
        assert witness.resource_url is not None
        assert witness.resource_url.startswith(holder_url + path + "/")
        await witness.close()
        await bench.close()


@needs_postgresql
@pytest.mark.parametrize("how", ["courtcast drain", "SIGTERM"])
async def test_a_drained_node_hands_its_courtroom_over(
    tmp_path: Path, clip: Path, shared_store: dict[str, str], prompt_cameras: None, how: str
) -> None:
    with running_cluster(tmp_path, 2, shared_store, start=1) as cluster:
        async with cluster.client(0) as client:
            recording = await start_recording(client, cameras=CAMERAS)
        cameras = cameras_of(recording, cluster.admin_token, clip, cluster.urls, first=0)
        await asyncio.gather(*(camera.start() for camera in cameras))
        cluster.start(1)
        await asyncio.sleep(4)  # node-1 records
        room = recording.courtroom.id
        assert (await cluster.holders(1)).get(room) == "node-1"

        drained_at = time.time()
        if how == "SIGTERM":
            assert cluster.stop(0) == 0, cluster.logs()
        else:
            drain = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "api.cli",
                "drain",
                "--node",
                "node-1",
                env=cluster.nodes[0].env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            said, _ = await drain.communicate()
            assert drain.returncode == 0, said.decode()
            assert f"{room} -> node-2" in said.decode(), said.decode()
        print(f"node-1 handed over ({how}) in {time.time() - drained_at:.2f} s")

        async def taken_by_node_2() -> bool:
            return (await cluster.holders(1)).get(room) == "node-2"

        await until(f"node-2 holds {room}\n{cluster.logs()}", taken_by_node_2, 15)

        async def cameras_on_node_2() -> bool:
            return all(c.publications[-1].node == cluster.urls[1] for c in cameras)

        await until(f"cameras on node-2\n{cluster.logs()}", cameras_on_node_2, 30)
        reconnect_s = max(c.publications[-1].published_at - drained_at for c in cameras)
        print(f"the cameras published on node-2 {reconnect_s:.2f} s after the drain began")
        await asyncio.sleep(4)  # node-2 records
        async with cluster.client(1) as client:
            stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        assert stop.status_code == 200, f"{stop.text}\n{cluster.logs()}"
        for camera in cameras:
            await camera.close()

        body = stop.json()
        gaps = Counter((gap["camera"], gap["reason"]) for gap in body["gaps"])
        assert gaps == Counter((camera, "handover") for camera in CAMERAS), body["gaps"]
        for gap in body["gaps"]:  # no gap beyond the cameras' reconnect (and the segment cut)
            assert gap["duration_s"] <= reconnect_s + SEGMENT_S, (gap, reconnect_s)
        source = source_slice_nals(str(clip))
        async with cluster.client(1) as client:
            for track in body["tracks"]:
                archived = await fetch_track(client, track["playlist"])
                assert plays_back_whole(archived, source, epochs=2) == track["frames"]
        segments = [row for row in await segment_rows(cluster) if row["courtroom_id"] == room]
        assert {row["node_id"] for row in segments} == {"node-1", "node-2"}
