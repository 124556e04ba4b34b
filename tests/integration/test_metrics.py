"""/metrics after one recording watched live: the exposition parses, and each of the four
waits a court's monitoring alerts on (WHIP answer, segment indexed, upload, viewer join) was
timed at least once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.clips import clip_fixture
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer
from tests.support.viewer import WhepClient, wait_until

HISTOGRAMS = ("whip_answer", "segment_indexed", "upload", "viewer_join")

clip = clip_fixture("metrics.ts", seconds=12, width=320, height=180, fps=30, gop=30)


async def test_one_recording_is_timed_at_every_step(server: RunningServer, clip: Path) -> None:
    async with server.client() as client:
        courtroom = await create_courtroom(client, ["bench"])
        hearing_id = await create_hearing(client, courtroom.id)
        opened = await client.patch(f"/api/v1/hearings/{hearing_id}", json={"status": "in_session"})
        assert opened.status_code == 200, opened.text
        started = await client.post(f"/api/v1/hearings/{hearing_id}/recordings")
        assert started.status_code == 201, started.text
        publisher = WhipPublisher(
            clip, f"{server.base_url}/whip/{courtroom.id}/bench", server.admin_token
        )
        await publisher.start()
        viewer = WhepClient(f"{server.base_url}/whep/{hearing_id}/bench", server.admin_token)
        try:
            await viewer.start()
            await wait_until(lambda: viewer.first_frame_at is not None, 5, "the viewer's frame")
            await asyncio.sleep(3)  # a 2 s segment closes, is stored and indexed
            stopped = await client.post(f"/api/v1/recordings/{started.json()['id']}/stop")
            assert stopped.status_code == 200, stopped.text
            metrics = await client.get("/metrics")
        finally:
            await viewer.close()
            await publisher.close()

    assert metrics.status_code == 200, metrics.text
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {family.name: family for family in text_string_to_metric_families(metrics.text)}
    for name in HISTOGRAMS:
        family = families[f"courtcast_{name}_seconds"]
        assert family.type == "histogram", family
        count = next(s.value for s in family.samples if s.name.endswith("_count"))
        assert count > 0, f"courtcast_{name}_seconds was never observed"
    stored = families["courtcast_objects_stored"].samples
    assert next(s.value for s in stored if s.name == "courtcast_objects_stored_total") >= 2
    assert families["courtcast_spool_writes_behind"].samples[0].value == 0  # stop waited for it
    assert started.json()["id"] not in metrics.text and hearing_id not in metrics.text
