"""Segments of a hearing that is not public are sent so that no cache keeps them.

On the local directory the API sends the bytes itself; on S3 it redirects to a presigned URL,
and both the redirect and the store's answer must say `private, no-store`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.support.clips import clip_fixture
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

clip = clip_fixture("camera.ts", seconds=8, width=320, height=180, fps=15, gop=15)


async def segment_answers(
    server: RunningServer, client: httpx.AsyncClient, clip: Path, visibility: str
) -> list[httpx.Response]:
    """Record a few seconds of a hearing, then fetch its first init and media segment by link
    as a player would: the API's answer, and the store's when the API redirects."""
    courtroom = await create_courtroom(client, ["bench"])
    hearing_id = await create_hearing(client, courtroom.id, visibility=visibility)
    started = await client.post(f"/api/v1/hearings/{hearing_id}/recordings")
    assert started.status_code == 201, started.text
    recording_id = started.json()["id"]
    publisher = WhipPublisher(
        clip, f"{server.base_url}/whip/{courtroom.id}/bench", server.admin_token
    )
    await publisher.start()
    await asyncio.sleep(5)
    assert (await client.post(f"/api/v1/recordings/{recording_id}/stop")).status_code == 200
    await publisher.close()
    playlist_url = f"/api/v1/recordings/{recording_id}/cameras/bench/playlist.m3u8"
    playlist = await client.get(playlist_url)
    assert playlist.status_code == 200, playlist.text
    init = playlist.text.split('URI="', 1)[1].split('"', 1)[0]
    media = next(line for line in playlist.text.splitlines() if line.startswith("segments/"))
    answers = []
    async with httpx.AsyncClient(timeout=30) as player:  # no token: the signed link alone
        for link in (init, media):
            answer = await player.get(server.base_url + playlist_url.rsplit("/", 1)[0] + "/" + link)
            answers.append(answer)
            if answer.status_code == 307:
                answers.append(await player.get(answer.headers["location"]))
    return answers


def expected_statuses(server: RunningServer) -> list[int]:
    """S3: a redirect to a presigned URL and the store's answer, for each of the two links."""
    return [307, 200, 307, 200] if "COURTCAST_S3_ENDPOINT" in server.env else [200, 200]


@pytest.mark.parametrize("visibility", ["restricted", "sealed"])
async def test_segments_of_non_public_hearings_are_not_kept(
    any_store_server: RunningServer, clip: Path, visibility: str
) -> None:
    async with any_store_server.client() as client:
        answers = await segment_answers(any_store_server, client, clip, visibility)
    assert [a.status_code for a in answers] == expected_statuses(any_store_server)
    for answer in answers:
        assert answer.headers["cache-control"] == "private, no-store", answer.url
    assert answers[-1].content[4:8] in (b"styp", b"moof")  # the media segment's bytes


async def test_segments_of_public_hearings_may_be_cached(
    any_store_server: RunningServer, clip: Path
) -> None:
    async with any_store_server.client() as client:
        answers = await segment_answers(any_store_server, client, clip, "public")
    assert [a.status_code for a in answers] == expected_statuses(any_store_server)
    for answer in answers:
        assert "no-store" not in answer.headers.get("cache-control", ""), answer.url
    assert answers[-1].content[4:8] in (b"styp", b"moof")
