"""The e-dossier package (电子卷宗): built from a recorded hearing by the route (ZIP) and the
command, checked offline by the verifier it carries, in a separate interpreter that has
nothing but that file, the package and the court's public key.

Run on the local object directory and on RGW.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from storage import evidence_verifier
from tests.integration.test_workers import nodes_of
from tests.support.archive import decode
from tests.support.cli import courtcast
from tests.support.clips import clip_fixture, make_clip
from tests.support.fixtures_api import create_hearing, start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

FPS = 30
clip = clip_fixture("camera.ts", seconds=10, width=640, height=360, fps=FPS, gop=30)


def check_offline(
    verifier: bytes, package: Path, key_pem: str, workdir: Path
) -> subprocess.CompletedProcess[str]:
    """`python -I verify_package.py` in an empty directory: no Courtcast, settings or server."""
    workdir.mkdir()
    (workdir / "verify_package.py").write_bytes(verifier)
    (workdir / "court.pem").write_text(key_pem)
    return subprocess.run(
        [sys.executable, "-I", "verify_package.py", str(package), "--public-key", "court.pem"],
        cwd=workdir,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def pem(keys: dict[str, Any], *, only_current: bool = False) -> str:
    """The PEM text of GET /api/v1/keys: every key, or the current one alone."""
    return "".join(k["public_key_pem"] for k in keys["keys"] if k["current"] or not only_current)


async def record_hearing(server: RunningServer, client: httpx.AsyncClient, clip: Path) -> str:
    """A hearing with a stopped recording, an edited transcript line and a marker."""
    recording = await start_recording(client)
    publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
    await publisher.start()
    await asyncio.sleep(7)
    now = datetime.now(UTC).isoformat()
    base = f"/api/v1/recordings/{recording.id}"
    line = await client.post(
        f"{base}/transcript", json={"at": now, "speaker_role": "审判长", "text": "现在开庭"}
    )
    assert line.status_code == 201, line.text
    edited = await client.put(
        f"{base}/transcript/{line.json()['id']}",
        json={"speaker_role": "审判长", "text": "现在开庭。"},
    )
    assert edited.status_code == 200, edited.text
    marker = await client.post(
        f"{base}/markers", json={"at": now, "kind": "note", "text": "证人入庭"}
    )
    assert marker.status_code == 201, marker.text
    stopped = await client.post(f"{base}/stop")
    await publisher.close()
    assert stopped.status_code == 200, stopped.text
    return recording.hearing_id


def signed_index(package: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((package / "package.json").read_bytes())["document"]
    return document


def manifest_objects(package: Path, recording_id: str) -> list[dict[str, Any]]:
    envelope = json.loads((package / f"recordings/{recording_id}/manifest.json").read_bytes())
    objects: list[dict[str, Any]] = envelope["document"]["tracks"]["bench"]["objects"]
    return objects


async def test_package_verifies_offline_names_each_tampering_and_survives_rotation(
    any_store_server: RunningServer, clip: Path, tmp_path: Path
) -> None:
    server = any_store_server
    async with server.client(timeout=120) as client:
        hearing_id, other_hearing_id = await asyncio.gather(
            record_hearing(server, client, clip), record_hearing(server, client, clip)
        )
        download = await client.get(f"/api/v1/hearings/{hearing_id}/package")
        keys = (await client.get("/api/v1/keys")).json()
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "application/zip"
    name = f"courtcast-hearing-{hearing_id}"
    assert f'filename="{name}.zip"' in download.headers["content-disposition"]
    zipped = tmp_path / f"{name}.zip"
    zipped.write_bytes(download.content)
    with zipfile.ZipFile(zipped) as archive:
        entries = archive.infolist()
        verifier = archive.read(f"{name}/verify_package.py")
    assert {e.compress_type for e in entries} == {zipfile.ZIP_STORED}
    assert all(e.filename.startswith(f"{name}/") for e in entries)
    assert verifier == Path(evidence_verifier.__file__).read_bytes()

    checked = check_offline(verifier, zipped, pem(keys), tmp_path / "check-zip")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith(f"OK {hearing_id}:"), checked.stdout

    # the command writes the same tree
    written = tmp_path / "dossier"
    other = tmp_path / "other-dossier"
    made = courtcast(server, "package", hearing_id, str(written))
    assert made.returncode == 0, made.stdout + made.stderr
    assert courtcast(server, "package", other_hearing_id, str(other)).returncode == 0
    assert courtcast(server, "package", hearing_id, str(written)).returncode == 2  # exists
    with zipfile.ZipFile(zipped) as archive:
        zip_paths = {e.filename.removeprefix(f"{name}/") for e in entries}
        for path in zip_paths - {"package.json"}:  # the index differs by its creation time
            assert archive.read(f"{name}/{path}") == (written / path).read_bytes(), path
    assert zip_paths == {
        p.relative_to(written).as_posix() for p in written.rglob("*") if p.is_file()
    }
    key_file = tmp_path / "court.pem"
    key_file.write_text(pem(keys))
    by_command = courtcast(server, "verify-package", str(written), "--public-key", str(key_file))
    assert by_command.returncode == 0 and by_command.stdout.startswith(f"OK {hearing_id}:")

    # what the package says about the hearing
    index = signed_index(written)
    [listed] = index["recordings"]
    recording_id = listed["id"]
    hearing = json.loads((written / "hearing.json").read_text())
    assert hearing["case"]["number"].startswith("(2026)湘04民初")
    assert hearing["timezone"] == "Asia/Shanghai"
    assert hearing["recordings"][0]["started_at"]["local"].endswith("+08:00")
    [line] = json.loads((written / "transcript.json").read_text())["lines"]
    assert [r["text"] for r in line["revisions"]] == ["现在开庭", "现在开庭。"]
    [marker] = json.loads((written / "markers.json").read_text())["markers"]
    assert marker["text"] == "证人入庭"
    assert "电子卷宗" in (written / "README.txt").read_text()

    # the MP4 plays: every archived picture, as long as the segments say
    objects = manifest_objects(written, recording_id)
    segments = [o for o in objects if o["type"] == "segment"]
    decoded = decode((written / f"video/{recording_id}/bench.mp4").read_bytes())
    assert decoded.video_frames == sum(s["frames"] for s in segments)
    duration = sum(s["duration_s"] for s in segments)
    assert abs(decoded.video_frames - duration * FPS) <= 2, (decoded.video_frames, duration)
    assert decoded.audio_frames > 0

    # tampering, each named on its own line
    tampered = tmp_path / "tampered"
    shutil.copytree(written, tampered)
    first, second, third, fourth = (
        f"recordings/{recording_id}/bench/{s['key'].rsplit('/', 1)[1]}" for s in segments[:4]
    )
    (tampered / first).unlink()
    altered = bytearray((tampered / second).read_bytes())
    altered[len(altered) // 2] ^= 0x01
    (tampered / second).write_bytes(bytes(altered))
    third_bytes = (tampered / third).read_bytes()
    (tampered / third).write_bytes((tampered / fourth).read_bytes())
    (tampered / fourth).write_bytes(third_bytes)
    foreign = signed_index(other)["recordings"][0]["id"]
    manifest = f"recordings/{recording_id}/manifest.json"
    shutil.copy(other / f"recordings/{foreign}/manifest.json", tampered / manifest)
    (tampered / "evidence-note.txt").write_text("extra")
    result = check_offline(verifier, tampered, pem(keys), tmp_path / "check-tampered")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert f"MISSING {first}: listed in the signed index" in lines, lines
    assert any(line.startswith(f"ALTERED {second}: SHA-256 ") for line in lines), lines
    assert f"REORDERED {third}: holds the bytes of {fourth}" in lines, lines
    assert f"REORDERED {fourth}: holds the bytes of {third}" in lines, lines
    assert any(line.startswith(f"ALTERED {manifest}: SHA-256 ") for line in lines), lines
    assert "EXTRA evidence-note.txt: not in the signed index" in lines, lines
    assert len(lines) == 6, lines

    # after a rotation: the old package with the key list, a new one with the new key alone
    rotated = courtcast(server, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    async with server.client(timeout=120) as client:
        after = await client.get(f"/api/v1/hearings/{hearing_id}/package")
        keys_after = (await client.get("/api/v1/keys")).json()
    assert after.status_code == 200, after.text
    assert len(keys_after["keys"]) == 2
    newer = tmp_path / "newer.zip"
    newer.write_bytes(after.content)
    current_only = pem(keys_after, only_current=True)
    old_with_all = check_offline(verifier, zipped, pem(keys_after), tmp_path / "check-old")
    new_with_current = check_offline(verifier, newer, current_only, tmp_path / "check-new")
    old_with_current = check_offline(verifier, zipped, current_only, tmp_path / "check-old-new")
    assert old_with_all.returncode == 0, old_with_all.stdout + old_with_all.stderr
    assert new_with_current.returncode == 0, new_with_current.stdout + new_with_current.stderr
    assert old_with_current.returncode == 1
    assert old_with_current.stdout.startswith("UNVERIFIED package.json: signed with key ")


async def test_only_judges_and_clerks_download_and_nothing_unfinished_or_unsigned_is_packaged(
    server: RunningServer, clip: Path, tmp_path: Path
) -> None:
    async with server.client(timeout=120) as admin:
        tokens = {}
        for role in ("judge", "clerk", "operator"):
            made = await admin.post("/api/v1/tokens", json={"role": role, "name": f"{role} 甲"})
            tokens[role] = made.json()
        running = await start_recording(admin)
        sealed = await create_hearing(admin, running.courtroom.id, visibility="sealed")
        recorded = await record_hearing(server, admin, clip)

    # one process: packages are built one at a time per worker process, and with worker
    # processes on the shared port could hand the two concurrent requests to two of them
    (one, *_) = [node["url"] for node in await nodes_of(server)]

    async def get(role: str, hearing_id: str) -> httpx.Response:
        async with server.client(tokens[role]["token"], timeout=120) as client:
            return await client.get(f"{one}/api/v1/hearings/{hearing_id}/package")

    assert (await get("operator", recorded)).status_code == 403
    assert (await get("clerk", recorded)).status_code == 200
    # one package is built at a time: a second asked meanwhile is told to come back
    both = await asyncio.gather(get("clerk", recorded), get("judge", recorded))
    assert sorted(answer.status_code for answer in both) == [200, 429], [a.text for a in both]
    [later] = [answer for answer in both if answer.status_code == 429]
    assert later.headers["retry-after"] == "60" and "another package" in later.json()["detail"]
    assert (await get("judge", sealed)).status_code == 404  # not assigned: it does not exist
    async with server.client(timeout=120) as admin:
        assigned = await admin.post(
            f"/api/v1/hearings/{sealed}/assignments", json={"token_id": tokens["judge"]["id"]}
        )
        assert assigned.status_code == 201, assigned.text
    assert (await get("judge", sealed)).status_code == 200

    busy = await get("judge", running.hearing_id)
    assert busy.status_code == 409
    assert "still running" in busy.json()["detail"]
    refused = courtcast(server, "package", running.hearing_id, str(tmp_path / "busy"))
    assert refused.returncode == 1 and "still running" in refused.stderr
    assert not (tmp_path / "busy").exists()

    # a segment changed behind the court's back: no package, an audit entry says why
    [segment, *_] = sorted((server.data_dir / "objects").rglob("seg-*.m4s"))
    segment.write_bytes(segment.read_bytes()[:-1] + b"\0")
    mismatch = await get("judge", recorded)
    assert mismatch.status_code == 409, mismatch.text
    assert segment.name in mismatch.json()["detail"]
    by_command = courtcast(server, "package", recorded, str(tmp_path / "refused"))
    assert by_command.returncode == 1 and segment.name in by_command.stderr
    assert not (tmp_path / "refused").exists()
    async with server.client() as admin:
        log = await admin.get("/api/v1/audit", params={"action": "package_refused"})
    entries = log.json()["items"]
    assert len(entries) == 2, entries
    assert {entry["role"] for entry in entries} == {"judge", "admin"}


async def test_every_camera_is_packaged_and_a_vp8_camera_plays_as_webm(
    server: RunningServer, clip: Path, tmp_path: Path
) -> None:
    vp8 = make_clip(
        tmp_path / "vp8.webm", seconds=10, width=640, height=360, fps=FPS, gop=30, codec="vp8"
    )
    async with server.client() as client:
        recording = await start_recording(client, cameras=["bench", "witness"])
        publishers = [
            WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token),
            WhipPublisher(
                vp8,
                recording.whip_url(server.base_url, "witness"),
                server.admin_token,
                video_codec="vp8",
            ),
        ]
        await asyncio.gather(*(publisher.start() for publisher in publishers))
        await asyncio.sleep(6)
        stopped = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await asyncio.gather(*(publisher.close() for publisher in publishers))
        keys = (await client.get("/api/v1/keys")).json()
    assert stopped.status_code == 200, stopped.text
    package = tmp_path / "dossier"
    made = courtcast(server, "package", recording.hearing_id, str(package))
    assert made.returncode == 0, made.stdout + made.stderr

    envelope = json.loads((package / f"recordings/{recording.id}/manifest.json").read_bytes())
    tracks = envelope["document"]["tracks"]
    assert set(tracks) == {"bench", "witness"}
    for camera, extension in (("bench", "mp4"), ("witness", "webm")):
        frames = sum(o["frames"] for o in tracks[camera]["objects"] if o["type"] == "segment")
        video = package / f"video/{recording.id}/{camera}.{extension}"
        assert decode(video.read_bytes()).video_frames == frames > 3 * FPS, camera
    verifier = (package / "verify_package.py").read_bytes()
    checked = check_offline(verifier, package, pem(keys), tmp_path / "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    count = sum(len(track["objects"]) for track in tracks.values())
    assert f"1 recordings, {count} archived objects match" in checked.stdout, checked.stdout
