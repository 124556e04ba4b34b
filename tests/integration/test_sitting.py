"""A sitting of three hearings (public, restricted, sealed) held back to back while a camera
publishes: "next case" hands the camera from one recording to the next at a keyframe, so
the archive of each hearing decodes on its own and the frame numbers drawn in the pictures
run on from one recording into the next with none missing or repeated; the live viewer of
a hearing is cut within a second of the switch, a family's case code opens only its case's
hearing and only while it is held, and the sealed hearing's sitting is unknown to staff not
assigned to it.
"""

from __future__ import annotations

import asyncio
import io
import time

import av
import httpx

from tests.integration.test_in_session import CUT_WITHIN_S, frames_stop_within, offer_answer, token
from tests.support.archive import fetch_track
from tests.support.camera import CameraPublisher, EncodingCamera
from tests.support.clips import read_frame_number
from tests.support.fixtures_api import create_courtroom, create_hearing, create_sitting
from tests.support.server import RunningServer
from tests.support.viewer import NUMBER_ROWS, WhepClient, wait_until

FPS = 30
GOP = 90  # 3 s between the camera's own keyframes
HELD_S = 1.5  # each hearing of the sitting lasts at least this long


async def held_then_mid_gop(camera: EncodingCamera) -> None:
    """Hold the hearing, then wait until the camera is early in a GOP.

    A switch made then is two seconds or more before the camera's own next keyframe, so
    the recording it starts can only begin at the keyframe the switch asks for.
    """
    await asyncio.sleep(HELD_S)
    await wait_until(
        lambda: GOP // 6 <= camera.since_keyframe <= GOP // 3,
        2 * GOP / FPS,
        "the camera early in a GOP",
    )


async def archived_numbers(client: httpx.AsyncClient, hearing_id: str) -> list[int]:
    """The frame numbers of the hearing's one recording, decoded from the store in order."""
    found = await client.get(f"/api/v1/hearings/{hearing_id}")
    assert found.status_code == 200, found.text
    listed = await client.get("/api/v1/recordings", params={"case_id": found.json()["case_id"]})
    assert listed.status_code == 200, listed.text
    (summary,) = listed.json()["items"]
    recording = await client.get(f"/api/v1/recordings/{summary['id']}")
    assert recording.json()["status"] == "stopped", recording.text
    (track,) = recording.json()["tracks"]
    archived = await fetch_track(client, track["playlist"])
    assert len(archived.epochs) == 1, archived.playlist
    numbers: list[int] = []
    with av.open(io.BytesIO(archived.epochs[0].file())) as container:
        for frame in container.decode(video=0):
            numbers.append(read_frame_number(frame.to_ndarray(format="gray")[:NUMBER_ROWS]))
    return numbers


