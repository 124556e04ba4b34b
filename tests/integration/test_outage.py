"""The object store goes away: nothing is lost, the backlog drains in order, operators are told."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import websockets

from tests.conftest import s3_env
from tests.fixtures.s3_server import S3Server
from tests.support.archive import decode, fetch_track
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer, running_server

FPS = 30
BEFORE_S = 6  # three 2 s segments stored before the outage: the index has something to show
OUTAGE_S = 30
AFTER_S = 4


clip = clip_fixture("camera.ts", seconds=50, width=640, height=360, fps=FPS, gop=30, detail=True)


def metric(exposition: str, name: str) -> float:
    """The value of an unlabelled sample in Prometheus text format."""
    line = next(line for line in exposition.splitlines() if line.startswith(name + " "))
    return float(line.split()[1])


def segment_numbers(playlist: str) -> list[int]:
    names = [line for line in playlist.splitlines() if line.startswith("segments/seg-")]
    return [int(name.split("seg-")[1].split(".")[0]) for name in names]


async def metrics_where_held(client: httpx.AsyncClient, courtroom_id: str) -> httpx.Response:
    """`/metrics`, as the administrator, of the node holding the courtroom: each node and
    worker process has its own registry, so Prometheus scrapes each at its own URL (as
    `GET /api/v1/nodes` lists them); the shared port answers for whichever took the call."""
    nodes = (await client.get("/api/v1/nodes")).json()
    url = next(node["url"] for node in nodes if courtroom_id in node["courtrooms"])
    return await client.get(f"{url}/metrics")


async def test_thirty_second_store_outage_loses_no_frame(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path, clip: Path
) -> None:
    with running_server(tmp_path / "data", s3_env(s3_server, s3_bucket)) as server:
        async with server.client() as client:
            recording = await start_recording(client)
            playlist_url = f"/api/v1/recordings/{recording.id}/cameras/bench/playlist.m3u8"
            publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
            await publisher.start()
            await asyncio.sleep(BEFORE_S)
            s3_server.pause()
            try:
                await asyncio.sleep(OUTAGE_S)
                during = await client.get(playlist_url)
                health = await client.get("/healthz")
                metrics = await metrics_where_held(client, recording.courtroom.id)
            finally:
                s3_server.resume()
            await asyncio.sleep(AFTER_S)
            stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
            await publisher.close()
            assert stop.status_code == 200, stop.text
            track = stop.json()["tracks"][0]
            archived = await fetch_track(client, track["playlist"])

    assert health.status_code == 503, health.text
    assert health.json()["object_store"].startswith("error"), health.text
    assert metrics.status_code == 200, metrics.text
    assert metric(metrics.text, "courtcast_upload_backlog_segments") > 5, metrics.text
    # the index kept answering from what was stored before the outage, without a hole
    assert during.status_code == 200, during.text
    stored_during = segment_numbers(during.text)
    assert len(stored_during) >= 2, during.text
    assert stored_during == list(range(1, len(stored_during) + 1)), "a hole during the outage"
    assert segment_numbers(archived.playlist) == list(range(1, track["segments"] + 1))
    assert track["segments"] > len(stored_during) + 10  # the backlog did drain
    assert stop.json()["gaps"] == []
    frames = sum(decode(epoch.file()).video_frames for epoch in archived.epochs)
    assert frames == track["frames"]
    assert abs(frames - archived.duration_s * FPS) <= 1, (frames, archived.duration_s)
    # every second while the store was away
    assert archived.duration_s >= BEFORE_S + OUTAGE_S + AFTER_S - 1.5


async def test_spool_limit_warns_long_before_anything_is_dropped(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path, clip: Path
) -> None:
    limit = 8_000_000  # about 25 s of this 2.5 Mbit/s camera; the last quarter ~6 s
    env = {**s3_env(s3_server, s3_bucket), "COURTCAST_SPOOL_MAX_BYTES": str(limit)}
    with running_server(tmp_path / "data", env) as server:
        async with server.client() as client:
            recording = await start_recording(client)
            events_url = server.base_url.replace("http", "ws") + "/api/v1/events"
            async with websockets.connect(
                events_url, additional_headers={"Authorization": f"Bearer {server.admin_token}"}
            ) as events:
                s3_server.pause()
                try:
                    publisher = WhipPublisher(
                        clip, recording.whip_url(server.base_url), server.admin_token
                    )
                    await publisher.start()
                    raised = await _alarm_sequence(events, until="spool_full", timeout_s=60)
                    metrics = (await client.get("/metrics")).text
                finally:
                    s3_server.resume()
            stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
            await publisher.close()
            assert stop.status_code == 200, stop.text
            stopped = stop.json()
            track = stopped["tracks"][0]
            archived = await fetch_track(client, track["playlist"])

    kinds = [kind for kind, _ in raised]
    assert kinds.index("spool_filling") < kinds.index("spool_full")
    filling_at = next(when for kind, when in raised if kind == "spool_filling")
    full_at = next(when for kind, when in raised if kind == "spool_full")
    # segments arrive 2 s at a time: the last quarter of the spool is at least two of them
    assert full_at - filling_at >= 3.5, "the warning must leave operators time to act"
    assert 'courtcast_alarms_active{kind="spool_full"} 1' in metrics
    gaps = [gap for gap in stopped["gaps"] if gap["reason"] == "spool_full"]
    assert len(gaps) == 1 and gaps[0]["camera"] == "bench"
    # what was recorded before the limit is all there and decodes
    frames = sum(decode(epoch.file()).video_frames for epoch in archived.epochs)
    assert frames == track["frames"] > 18 * FPS


async def test_silent_camera_raises_an_alarm_within_two_seconds(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        await asyncio.sleep(2)
        assert (await client.get("/api/v1/alarms")).json() == []
        events_url = server.base_url.replace("http", "ws") + "/api/v1/events"
        async with websockets.connect(
            events_url, additional_headers={"Authorization": f"Bearer {server.admin_token}"}
        ) as events:
            await publisher.close(hang_up=False)  # the camera's cable is pulled
            raised = await _alarm_sequence(events, until="no_frames", timeout_s=4)
        alarms = (await client.get("/api/v1/alarms")).json()
        await client.post(f"/api/v1/recordings/{recording.id}/stop")
    assert [kind for kind, _ in raised] == ["no_frames"]
    assert alarms[0]["kind"] == "no_frames"
    assert alarms[0]["details"] == {"camera": "bench"}
    assert alarms[0]["courtroom_id"] == recording.courtroom.id
    assert alarms[0]["hearing_id"] == recording.hearing_id


async def _alarm_sequence(
    events: websockets.ClientConnection, *, until: str, timeout_s: float
) -> list[tuple[str, float]]:
    """Alarm kinds raised, with the loop time they arrived, up to and including `until`."""
    loop = asyncio.get_running_loop()
    raised: list[tuple[str, float]] = []
    async with asyncio.timeout(timeout_s):
        while not raised or raised[-1][0] != until:
            event = json.loads(await events.recv())
            if event["type"] == "alarm.raised":
                raised.append((event["alarm"]["kind"], loop.time()))
    return raised
