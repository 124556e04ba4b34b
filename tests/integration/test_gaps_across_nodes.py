"""A camera away while its courtroom moves to another node (PostgreSQL pass): the archive
shows the one gap it left with, ended where it came back on the node that took the
recording over, beside the moved cameras' `handover` gaps.

The gap is opened by the node the camera left; only the node that goes on recording sees it
come back, so that node must await gaps it did not open.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

from tests.integration.test_nodes import (
    CAMERAS,
    SEGMENT_S,
    cameras_of,
    clip,
    needs_postgresql,
    prompt_cameras,
    shared_store,
    until,
)
from tests.support.cluster import running_cluster
from tests.support.fixtures_api import start_recording
from tests.support.publisher import RetryingPublisher

__all__ = ["clip", "prompt_cameras", "shared_store"]  # fixtures used by name


@needs_postgresql
async def test_a_camera_away_across_a_handover_has_one_gap_ended_at_its_return(
    tmp_path: Path, clip: Path, shared_store: dict[str, str], prompt_cameras: None
) -> None:
    with running_cluster(tmp_path, 2, shared_store, start=1) as cluster:
        async with cluster.client(0) as client:
            recording = await start_recording(client, cameras=CAMERAS)
        room = recording.courtroom.id
        bench, witness = cameras_of(recording, cluster.admin_token, clip, cluster.urls, first=0)
        await asyncio.gather(bench.start(), witness.start())
        cluster.start(1)
        await asyncio.sleep(4)  # node-1 records both
        assert (await cluster.holders(1)).get(room) == "node-1"

        left_at = time.time()
        await witness.close()  # node-1 opens the witness camera's gap
        await asyncio.sleep(2)
        assert cluster.stop(0) == 0, cluster.logs()  # SIGTERM: node-1 hands the room over

        async def bench_on_node_2() -> bool:
            holder = (await cluster.holders(1)).get(room)
            return holder == "node-2" and bench.publications[-1].node == cluster.urls[1]

        await until(f"node-2 records the bench camera\n{cluster.logs()}", bench_on_node_2, 30)
        witness_back = RetryingPublisher(
            clip, cluster.urls, f"/whip/{room}/{CAMERAS[1]}", cluster.admin_token, first=1
        )
        await witness_back.start()
        back_at = witness_back.publications[-1].published_at
        await asyncio.sleep(4)  # node-2 records both
        async with cluster.client(1) as client:
            stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        assert stop.status_code == 200, f"{stop.text}\n{cluster.logs()}"
        await asyncio.gather(bench.close(), witness_back.close())

    gaps = stop.json()["gaps"]
    reasons = Counter((gap["camera"], gap["reason"]) for gap in gaps)
    assert reasons == Counter({("bench", "handover"): 1, ("witness", "publisher_left"): 1}), gaps
    (away,) = [gap for gap in gaps if gap["camera"] == "witness"]
    assert away["duration_s"] is not None, away  # ended at its return, not left open
    away_s = back_at - left_at
    assert away_s - 1.0 <= away["duration_s"] <= away_s + SEGMENT_S, (away, away_s)