async def test_a_sitting_switches_hearings_without_losing_or_repeating_a_frame(
    server: RunningServer,
) -> None:
    camera = EncodingCamera(640, 360, FPS, gop=GOP)
    async with server.client() as admin:
        room = await create_courtroom(admin, ["bench"])
        hearings = [
            await create_hearing(admin, room.id, visibility)
            for visibility in ("public", "restricted", "sealed")
        ]
        sitting = await create_sitting(admin, room.id, hearings)
        restricted_case = (await admin.get(f"/api/v1/hearings/{hearings[1]}")).json()["case_id"]
        made = await admin.post(
            f"/api/v1/cases/{restricted_case}/access-codes",
            json={"label": "王某某的家属", "max_viewers": 2},
        )
        assert made.status_code == 201, made.text
        family_path = f"/whep/{hearings[1]}/bench?code={made.json()['code']}"
        assert [e["hearing_id"] for e in sitting["entries"]] == hearings
        url = f"/api/v1/sittings/{sitting['id']}"
        _, operator = await token(admin, role="operator", name="书记员", courtroom_ids=[room.id])
        async with server.client(operator) as unassigned:
            hidden = await unassigned.get(url)
            assert hidden.status_code == 404, hidden.text
            assert hidden.json() == {"detail": "sitting not found"}
            listed = await unassigned.get("/api/v1/sittings", params={"courtroom_id": room.id})
            assert listed.json() == []

        publisher = CameraPublisher(
            camera, f"{server.base_url}/whip/{room.id}/bench", server.admin_token
        )
        await publisher.start()
        viewer = WhepClient(f"{server.base_url}/whep/{hearings[0]}/bench")
        _, screen_secret = await token(
            admin,
            role="screen",
            name="三监区监舍",
            courtroom_ids=[room.id],
            place="cell_block",
            visibilities=["public"],
        )
        cell_block = WhepClient(f"{server.base_url}/whep/{hearings[0]}/bench", screen_secret)
        family: WhepClient | None = None
        try:
            started = await admin.post(f"{url}/start")
            assert started.status_code == 200, started.text
            assert started.json()["position"] == 0
            await viewer.start()
            await cell_block.start()
            await wait_until(lambda: viewer.video_frames > 10, 15, "the public hearing live")
            await wait_until(lambda: cell_block.video_frames > 10, 15, "the cell block's screen")
            # the family's case has not come up yet: its code opens nothing
            assert await offer_answer(server.base_url, family_path) == (
                404,
                {"detail": "the hearing is not in session"},
            )
            await held_then_mid_gop(camera)
            switched_at = time.monotonic()
            moved = await admin.post(f"{url}/next")
            assert moved.status_code == 200, moved.text
            assert moved.json()["position"] == 1
            assert [e["status"] for e in moved.json()["entries"]] == [
                "closed",
                "in_session",
                "scheduled",
            ]
            # the phone and the screen (granted public hearings only) are hung up with it
            await asyncio.gather(
                frames_stop_within(viewer, switched_at, CUT_WITHIN_S),
                frames_stop_within(cell_block, switched_at, CUT_WITHIN_S),
            )
            assert await offer_answer(server.base_url, f"/whep/{hearings[1]}/bench") == (
                401,
                {"detail": "this hearing is restricted: enter the access code the court gave you"},
            )
            family = WhepClient(
                server.base_url + family_path
            )  # the case's code opens the case's hearing
            await family.start()
            await wait_until(lambda: family.video_frames > 10, 15, "the family's case live")
            await held_then_mid_gop(camera)
            switched_at = time.monotonic()
            moved = await admin.post(f"{url}/next")
            assert moved.status_code == 200, moved.text
            await frames_stop_within(family, switched_at, CUT_WITHIN_S)
            assert await offer_answer(server.base_url, f"/whep/{hearings[2]}/bench") == (
                404,
                {"detail": "hearing not found"},
            )
            await asyncio.sleep(HELD_S)
            last = await admin.post(f"{url}/next")
            assert last.status_code == 409, last.text
            ended = await admin.post(f"{url}/end")
            assert ended.status_code == 200, ended.text
        finally:
            await viewer.close()
            await cell_block.close()
            if family is not None:
                await family.close()
            await publisher.close()
        assert ended.json()["status"] == "ended"
        assert {e["status"] for e in ended.json()["entries"]} == {"closed"}

        runs = [await archived_numbers(admin, hearing) for hearing in hearings]
        day = {"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
        figures = await admin.get(
            "/api/v1/oversight/viewing", params={**day, "courtroom_id": room.id}
        )
        _, judge = await token(admin, role="judge", name="院长")
        async with server.client(judge) as leader:
            unassigned_figures = await leader.get(
                "/api/v1/oversight/viewing", params={**day, "courtroom_id": room.id}
            )
            as_csv = await leader.get(
                "/api/v1/oversight/viewing",
                params={**day, "courtroom_id": room.id, "format": "csv"},
            )
    (row,) = figures.json()
    # three held, two watched: the public one (a phone and the cell block's screen) and the
    # family's case (one device); the sealed hearing was watched by nobody
    assert (row["hearings_held"], row["held_with_live_viewing"]) == (3, 2), row
    assert (row["viewing_points"], row["family_devices"], row["viewers"]) == (1, 1, 3), row
    assert row["viewing_minutes"] > 0
    # a judge not assigned to the sealed hearing is not told it was held
    (row,) = unassigned_figures.json()
    assert (row["hearings_held"], row["held_with_live_viewing"]) == (2, 2), row
    lines = as_csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("courtroom_id,courtroom,kind,hearings_held,")
    assert lines[1].startswith(f"{room.id},") and ",2,2,1,1,3," in lines[1], lines
    for numbers in runs:
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), numbers
        assert len(numbers) >= HELD_S * FPS, len(numbers)
    # each recording begins with the frame after the previous one's last
    assert runs[1][0] == runs[0][-1] + 1, (runs[0][-3:], runs[1][:3])
    assert runs[2][0] == runs[1][-1] + 1, (runs[1][-3:], runs[2][:3])
    assert {runs[1][0], runs[2][0]} <= set(camera.forced_keyframes), "the switches asked for them"
