"""Nothing of a sealed hearing on any route, with the hearing in session and media stored.

A real aiortc camera publishes into the sealed hearing's courtroom for several seconds, so
segments are indexed and a 404 cannot just mean "nothing stored yet". Then every operation
of the server's own OpenAPI document, the pages and the events websocket are called by
tokens that are not assigned to the hearing (and with no token), once with the sealed
hearing's, recording's and case's ids and once with unknown ids of the same shape: the two
answers must be the same (status, type, body), and no answer may name the hearing, its case
or its recording. The assigned judge and the admin do see it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import websockets
from aiortc import RTCPeerConnection
from prometheus_client.parser import text_string_to_metric_families

from streaming.codecs import install_codecs
from streaming.ice import LOOPBACK, install_host_addresses, rtc_configuration
from tests.support.clips import make_clip
from tests.support.fixtures_api import create_courtroom, create_hearing, create_sitting
from tests.support.publisher import WhipPublisher
from tests.support.serials import case_number
from tests.support.server import RunningServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

UNUSED_ROLES = ("anonymous", "camera", "judge", "clerk", "operator", "supervisor")
PAGES = (
    "/watch/{hearing_id}",
    "/watch",
    "/console",
    "/review",
    "/publish",
    "/display/{courtroom_id}",
    "/confirm/{recording_id}",
)
CLOSED_BY_POLICY = 1008


def unknown_id() -> str:
    return uuid.uuid4().hex  # the shape of every Courtcast id


@dataclass
class Court:
    """The scene: a sealed hearing being recorded with footage stored, and its neighbours."""

    server: RunningServer
    room: str
    sealed: str  # hearing
    recording: str
    case: str
    case_number: str
    titles: tuple[str, str]  # the hearing's and its case's, unique to this test
    public: str  # a public hearing on the same courtroom's list today
    segment: str  # the name of a stored media segment of the sealed recording
    line: str  # a transcript line of the sealed recording
    sitting: str  # a planned sitting holding another sealed hearing of the case
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (id, secret)
    assigned: tuple[str, str] = ("", "")  # the judge assigned to the sealed hearing

    @property
    def secrets(self) -> list[str]:
        """What must never reach an unentitled caller."""
        return [
            self.sealed,
            self.recording,
            self.case,
            self.case_number,
            self.sitting,
            *self.titles,
        ]

    def client(self, role: str) -> httpx.AsyncClient:
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {self.secret(role)}"}
        return httpx.AsyncClient(base_url=self.server.base_url, headers=headers, timeout=30)

    def secret(self, role: str) -> str:
        if role == "admin":
            return self.server.admin_token
        if role == "assigned":
            return self.assigned[1]
        return self.tokens[role][1]


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long enough to keep the camera publishing through the whole module."""
    path = tmp_path_factory.mktemp("clips") / "sealed.ts"
    make_clip(path, seconds=150, width=320, height=180, fps=15, gop=15, bitrate=300_000)
    return path


async def new_token(admin: httpx.AsyncClient, role: str, **scope: Any) -> tuple[str, str]:
    created = await admin.post("/api/v1/tokens", json={"role": role, "name": f"{role} 丙", **scope})
    assert created.status_code == 201, created.text
    return created.json()["id"], created.json()["token"]


async def sealed_hearing(admin: httpx.AsyncClient, room: str, marker: str) -> tuple[str, str, str]:
    """(hearing id, case id, case number) of a sealed hearing with titles naming `marker`."""
    number = case_number("刑初")
    case = await admin.post(
        "/api/v1/cases", json={"number": number, "title": f"密案{marker}", "case_type": "default"}
    )
    assert case.status_code == 201, case.text
    hearing = await admin.post(
        "/api/v1/hearings",
        json={
            "case_id": case.json()["id"],
            "courtroom_id": room,
            "title": f"不公开审理{marker}",
            "scheduled_start": datetime.now(UTC).isoformat(),
            "visibility": "sealed",
        },
    )
    assert hearing.status_code == 201, hearing.text
    return hearing.json()["id"], case.json()["id"], number


