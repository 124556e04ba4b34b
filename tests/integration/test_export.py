"""A judge exports a certified clip: it decodes, covers the range, and its proof checks out."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from storage.evidence_verifier import canonical_json
from tests.support.archive import decode
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

FPS = 30
clip = clip_fixture("camera.ts", seconds=14, width=640, height=360, fps=FPS, gop=30)


async def test_exported_clip_decodes_covers_the_range_and_is_certified(
    any_store_server: RunningServer, clip: Path
) -> None:
    server = any_store_server
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        await asyncio.sleep(9)
        stopped = (await client.post(f"/api/v1/recordings/{recording.id}/stop")).json()
        await publisher.close()
        track = stopped["tracks"][0]
        start = datetime.fromisoformat(track["first_segment_at"]) + timedelta(seconds=2.5)
        end = start + timedelta(seconds=3)
        span = {"from": start.isoformat(), "to": end.isoformat()}
        base = f"/api/v1/recordings/{recording.id}/cameras/bench"
        mp4 = await client.get(f"{base}/export.mp4", params=span)
        proof = await client.get(f"{base}/export.json", params=span)
        crossing = await client.get(
            f"{base}/export.mp4", params={"from": end.isoformat(), "to": start.isoformat()}
        )
    assert mp4.status_code == 200, mp4.text
    assert mp4.headers["content-type"] == "video/mp4"
    decoded = decode(mp4.content)
    # from the keyframe starting the segment that holds `from` (at most 2 s earlier) to `to`
    assert 3 * FPS <= decoded.video_frames <= 5 * FPS + 1, decoded.video_frames
    assert decoded.audio_frames > 3 * 40
    assert mp4.headers["x-courtcast-clip-sha256"] == hashlib.sha256(mp4.content).hexdigest()

    envelope = proof.json()
    statement = envelope["manifest"]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(envelope["public_key"]))
    key.verify(base64.b64decode(envelope["signature"]), canonical_json(statement))
    assert statement["clip"]["sha256"] == hashlib.sha256(mp4.content).hexdigest()
    assert statement["recording_manifest_sha256"] == stopped["manifest_sha256"]
    assert len(statement["sources"]) in (2, 3)
    assert crossing.status_code == 422 and "end" in json.loads(crossing.text)["detail"]
