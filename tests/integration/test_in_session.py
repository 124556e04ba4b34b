"""Live media of a courtroom reaches viewers only through its hearing in session, and every
change (another hearing in session, a revoked token, a sealed hearing) bites within a second.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from tests.support.clips import clip_fixture
from tests.support.fixtures_api import Courtroom, create_courtroom, create_hearing
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer
from tests.support.viewer import WhepClient, wait_until

CUT_WITHIN_S = 1.0
clip = clip_fixture("in-session.ts", seconds=60, width=320, height=180, fps=30, gop=30)


async def token(client: httpx.AsyncClient, **body: object) -> tuple[str, str]:
    created = await client.post("/api/v1/tokens", json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["token"]


async def offer_answer(
    base_url: str, path: str, secret: str | None = None
) -> tuple[int, dict[str, object]]:
    """A WHEP POST of a real offer, for the answers that refuse it."""
    offering = WhepClient(base_url + path)
    offer = await offering.offer()
    await offering.close()
    headers = {"Content-Type": "application/sdp"}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        answer = await client.post(path, content=offer, headers=headers)
    return answer.status_code, answer.json()


async def frames_stop_within(viewer: WhepClient, started: float, limit_s: float) -> None:
    """No frame reaches the viewer once `limit_s` has passed since `started` (monotonic)."""
    await asyncio.sleep(max(0.0, started + limit_s - time.monotonic()))
    counted = viewer.video_frames
    await asyncio.sleep(1.5)
    assert viewer.video_frames == counted, "the viewer still receives frames"


async def sees_frames(url: str) -> None:
    """A viewer at `url` decodes frames (and hangs up)."""
    viewer = WhepClient(url)
    await viewer.start()
    try:
        await wait_until(lambda: viewer.video_frames > 10, 15, f"frames from {url}")
    finally:
        await viewer.close()


async def public_viewer_cut_by(
    server: RunningServer, admin: httpx.AsyncClient, hearing: str, change: dict[str, str]
) -> None:
    """A public viewer of `hearing` gets no frame a second after `change` (a PATCH) answers."""
    viewer = WhepClient(f"{server.base_url}/whep/{hearing}/bench")
    await viewer.start()
    try:
        await wait_until(lambda: viewer.video_frames > 10, 15, "public frames")
        changed_at = time.monotonic()
        changed = await admin.patch(f"/api/v1/hearings/{hearing}", json=change)
        assert changed.status_code == 200, changed.text
        await frames_stop_within(viewer, changed_at, CUT_WITHIN_S)
    finally:
        await viewer.close()


async def publishing_room(
    client: httpx.AsyncClient, server: RunningServer, clip: Path, cameras: list[str]
) -> tuple[Courtroom, WhipPublisher]:
    room = await create_courtroom(client, cameras)
    url = f"{server.base_url}/whip/{room.id}/{cameras[0]}"
    publisher = WhipPublisher(clip, url, server.admin_token)
    await publisher.start()
    return room, publisher


async def test_another_hearing_of_the_room_shows_nothing_whatever_is_in_session(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as admin:
        answers: dict[str, list[tuple[int, object]]] = {}
        for in_session in ("sealed", "public"):
            room, publisher = await publishing_room(admin, server, clip, ["bench"])
            try:
                other = await create_hearing(admin, room.id)
                current = await create_hearing(admin, room.id, visibility=in_session)
                started = await admin.post(f"/api/v1/hearings/{current}/recordings")
                assert started.status_code == 201, started.text
                _, judge = await token(admin, role="judge", name="法官")
                whep = f"/whep/{other}/bench"
                answers[in_session] = [
                    await offer_answer(server.base_url, whep),
                    await offer_answer(server.base_url, whep, judge),
                ]
                async with httpx.AsyncClient(base_url=server.base_url) as anyone:
                    live = await anyone.get(f"/live/{other}/bench/playlist.m3u8")
                answers[in_session].append((live.status_code, live.json()))
                # the hearing in session itself is live, for the public when it is public
                if in_session == "public":
                    await sees_frames(f"{server.base_url}/whep/{current}/bench")
                await admin.patch(f"/api/v1/hearings/{current}", json={"status": "closed"})
            finally:
                await publisher.close()
        not_in_session = (404, {"detail": "the hearing is not in session"})
        assert answers["sealed"] == answers["public"] == [not_in_session] * 3


async def test_a_scheduled_hearing_is_dark_to_the_public_and_a_preview_for_staff(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as admin:
        room, publisher = await publishing_room(admin, server, clip, ["bench"])
        try:
            hearing = await create_hearing(admin, room.id)
            refused = await offer_answer(server.base_url, f"/whep/{hearing}/bench")
            assert refused == (404, {"detail": "the hearing is not in session"})
            _, operator = await token(
                admin, role="operator", name="书记员", courtroom_ids=[room.id]
            )
            preview = WhepClient(f"{server.base_url}/whep/{hearing}/bench", operator)
            await preview.start()
            await wait_until(lambda: preview.video_frames > 10, 15, "the operator's preview")
            # a sealed hearing goes in session: the preview through another hearing ends
            sealed = await create_hearing(admin, room.id, visibility="sealed")
            opened_at = time.monotonic()
            opened = await admin.patch(f"/api/v1/hearings/{sealed}", json={"status": "in_session"})
            assert opened.status_code == 200, opened.text
            await frames_stop_within(preview, opened_at, CUT_WITHIN_S)
            await preview.close()
            # and the room holds one hearing in session, without saying which
            again = await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "in_session"})
            assert again.status_code == 409
            assert sealed not in again.text
            # an operator who may not see the sealed hearing cannot move the room on
            async with server.client(operator) as clerk_desk:
                refused = await clerk_desk.post(f"/api/v1/hearings/{hearing}/recordings")
            assert refused.status_code == 409 and sealed not in refused.text
            # an admin can: recording the next hearing closes the one whose recording stopped
            moved = await admin.post(f"/api/v1/hearings/{hearing}/recordings")
            assert moved.status_code == 201, moved.text
            closed = (await admin.get(f"/api/v1/hearings/{sealed}")).json()
            assert closed["status"] == "closed" and closed["actual_end"] is not None
        finally:
            await publisher.close()


async def test_the_public_is_hung_up_when_the_hearing_closes_or_is_sealed(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as admin:
        room, publisher = await publishing_room(admin, server, clip, ["bench"])
        try:
            first = await create_hearing(admin, room.id)
            assert (await admin.post(f"/api/v1/hearings/{first}/recordings")).status_code == 201
            await public_viewer_cut_by(server, admin, first, {"status": "closed"})
            recording = (await admin.get("/api/v1/recordings", params={"limit": 10})).json()
            assert {r["status"] for r in recording["items"]} == {"stopped"}  # closing stopped it

            second = await create_hearing(admin, room.id)
            assert (await admin.post(f"/api/v1/hearings/{second}/recordings")).status_code == 201
            await public_viewer_cut_by(server, admin, second, {"visibility": "sealed"})
            gone = await offer_answer(server.base_url, f"/whep/{second}/bench")
            assert gone == (404, {"detail": "hearing not found"})
        finally:
            await publisher.close()


async def test_revoking_a_token_ends_its_viewer_and_its_camera_within_a_second(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as admin:
        room = await create_courtroom(admin, ["bench"])
        camera_id, camera_secret = await token(
            admin, role="camera", name="审判席", courtroom_ids=[room.id], camera="bench"
        )
        publisher = WhipPublisher(clip, f"{server.base_url}/whip/{room.id}/bench", camera_secret)
        await publisher.start()
        try:
            hearing = await create_hearing(admin, room.id, visibility="restricted")
            started = await admin.post(f"/api/v1/hearings/{hearing}/recordings")
            assert started.status_code == 201, started.text
            judge_id, judge_secret = await token(admin, role="judge", name="法官")
            viewer = WhepClient(f"{server.base_url}/whep/{hearing}/bench", judge_secret)
            await viewer.start()
            await wait_until(lambda: viewer.video_frames > 10, 15, "the judge's frames")

            revoked_at = time.monotonic()
            assert (await admin.delete(f"/api/v1/tokens/{judge_id}")).status_code == 204
            await frames_stop_within(viewer, revoked_at, CUT_WITHIN_S)
            await viewer.close()

            staff = WhepClient(f"{server.base_url}/whep/{hearing}/bench", server.admin_token)
            await staff.start()
            await wait_until(lambda: staff.video_frames > 10, 15, "the admin's frames")
            revoked_at = time.monotonic()
            assert (await admin.delete(f"/api/v1/tokens/{camera_id}")).status_code == 204
            await frames_stop_within(staff, revoked_at, CUT_WITHIN_S)
            await staff.close()
            recording = (await admin.get(f"/api/v1/recordings/{started.json()['id']}")).json()
            assert "token_revoked" in {gap["reason"] for gap in recording["gaps"]}
        finally:
            await publisher.close(hang_up=False)


async def test_signed_archive_links_die_with_their_token_and_when_the_hearing_is_sealed(
    any_store_server: RunningServer, clip: Path
) -> None:
    server = any_store_server
    async with server.client() as admin:
        room, publisher = await publishing_room(admin, server, clip, ["bench"])
        try:
            hearing = await create_hearing(admin, room.id)
            started = await admin.post(f"/api/v1/hearings/{hearing}/recordings")
            assert started.status_code == 201, started.text
            recording = started.json()["id"]
            await asyncio.sleep(5)  # a few segments stored
            await admin.post(f"/api/v1/recordings/{recording}/stop")
        finally:
            await publisher.close()
        playlist = f"/api/v1/recordings/{recording}/cameras/bench/playlist.m3u8"
        links = {}
        secrets = {}
        for who in ("revoked", "unassigned"):
            token_id, secret = await token(admin, role="judge", name=f"法官 {who}")
            secrets[who] = token_id
            async with server.client(secret) as judge:
                listed = await judge.get(playlist)
            assert listed.status_code == 200, listed.text
            uri = next(line for line in listed.text.splitlines() if line.startswith("segments/"))
            links[who] = urljoin(server.base_url + playlist, uri)
        async with httpx.AsyncClient(follow_redirects=True) as anyone:
            for link in links.values():
                fetched = await anyone.get(link)
                assert fetched.status_code == 200 and fetched.content, fetched.text
                for redirect in fetched.history:  # on S3: a presigned URL that cannot be revoked
                    expires = parse_qs(urlsplit(redirect.headers["location"]).query)
                    assert int(expires["X-Amz-Expires"][0]) <= 60
            assert (await admin.delete(f"/api/v1/tokens/{secrets['revoked']}")).status_code == 204
            dead = await anyone.get(links["revoked"])
            assert dead.status_code == 401, dead.text
            sealed = await admin.patch(f"/api/v1/hearings/{hearing}", json={"visibility": "sealed"})
            assert sealed.status_code == 200
            hidden = await anyone.get(links["unassigned"])
            assert (hidden.status_code, hidden.json()) == (404, {"detail": "recording not found"})