async def wait_for_segments(admin: httpx.AsyncClient, recording: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tracks = (await admin.get(f"/api/v1/recordings/{recording}")).json()["tracks"]
        if tracks and tracks[0]["segments"] >= count:
            return
        await asyncio.sleep(0.25)
    raise TimeoutError(f"recording {recording} did not store {count} segments")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def court(api_server: RunningServer, clip: Path) -> AsyncIterator[Court]:
    marker = uuid.uuid4().hex[:10]
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        public = await create_hearing(admin, room)
        sealed, case, number = await sealed_hearing(admin, room, marker)
        later = await create_hearing(admin, room, "sealed", case_id=case)
        sitting = (await create_sitting(admin, room, [public, later]))["id"]
        started = await admin.post(f"/api/v1/hearings/{sealed}/recordings")
        assert started.status_code == 201, started.text
        recording = started.json()["id"]
        publisher = WhipPublisher(clip, f"{api_server.base_url}/whip/{room}/bench", "")
        publisher.token = api_server.admin_token
        await publisher.start()
        try:
            await wait_for_segments(admin, recording, 3)
            playlist = await admin.get(
                f"/api/v1/recordings/{recording}/cameras/bench/playlist.m3u8"
            )
            assert playlist.status_code == 200, playlist.text
            names = re.findall(r"^segments/([^?\s]+)", playlist.text, re.MULTILINE)
            line = await admin.post(
                f"/api/v1/recordings/{recording}/transcript",
                json={
                    "at": datetime.now(UTC).isoformat(),
                    "speaker_role": "审判长",
                    "text": "开庭",
                },
            )
            assert line.status_code == 201, line.text
            scene = Court(
                server=api_server,
                room=room,
                sealed=sealed,
                recording=recording,
                case=case,
                case_number=number,
                titles=(f"不公开审理{marker}", f"密案{marker}"),
                public=public,
                segment=names[0],
                line=line.json()["id"],
                sitting=sitting,
            )
            for role in ("judge", "clerk", "operator", "supervisor"):
                scene.tokens[role] = await new_token(admin, role)
            scene.tokens["camera"] = await new_token(
                admin, "camera", courtroom_ids=[room], camera="bench"
            )
            # a cell block's screen on the room, granted everything a screen may be
            scene.tokens["screen"] = await new_token(
                admin,
                "screen",
                courtroom_ids=[room],
                place="cell_block",
                visibilities=["public", "restricted"],
            )
            scene.assigned = await new_token(admin, "judge")
            assigned = await admin.post(
                f"/api/v1/hearings/{sealed}/assignments", json={"token_id": scene.assigned[0]}
            )
            assert assigned.status_code == 201, assigned.text
            yield scene
        finally:
            await publisher.close()
            await admin.post(f"/api/v1/recordings/{recording}/stop")


# -- what every operation is called with ------------------------------------------------


async def whep_offer() -> str:
    """A real recvonly offer, so a WHEP answer depends on the hearing, not on a broken SDP."""
    install_codecs()
    install_host_addresses([LOOPBACK])
    pc = RTCPeerConnection(rtc_configuration())
    try:
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp: str = pc.localDescription.sdp
        return sdp
    finally:
        await pc.close()


def json_bodies(court: Court) -> dict[tuple[str, str], dict[str, Any]]:
    """Valid bodies, so that a request reaches the hearing lookup instead of failing validation."""
    now = datetime.now(UTC).isoformat()
    return {
        ("PUT", "/api/v1/cases/{case_id}/legal-hold"): {"on": True},
        ("PATCH", "/api/v1/cases/{case_id}"): {"title": "改"},
        ("POST", "/api/v1/public/hearings/{hearing_id}/tickets"): {"code": "1234-5678-9012"},
        ("PATCH", "/api/v1/hearings/{hearing_id}"): {"status": "recess"},
        ("PUT", "/api/v1/hearings/{hearing_id}/broadcast"): {"on": True, "delay_s": 0},
        ("POST", "/api/v1/hearings/{hearing_id}/access-codes"): {"label": "家属", "max_viewers": 2},
        ("POST", "/api/v1/hearings/{hearing_id}/assignments"): {
            "token_id": court.tokens["operator"][0]
        },
        ("POST", "/api/v1/recordings/{recording_id}/markers"): {
            "at": now,
            "kind": "note",
            "text": "休庭",
        },
        ("POST", "/api/v1/recordings/{recording_id}/transcript"): {
            "at": now,
            "speaker_role": "书记员",
            "text": "记录",
        },
        ("PUT", "/api/v1/recordings/{recording_id}/transcript/{line_id}"): {
            "speaker_role": "书记员",
            "text": "更正",
        },
    }


SEALED_PARAMETERS = ("hearing_id", "recording_id", "case_id", "sitting_id", "screen_id")


@dataclass(frozen=True)
class Call:
    method: str
    template: str
    sealed: dict[str, str]  # path parameters naming the sealed hearing, recording, case
    unknown: dict[str, str]  # the same with unknown ids
    params: dict[str, str]
    body: dict[str, Any] | None
    sdp: str | None

    def path(self, values: dict[str, str]) -> str:
        return self.template.format(**values)


def calls(court: Court, schema: dict[str, Any], offer: str) -> Iterator[Call]:
    """Every documented operation and every page, with its parameters filled in."""
    started = datetime.now(UTC) - timedelta(seconds=30)
    common = {
        "courtroom_id": court.room,
        "camera": "bench",
        "name": court.segment,
        "line_id": court.line,
        "token_id": court.tokens["operator"][0],
        "code_id": unknown_id(),
        "viewer_id": unknown_id(),
        "publication_id": unknown_id(),
        "confirmation_id": unknown_id(),
    }
    sealed = {
        "hearing_id": court.sealed,
        "recording_id": court.recording,
        "case_id": court.case,
        "sitting_id": court.sitting,
        "screen_id": court.tokens["screen"][0],
    }
    unknown = {name: unknown_id() for name in SEALED_PARAMETERS}
    bodies = json_bodies(court)
    operations = [(m.upper(), p) for p, ops in schema["paths"].items() for m in ops]
    for method, template in [*operations, *(("GET", page) for page in PAGES)]:
        params = {}
        if template == "/api/v1/sittings":
            params = {"courtroom_id": court.room}  # the sitting is left out of the list
        if template.endswith(("export.mp4", "export.json")):
            params = {
                "from": started.isoformat(),
                "to": (started + timedelta(seconds=4)).isoformat(),
            }
        sdp = offer if template.startswith("/whep") and method == "POST" else None
        yield Call(
            method,
            template,
            {**common, **sealed},
            {**common, **unknown},
            params,
            bodies.get((method, template)),
            sdp,
        )


async def ask(client: httpx.AsyncClient, call: Call, values: dict[str, str]) -> httpx.Response:
    if call.sdp is not None:
        headers = {"Content-Type": "application/sdp"}
        return await client.request(
            call.method, call.path(values), content=call.sdp, headers=headers
        )
    return await client.request(call.method, call.path(values), params=call.params, json=call.body)


def answer(response: httpx.Response, replace: dict[str, str] | None = None) -> tuple[Any, ...]:
    """What a caller can tell from an answer; `replace` maps unknown ids back to the sealed
    ones, so an answer that merely echoes the id it was given compares equal."""
    text = response.text
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    kind = response.headers.get("content-type", "")
    body: Any = json.loads(text) if kind.startswith("application/json") else text
    return response.status_code, kind, body


def leaks(court: Court, response: httpx.Response, asked: str) -> list[str]:
    """The sealed hearing's names found in an answer (headers included) that the request
    itself did not carry."""
    seen = response.text + "\n" + "\n".join(response.headers.values())
    return [secret for secret in court.secrets if secret in seen and secret not in asked]


# -- the tests ----------------------------------------------------------------------------


async def test_every_route_answers_as_for_an_unknown_id(court: Court) -> None:
    async with court.client("admin") as admin:
        schema = (await admin.get("/openapi.json")).json()
    offer = await whep_offer()
    every = list(calls(court, schema, offer))
    assert len(every) >= len(schema["paths"]) + len(PAGES)
    differences = []
    for role in UNUSED_ROLES:
        async with court.client(role) as caller:
            for call in every:
                if call.method in ("POST", "PUT", "PATCH", "DELETE") and not any(
                    name in call.template for name in SEALED_PARAMETERS
                ):
                    continue  # creates or changes something unrelated to the sealed hearing
                sealed = await ask(caller, call, call.sealed)
                found = leaks(court, sealed, call.path(call.sealed) + json.dumps(call.body))
                if found:
                    differences.append((role, call.method, call.template, "names", found))
                if not any(name in call.template for name in SEALED_PARAMETERS):
                    continue
                unknown = await ask(caller, call, call.unknown)
                back = {call.unknown[name]: call.sealed[name] for name in SEALED_PARAMETERS}
                if answer(sealed) != answer(unknown, back):
                    differences.append(
                        (role, call.method, call.template, answer(sealed), answer(unknown, back))
                    )
    assert differences == []


async def test_the_public_neighbour_names_nothing_of_the_sealed_hearing(court: Court) -> None:
    """The public hearing on the same courtroom's list: what its routes answer while the
    sealed one is in session (including a second recording and a WHEP offer) names nothing."""
    async with court.client("admin") as admin:
        schema = (await admin.get("/openapi.json")).json()
    offer = await whep_offer()
    reads = [
        call
        for call in calls(court, schema, offer)
        if call.method == "GET" and "{hearing_id}" in call.template
    ]
    found = []
    for role in UNUSED_ROLES:
        async with court.client(role) as caller:
            for call in reads:
                values = {**call.unknown, "hearing_id": court.public}
                response = await ask(caller, call, values)
                found += [(role, call.template, leak) for leak in leaks(court, response, "")]
            second = await caller.post(f"/api/v1/hearings/{court.public}/recordings")
            found += [(role, "second recording", leak) for leak in leaks(court, second, "")]
            watch = await caller.post(
                f"/whep/{court.public}/bench",
                content=offer,
                headers={"Content-Type": "application/sdp"},
            )
            assert watch.status_code >= 400, (role, watch.text)  # not the hearing in session
            found += [(role, "WHEP", leak) for leak in leaks(court, watch, "")]
    assert found == []


async def test_lists_and_searches_leave_it_out(court: Court) -> None:
    searches = [
        ("/api/v1/hearings", {"case_id": court.case}, {"case_id": unknown_id()}),
        ("/api/v1/hearings", {"case_number": court.case_number}, {"case_number": "(2026)无号"}),
        ("/api/v1/hearings", {"q": court.titles[0]}, {"q": "从未有过的标题"}),
        ("/api/v1/recordings", {"case_id": court.case}, {"case_id": unknown_id()}),
        ("/api/v1/recordings", {"q": court.titles[1]}, {"q": "从未有过的标题"}),
        ("/api/v1/cases", {"number": court.case_number}, {"number": "(2026)无号"}),
    ]
    lists = [
        "/api/v1/hearings?visibility=sealed",
        f"/api/v1/hearings?courtroom_id={court.room}",
        "/api/v1/recordings?status=recording",
        "/api/v1/cases",
        "/api/v1/courtrooms",
        f"/api/v1/courtrooms/{court.room}",
        f"/api/v1/courtrooms/{court.room}/feeds",
        "/api/v1/alarms",
        "/api/v1/public/hearings",
        "/healthz",
    ]
    for role in UNUSED_ROLES:
        async with court.client(role) as caller:
            for path, sealed_query, unknown_query in searches:
                found = await caller.get(path, params=sealed_query)
                nothing = await caller.get(path, params=unknown_query)
                assert answer(found) == answer(nothing), (role, path, sealed_query)
            for path in lists:
                listed = await caller.get(path)
                assert leaks(court, listed, path) == [], (role, path, listed.text)
    async with court.client("assigned") as judge:
        for path, query, _ in searches:
            found = await judge.get(path, params=query)
            assert court.case in found.text or court.sealed in found.text, (path, found.text)


async def test_a_screen_on_the_room_shows_a_notice_and_nothing_of_it(court: Court) -> None:
    """The sealed hearing is in session in the screen's own courtroom: the screen is told only
    that it is not for this screen, cannot watch it, read its archive or learn it any other way."""
    screen_id = court.tokens["screen"][0]
    async with court.client("screen") as screen:
        state = await screen.get(f"/api/v1/screens/{screen_id}")
        assert state.status_code == 200, state.text
        assert state.json()["notice"] == "not_for_this_screen"
        assert state.json()["hearing"] is None
        assert leaks(court, state, "") == [], state.text
        # the sitting holding the sealed hearing shows, with that hearing left out
        assert [e["hearing_id"] for e in state.json()["sitting"]["entries"]] == [court.public]
        recording = f"/api/v1/recordings/{court.recording}"
        for path in (
            f"/live/{court.sealed}/bench/playlist.m3u8",
            f"/api/v1/hearings/{court.sealed}",
            f"{recording}/cameras/bench/segments/{court.segment}",
        ):
            refused = await screen.get(path)
            assert refused.status_code in (403, 404), (path, refused.text)
            assert leaks(court, refused, path) == [], (path, refused.text)


async def test_the_assigned_judge_and_the_admin_see_it(court: Court) -> None:
    recording = f"/api/v1/recordings/{court.recording}"
    for role in ("assigned", "admin"):
        async with court.client(role) as caller:
            for path in (
                f"/api/v1/hearings/{court.sealed}",
                f"/api/v1/cases/{court.case}",
                recording,
                f"{recording}/markers",
                f"{recording}/transcript",
                f"{recording}/transcript/{court.line}/history",
                f"{recording}/cameras/bench/playlist.m3u8",
                f"{recording}/cameras/bench/segments/{court.segment}",
            ):
                seen = await caller.get(path)
                assert seen.status_code == 200, (role, path, seen.text)
            feeds = (await caller.get(f"/api/v1/courtrooms/{court.room}/feeds")).json()
            assert feeds["recording_id"] == court.recording, role
            assert feeds["hearing"]["id"] == court.sealed, role
            assert court.sealed in {h["id"] for h in feeds["hearings_today"]}, role


async def test_feeds_show_health_but_no_sealed_hearing(court: Court) -> None:
    for role in ("judge", "clerk", "operator"):
        async with court.client(role) as caller:
            feeds = (await caller.get(f"/api/v1/courtrooms/{court.room}/feeds")).json()
        assert feeds["feeds"][0]["publishing"] is True and feeds["feeds"][0]["frames"] > 0
        assert feeds["recording_id"] is None and feeds["recording_started_at"] is None, role
        assert [h["id"] for h in feeds["hearings_today"]] == [court.public], role
        assert feeds["hearing"]["id"] == court.public, role


async def test_metrics_are_for_admins_and_name_no_recording(court: Court) -> None:
    for role in ("judge", "clerk", "operator"):
        async with court.client(role) as caller:
            assert (await caller.get("/metrics")).status_code == 403, role
    async with court.client("admin") as admin:
        metrics = (await admin.get("/metrics")).text
    silent = [  # labels by name, as Prometheus reads them (the library writes them sorted)
        sample.labels
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "courtcast_camera_silent_seconds"
    ]
    assert {"courtroom": court.room, "camera": "bench"} in silent, metrics
    assert court.recording not in metrics and court.sealed not in metrics


async def test_healthz_tells_nothing_of_recordings(court: Court) -> None:
    async with court.client("anonymous") as anyone:
        health = await anyone.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "object_store": "ok"}


