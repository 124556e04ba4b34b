"""LL-HLS asked of a node that does not hold the courtroom: forwarded to the holder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import s3_env
from tests.fixtures.postgres_server import database_under_test
from tests.fixtures.s3_server import S3Server
from tests.integration.test_ll_hls import blocked_for_hint, until_parts
from tests.support.clips import clip_fixture
from tests.support.cluster import running_cluster
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher

pytestmark = pytest.mark.skipif(
    database_under_test() != "postgresql",
    reason="several nodes share one PostgreSQL: runs in the PostgreSQL pass",
)
clip = clip_fixture("ll-nodes.ts", seconds=20, width=320, height=240, fps=30, gop=60)


async def test_the_other_node_answers_the_holders_parts(
    tmp_path: Path, clip: Path, s3_server: S3Server, s3_bucket: str
) -> None:
    with running_cluster(tmp_path, 2, s3_env(s3_server, s3_bucket)) as cluster:
        async with cluster.client(0) as first:
            recording = await start_recording(first)
        holders = await cluster.holders(0)
        held_by = cluster.index_of(holders[recording.courtroom.id])
        other = 1 - held_by
        publisher = WhipPublisher(
            clip, recording.whip_url(cluster.urls[other]), cluster.admin_token
        )
        await publisher.start()  # follows the 307 to the holder
        url = f"/live/{recording.hearing_id}/bench/playlist.m3u8"
        try:
            async with cluster.client(other) as elsewhere:
                elsewhere.headers.pop("authorization")  # the public
                text = await until_parts(elsewhere, url)
                msn, part = await blocked_for_hint(elsewhere, url, text)
                fetched = await elsewhere.get(
                    f"/live/{recording.hearing_id}/bench/ll/{msn}.{part}.m4s"
                )
                assert fetched.status_code == 200 and len(fetched.content) > 100
        finally:
            await publisher.close()
