"""What the public sees live: access codes, sealed hearings, the kill switch, delay, live HLS."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from tests.support.archive import decode
from tests.support.clips import clip_fixture
from tests.support.fixtures_api import create_courtroom, create_hearing, start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer
from tests.support.viewer import WhepClient

FPS = 30
DELAY_SLACK_S = 0.5  # decode and scheduling jitter between two viewers on a loaded machine
FIRST_FRAME_SLACK_S = 3.0  # ICE, DTLS and the wait for a keyframe (a GOP is 1 s)
clip = clip_fixture("numbered.ts", seconds=40, width=640, height=360, fps=FPS, gop=30)


def media_sequence(playlist: str) -> int:
    tag = "#EXT-X-MEDIA-SEQUENCE:"
    return int(next(line for line in playlist.splitlines() if line.startswith(tag))[len(tag) :])


async def frames_after(viewer: WhepClient, seconds: float) -> int:
    await asyncio.sleep(seconds)
    return viewer.video_frames


async def test_restricted_needs_a_valid_code_within_its_limit_and_sealed_is_not_there(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as client:
        room = await create_courtroom(client, ["bench"])
        restricted = await create_hearing(client, room.id, visibility="restricted")
        sealed = await create_hearing(client, room.id, visibility="sealed")
        public = await create_hearing(client, room.id)
        opened = await client.patch(f"/api/v1/hearings/{restricted}", json={"status": "in_session"})
        assert opened.status_code == 200, opened.text  # the room's hearing in session
        publisher = WhipPublisher(
            clip, f"{server.base_url}/whip/{room.id}/bench", server.admin_token
        )
        await publisher.start()
        whep = f"{server.base_url}/whep/{restricted}/bench"
        try:
            offering = WhepClient(whep)
            offer = await offering.offer()
            await offering.close()
            async with httpx.AsyncClient(base_url=server.base_url) as anonymous:
                no_code = await anonymous.post(
                    f"/whep/{restricted}/bench",
                    content=offer,
                    headers={"Content-Type": "application/sdp"},
                )
                wrong = await anonymous.post(
                    f"/whep/{restricted}/bench?code=00000-00000",
                    content=offer,
                    headers={"Content-Type": "application/sdp"},
                )
                hidden = await anonymous.post(
                    f"/whep/{sealed}/bench",
                    content=offer,
                    headers={"Content-Type": "application/sdp"},
                )
                unknown = await anonymous.post(
                    "/whep/no-such-hearing/bench",
                    content=offer,
                    headers={"Content-Type": "application/sdp"},
                )
                sealed_live = await anonymous.get(f"/live/{sealed}/bench/playlist.m3u8")
            assert no_code.status_code == 401 and "access code" in no_code.json()["detail"]
            assert wrong.status_code == 403, wrong.text
            assert hidden.status_code == unknown.status_code == sealed_live.status_code == 404
            assert hidden.json() == unknown.json() == sealed_live.json()

            refused = await client.post(
                f"/api/v1/hearings/{public}/access-codes", json={"label": "x"}
            )
            assert refused.status_code == 409
            created = await client.post(
                f"/api/v1/hearings/{restricted}/access-codes",
                json={"label": "张三的家属", "max_viewers": 1},
            )
            assert created.status_code == 201, created.text
            code = created.json()["code"]
            family = WhepClient(f"{whep}?code={code}")
            await family.start()
            assert await frames_after(family, 3) > 30
            second_device = WhepClient(f"{whep}?code={code}")
            try:
                await second_device.start()
                raise AssertionError("a second device got in past the code's viewer limit")
            except RuntimeError as refused_error:
                assert "403" in str(refused_error)
            listed = (await client.get(f"/api/v1/hearings/{restricted}/access-codes")).json()
            assert [(c["label"], c["watching"]) for c in listed] == [("张三的家属", 1)]
            assert "code" not in listed[0]

            revoked = await client.delete(
                f"/api/v1/hearings/{restricted}/access-codes/{created.json()['id']}"
            )
            assert revoked.status_code == 204
            stalled = await frames_after(family, 1.0)
            assert await frames_after(family, 2.0) == stalled, (
                "a revoked code still receives frames"
            )
            await family.close(hang_up=False)
        finally:
            await publisher.close()


async def test_kill_switch_stops_the_public_within_a_second_and_the_recording_goes_on(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        whep = f"{server.base_url}/whep/{recording.hearing_id}/bench"
        public, staff = WhepClient(whep), WhepClient(whep, server.admin_token)
        await asyncio.gather(public.start(), staff.start())
        await asyncio.sleep(3)
        assert public.video_frames > 30 and staff.video_frames > 30
        state = (await client.get(f"/api/v1/hearings/{recording.hearing_id}/broadcast")).json()
        assert state["viewers"] == {"bench": 1}, "the staff viewer is no audience"

        cut = await client.put(
            f"/api/v1/hearings/{recording.hearing_id}/broadcast", json={"on": False}
        )
        assert cut.status_code == 200 and cut.json()["on"] is False
        after_one_second = await frames_after(public, 1.0)
        staff_then = staff.video_frames
        await asyncio.sleep(3)
        assert public.video_frames == after_one_second, "a public viewer got frames after the cut"
        assert staff.video_frames > staff_then + 60, "staff must keep watching in real time"
        again = WhepClient(whep)
        try:
            await again.start()
            raise AssertionError("a public viewer got in while the broadcast was cut")
        except RuntimeError as refused:
            assert "403" in str(refused)
        async with httpx.AsyncClient() as anonymous:
            live = await anonymous.get(
                f"{server.base_url}/live/{recording.hearing_id}/bench/playlist.m3u8"
            )
        assert live.status_code == 403

        resumed = await client.put(
            f"/api/v1/hearings/{recording.hearing_id}/broadcast", json={"on": True}
        )
        assert resumed.json()["on"] is True
        back = WhepClient(whep)
        await back.start()
        assert await frames_after(back, 3) > 30
        stop = (await client.post(f"/api/v1/recordings/{recording.id}/stop")).json()
        await asyncio.gather(
            public.close(hang_up=False), staff.close(), back.close(), publisher.close()
        )
    # the recording never noticed: it covers the whole time, cut or not
    assert stop["tracks"][0]["duration_s"] >= 3 + 1 + 3 + 3 - 1.5


async def test_public_viewers_run_the_broadcast_delay_behind_live(
    server: RunningServer, clip: Path
) -> None:
    delay = 3.0
    async with server.client() as client:
        recording = await start_recording(client)
        set_delay = await client.put(
            f"/api/v1/hearings/{recording.hearing_id}/broadcast",
            json={"on": True, "delay_s": delay},
        )
        assert set_delay.json()["delay_s"] == delay
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        whep = f"{server.base_url}/whep/{recording.hearing_id}/bench"
        public = WhepClient(whep, read_numbers=True)
        staff = WhepClient(whep, server.admin_token, read_numbers=True)
        await asyncio.gather(public.start(), staff.start())
        await asyncio.sleep(delay + 4)
        await asyncio.gather(public.close(), staff.close(), publisher.close())
    # the same moment seen by both: the public picture is `delay` older, and not more
    moment = time.time() - 1
    live_number = max(n for n, at in staff.numbers if at <= moment)
    public_number = max(n for n, at in public.numbers if at <= moment)
    behind = (live_number - public_number) / FPS
    assert delay - 0.2 <= behind <= delay + DELAY_SLACK_S, (live_number, public_number)
    first_frame = public.seconds_to_first_frame
    assert first_frame is not None and delay <= first_frame <= delay + FIRST_FRAME_SLACK_S


async def test_live_hls_advances_decodes_and_carries_program_date_time(
    any_store_server: RunningServer, clip: Path
) -> None:
    server = any_store_server
    async with server.client() as client:
        recording = await start_recording(client)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        url = f"{server.base_url}/live/{recording.hearing_id}/bench/playlist.m3u8"
        playlists = []
        async with httpx.AsyncClient() as anonymous:
            for wait in (14, 4.5, 4.5):  # past the 6-segment window, then two more segments each
                await asyncio.sleep(wait)
                fetched = await anonymous.get(url)
                assert fetched.status_code == 200, fetched.text
                playlists.append(fetched.text)
            last = playlists[-1].splitlines()
            links = [line for line in last if line.startswith(("segments/", "ll/"))]
            init = next(line.split('"')[1] for line in last if line.startswith("#EXT-X-MAP"))
            base = url.rsplit("/", 1)[0] + "/"
            data = (await anonymous.get(base + init, follow_redirects=True)).content
            for link in links:
                data += (await anonymous.get(base + link, follow_redirects=True)).content
        await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await publisher.close()
    sequences = [media_sequence(playlist) for playlist in playlists]
    assert sequences[0] < sequences[1] < sequences[2], sequences
    assert "#EXT-X-PROGRAM-DATE-TIME:" in playlists[-1]
    assert "#EXT-X-ENDLIST" not in playlists[-1]
    assert 3 <= len(links) <= 6
    decoded = decode(data)
    assert decoded.video_frames >= len(links) * 2 * FPS - FPS