# -- the events websocket -----------------------------------------------------------------


def events_url(court: Court) -> str:
    return court.server.base_url.replace("http", "ws", 1) + "/api/v1/events"


async def open_events(court: Court, secret: str) -> websockets.ClientConnection:
    """Authenticated by first message, as the console does."""
    socket = await websockets.connect(events_url(court))
    await socket.send(json.dumps({"type": "auth", "token": secret}))
    first = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert first == {"type": "authenticated"}
    return socket


async def closed_code(socket: websockets.ClientConnection, timeout: float) -> int | None:
    """Read until the server closes; its close code."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), timeout)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def test_events_refuse_a_token_in_the_url_and_a_late_or_wrong_first_message(
    court: Court,
) -> None:
    in_url = await websockets.connect(f"{events_url(court)}?token={court.server.admin_token}")
    assert await closed_code(in_url, 10) == CLOSED_BY_POLICY  # no auth message: refused
    wrong = await websockets.connect(events_url(court))
    await wrong.send(json.dumps({"type": "auth", "token": court.secret("camera")}))
    assert await closed_code(wrong, 5) == CLOSED_BY_POLICY
    garbage = await websockets.connect(events_url(court))
    await garbage.send("not json")
    assert await closed_code(garbage, 5) == CLOSED_BY_POLICY
    padded = await websockets.connect(events_url(court))
    await padded.send(json.dumps({"type": "auth", "token": court.server.admin_token + " " * 2000}))
    assert await closed_code(padded, 5) == CLOSED_BY_POLICY  # a token is short: not even parsed


async def test_a_revoked_or_expired_token_loses_its_websocket_within_a_second(
    court: Court,
) -> None:
    async with court.client("admin") as admin:
        revoked_id, revoked = await new_token(admin, "operator")
        expires = datetime.now(UTC) + timedelta(seconds=3)
        _, expiring = await new_token(admin, "judge", expires_at=expires.isoformat())
        to_revoke = await open_events(court, revoked)
        to_expire = await open_events(court, expiring)
        assert (await admin.delete(f"/api/v1/tokens/{revoked_id}")).status_code == 204
        revoked_at = time.monotonic()
        assert await closed_code(to_revoke, 5) == CLOSED_BY_POLICY
        assert time.monotonic() - revoked_at < 1.0
        assert await closed_code(to_expire, 10) == CLOSED_BY_POLICY
        assert datetime.now(UTC) - expires < timedelta(seconds=1)


async def raised_subjects(socket: websockets.ClientConnection, seconds: float) -> set[str]:
    """Subjects of alarms active or raised within `seconds`."""
    subjects = set()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = json.loads(await asyncio.wait_for(socket.recv(), left))
        except TimeoutError:
            break
        if event["type"] in ("alarm.raised", "alarm.active"):
            subjects.add(event["alarm"]["subject"])
    return subjects


async def test_a_sealed_hearings_alarms_reach_only_the_entitled(court: Court) -> None:
    """Two courtrooms start recording with no camera: each raises `no_frames` after 2 s."""
    async with court.client("admin") as admin:
        closed_room = (await create_courtroom(admin, ["bench"])).id
        open_room = (await create_courtroom(admin, ["bench"])).id
        secret_hearing, _, _ = await sealed_hearing(admin, closed_room, uuid.uuid4().hex[:10])
        public_hearing = await create_hearing(admin, open_room)
        assigned = await admin.post(
            f"/api/v1/hearings/{secret_hearing}/assignments",
            json={"token_id": court.assigned[0]},
        )
        assert assigned.status_code == 201, assigned.text
        scoped = await new_token(admin, "operator", courtroom_ids=[open_room])
        listeners = {
            role: await open_events(court, court.secret(role))
            for role in ("judge", "clerk", "operator", "assigned", "admin")
        }
        listeners["scoped"] = await open_events(court, scoped[1])
        started = [
            (await admin.post(f"/api/v1/hearings/{hearing}/recordings")).json()["id"]
            for hearing in (secret_hearing, public_hearing)
        ]
        try:
            subjects = await asyncio.gather(
                *(raised_subjects(socket, 5) for socket in listeners.values())
            )
            heard = dict(zip(listeners, subjects, strict=True))
            listed = {}
            for role in ("judge", "operator", "assigned"):
                async with court.client(role) as caller:
                    alarms = (await caller.get("/api/v1/alarms")).json()
                    listed[role] = {alarm["subject"] for alarm in alarms}
        finally:
            for recording in started:
                await admin.post(f"/api/v1/recordings/{recording}/stop")
            for socket in listeners.values():
                await socket.close()
    secret_alarm, public_alarm = f"{closed_room}/bench", f"{open_room}/bench"
    for role in ("judge", "clerk", "operator", "scoped"):
        assert secret_alarm not in heard[role], role
        assert public_alarm in heard[role], role
    assert {secret_alarm, public_alarm} <= heard["assigned"]
    assert {secret_alarm, public_alarm} <= heard["admin"]
    assert secret_alarm not in listed["judge"] and public_alarm in listed["judge"]
    assert secret_alarm not in listed["operator"]
    assert {secret_alarm, public_alarm} <= listed["assigned"]
    scoped_heard = heard["scoped"]
    assert all(subject.startswith(open_room) or subject == "spool" for subject in scoped_heard)


async def test_no_hearing_is_added_to_a_case_the_caller_cannot_see(court: Court) -> None:
    """Last in the module: were it to fail, the sealed case would gain a public hearing."""
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    answers = []
    for case_id in (court.case, unknown_id()):
        async with court.client("operator") as operator:
            created = await operator.post(
                "/api/v1/hearings",
                json={
                    "case_id": case_id,
                    "courtroom_id": court.room,
                    "title": "公开宣判",
                    "scheduled_start": tomorrow,
                    "visibility": "public",
                },
            )
        answers.append(answer(created))
    assert answers[0] == answers[1]
