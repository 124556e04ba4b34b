"""Retention and legal hold reach the real store: RGW itself refuses to delete the record."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from minio import Minio
from minio.error import S3Error

from storage.audit_checkpoints import PREFIX as AUDIT_CHECKPOINTS
from tests.conftest import s3_env
from tests.fixtures.s3_server import S3Server
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import StartedRecording, start_recording
from tests.support.publisher import WhipPublisher
from tests.support.s3_objects import minio_client, object_lock, version_ids
from tests.support.server import RunningServer, running_server

clip = clip_fixture("camera.ts", seconds=8, width=320, height=180, fps=30, gop=30)


Midway = Callable[[httpx.AsyncClient, str], Awaitable[None]]


async def record(
    server: RunningServer, clip: Path, case_type: str, midway: Midway | None = None
) -> tuple[str, dict]:
    """Five seconds of one camera, stopped and sealed: (the case id, the recording JSON).

    `midway` runs with the case id after 2.5 s, while segments are still being stored.
    """
    async with server.client() as client:
        recording = await start_recording(client, case_type=case_type)
        case_id = await case_of(client, recording)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        await asyncio.sleep(2.5)
        if midway is not None:
            await midway(client, case_id)
        await asyncio.sleep(2.5)
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await publisher.close()
    assert stop.status_code == 200, stop.text
    stopped: dict = stop.json()
    assert stopped["tracks"][0]["segments"] >= 2, stopped
    assert stopped["manifest_sha256"], stopped
    return case_id, stopped


async def case_of(client: httpx.AsyncClient, recording: StartedRecording) -> str:
    hearing = await client.get(f"/api/v1/hearings/{recording.hearing_id}")
    case_id: str = hearing.json()["case_id"]
    return case_id


def stored_keys(client: Minio, bucket: str) -> list[str]:
    """The recording's objects in the test's own bucket: init and media segments and the
    manifest (the audit log's checkpoints beside them keep their own retention)."""
    keys = [
        str(obj.object_name)
        for obj in client.list_objects(bucket, recursive=True)
        if not str(obj.object_name).startswith(AUDIT_CHECKPOINTS)
    ]
    assert any(key.endswith(".m4s") for key in keys), keys
    assert any(key.endswith(".json") for key in keys), keys
    return keys


async def test_criminal_recording_is_kept_thirty_years_under_compliance(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path, clip: Path
) -> None:
    with running_server(tmp_path / "data", s3_env(s3_server, s3_bucket)) as server:
        _, stopped = await record(server, clip, "criminal")

    started = datetime.fromisoformat(stopped["started_at"])
    until = datetime.fromisoformat(stopped["retain_until"])
    assert stopped["retention_class"] == "criminal"
    assert until == started.replace(year=started.year + 30)
    with minio_client(s3_server) as client:
        for key in stored_keys(client, s3_bucket):
            lock = object_lock(client, s3_bucket, key)
            assert lock.mode == "COMPLIANCE", key
            assert lock.retain_until is not None
            assert abs(lock.retain_until - until) < timedelta(seconds=1), key
            (version,) = version_ids(client, s3_bucket, key)
            with pytest.raises(S3Error) as refused:
                client.remove_object(s3_bucket, key, version_id=version)
            assert refused.value.code == "AccessDenied", key


async def set_hold(client: httpx.AsyncClient, case_id: str, on: bool) -> None:
    response = await client.put(f"/api/v1/cases/{case_id}/legal-hold", json={"on": on})
    assert response.status_code == 200, response.text
    assert response.json()["legal_hold"] is on


async def test_legal_hold_covers_stored_and_new_objects_of_the_case(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path, clip: Path
) -> None:
    """The hold is placed mid-recording: segments already stored get it from the hold call,
    the later ones and the manifest as they are written."""

    async def hold_on(client: httpx.AsyncClient, case_id: str) -> None:
        await set_hold(client, case_id, True)

    with running_server(tmp_path / "data", s3_env(s3_server, s3_bucket)) as server:
        case_id, stopped = await record(server, clip, "civil", midway=hold_on)
        assert stopped["retention_class"] == "civil"
        with minio_client(s3_server) as s3:
            keys = stored_keys(s3, s3_bucket)
            for key in keys:
                lock = object_lock(s3, s3_bucket, key)
                assert lock.legal_hold and lock.mode == "GOVERNANCE", key
            async with server.client() as client:
                await set_hold(client, case_id, False)
            assert not any(object_lock(s3, s3_bucket, key).legal_hold for key in keys)


async def test_unknown_case_type_and_case_are_refused(server: RunningServer) -> None:
    async with server.client() as client:
        bad = await client.post(
            "/api/v1/cases", json={"number": "x-1", "title": "t", "case_type": "maritime"}
        )
        missing = await client.put("/api/v1/cases/nope/legal-hold", json={"on": True})
    assert missing.status_code == 404, missing.text
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"] == (
        "unknown case_type 'maritime'; one of: civil, criminal, default"
    )
