"""Every route against every role: who is let through, who gets 401/403.

The table is written out by hand, so a new route fails this test until someone
decides who may call it. Ids in the paths are made up: a caller let through
gets past the role check and then finds nothing (404, 405, 422...), a caller
kept out is stopped by 401 or 403 before anything is looked up.
"""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from tests.support.server import RunningServer

ANYONE = frozenset(
    {"anonymous", "camera", "screen", "supervisor", "judge", "clerk", "operator", "admin"}
)
STAFF = frozenset({"supervisor", "judge", "clerk", "operator", "admin"})  # who reads the records
MARKING = STAFF - {"supervisor"}  # a supervisor only reads
WRITERS = frozenset({"clerk", "operator", "admin"})
OPERATORS = frozenset({"operator", "admin"})
REVIEWERS = frozenset({"judge", "clerk", "admin"})
ADMIN = frozenset({"admin"})

ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/healthz"): ANYONE,
    ("GET", "/metrics"): ADMIN,
    ("GET", "/api/v1/nodes"): ADMIN,
    ("GET", "/api/v1/alarms"): STAFF,
    ("GET", "/api/v1/keys"): ANYONE,  # public keys: whoever checks the court's signatures
    ("GET", "/api/v1/me"): ANYONE - {"anonymous"},  # any token: what it is for
    ("GET", "/api/v1/audit"): ADMIN,
    ("POST", "/api/v1/tokens"): ADMIN,
    ("GET", "/api/v1/tokens"): ADMIN,
    ("DELETE", "/api/v1/tokens/{token_id}"): ADMIN,
    ("POST", "/api/v1/courtrooms"): ADMIN,
    ("GET", "/api/v1/courtrooms"): STAFF,
    ("GET", "/api/v1/courtrooms/{courtroom_id}"): STAFF,
    ("GET", "/api/v1/courtrooms/{courtroom_id}/feeds"): STAFF,
    ("PUT", "/api/v1/courtrooms/{courtroom_id}/cameras"): OPERATORS,
    ("POST", "/api/v1/cases"): OPERATORS,
    ("GET", "/api/v1/cases"): STAFF,
    ("GET", "/api/v1/cases/{case_id}"): STAFF,
    ("PATCH", "/api/v1/cases/{case_id}"): OPERATORS,
    ("PUT", "/api/v1/cases/{case_id}/legal-hold"): OPERATORS,
    ("POST", "/api/v1/cases/{case_id}/access-codes"): OPERATORS,
    ("GET", "/api/v1/cases/{case_id}/access-codes"): OPERATORS,
    ("DELETE", "/api/v1/cases/{case_id}/access-codes/{code_id}"): OPERATORS,
    ("POST", "/api/v1/hearings"): OPERATORS,
    ("GET", "/api/v1/hearings"): STAFF,
    ("GET", "/api/v1/hearings/{hearing_id}"): STAFF,
    ("PATCH", "/api/v1/hearings/{hearing_id}"): OPERATORS,
    ("POST", "/api/v1/hearings/{hearing_id}/recordings"): OPERATORS,
    ("GET", "/api/v1/hearings/{hearing_id}/broadcast"): OPERATORS,
    ("PUT", "/api/v1/hearings/{hearing_id}/broadcast"): OPERATORS,
    ("POST", "/api/v1/hearings/{hearing_id}/access-codes"): OPERATORS,
    ("GET", "/api/v1/hearings/{hearing_id}/access-codes"): OPERATORS,
    ("DELETE", "/api/v1/hearings/{hearing_id}/access-codes/{code_id}"): OPERATORS,
    ("POST", "/api/v1/hearings/{hearing_id}/assignments"): ADMIN,
    ("GET", "/api/v1/hearings/{hearing_id}/assignments"): ADMIN,
    ("DELETE", "/api/v1/hearings/{hearing_id}/assignments/{token_id}"): ADMIN,
    # the e-dossier package goes with the case on appeal: the bench and its clerks
    ("GET", "/api/v1/hearings/{hearing_id}/package"): REVIEWERS,
    ("POST", "/api/v1/qr"): OPERATORS,
    ("GET", "/api/v1/public/hearings"): ANYONE,
    ("GET", "/api/v1/public/hearings/{hearing_id}"): ANYONE,
    # replays: published by operators; watched by anyone, judged per hearing (made-up: 404)
    ("PUT", "/api/v1/hearings/{hearing_id}/replay"): OPERATORS,
    ("DELETE", "/api/v1/hearings/{hearing_id}/replay"): OPERATORS,
    ("GET", "/api/v1/public/hearings/{hearing_id}/replay"): ANYONE,
    ("GET", "/replay/{hearing_id}/{camera}/playlist.m3u8"): ANYONE,
    ("GET", "/replay/{hearing_id}/{camera}/segments/{recording_id}/{name}"): ANYONE,
    # an access code exchanged for a viewer ticket: no token, the code decides (made-up: 404)
    ("POST", "/api/v1/public/hearings/{hearing_id}/tickets"): ANYONE,
    ("GET", "/api/v1/recordings"): STAFF,
    # oversight figures: court leaders (made-up ids need none: the period is missing, 422)
    ("GET", "/api/v1/oversight/viewing"): frozenset({"supervisor", "judge", "admin"}),
    ("GET", "/api/v1/oversight/supervision"): frozenset({"supervisor", "judge", "admin"}),
    ("GET", "/api/v1/oversight/access-log"): frozenset({"supervisor", "judge", "admin"}),
    # a viewing point asks what to show with its own token (made-up: 404 for any token)
    ("GET", "/api/v1/screens/{screen_id}"): ANYONE - {"anonymous"},
    # the record in the room: judged by the live rule (made-up hearing: 404), the display by
    # the token's reach (a made-up courtroom: 404 for any token)
    ("GET", "/api/v1/live/{hearing_id}/record"): ANYONE,
    ("GET", "/api/v1/courtrooms/{courtroom_id}/display"): ANYONE - {"anonymous"},
    # the program feed: chosen by the operator or the judge, read by staff
    ("GET", "/api/v1/courtrooms/{courtroom_id}/program"): STAFF,
    ("PUT", "/api/v1/courtrooms/{courtroom_id}/program"): frozenset({"operator", "judge", "admin"}),
    ("DELETE", "/api/v1/courtrooms/{courtroom_id}/program"): frozenset(
        {"operator", "judge", "admin"}
    ),
    # parties confirm the record on a tablet the clerk holds
    ("GET", "/api/v1/recordings/{recording_id}/record"): STAFF,
    ("POST", "/api/v1/recordings/{recording_id}/confirmations"): WRITERS,
    ("GET", "/api/v1/recordings/{recording_id}/confirmations"): STAFF,
    (
        "GET",
        "/api/v1/recordings/{recording_id}/confirmations/{confirmation_id}/signature.png",
    ): STAFF,
    # sittings: a made-up one is 404 for staff (it holds no hearing they may see)
    ("POST", "/api/v1/sittings"): OPERATORS,
    ("GET", "/api/v1/sittings"): STAFF,
    ("GET", "/api/v1/sittings/{sitting_id}"): STAFF,
    ("POST", "/api/v1/sittings/{sitting_id}/start"): OPERATORS,
    ("POST", "/api/v1/sittings/{sitting_id}/next"): OPERATORS,
    ("POST", "/api/v1/sittings/{sitting_id}/end"): OPERATORS,
    ("GET", "/api/v1/recordings/{recording_id}"): STAFF,
    ("POST", "/api/v1/recordings/{recording_id}/stop"): OPERATORS,
    ("GET", "/api/v1/recordings/{recording_id}/cameras/{camera}/playlist.m3u8"): STAFF,
    # segments also open to signed links; a bearer token must be staff
    ("GET", "/api/v1/recordings/{recording_id}/cameras/{camera}/segments/{name}"): STAFF,
    ("GET", "/api/v1/recordings/{recording_id}/cameras/{camera}/export.mp4"): STAFF,
    ("GET", "/api/v1/recordings/{recording_id}/cameras/{camera}/export.json"): STAFF,
    ("POST", "/api/v1/recordings/{recording_id}/markers"): MARKING,
    ("GET", "/api/v1/recordings/{recording_id}/markers"): STAFF,
    ("POST", "/api/v1/recordings/{recording_id}/transcript"): WRITERS,
    ("GET", "/api/v1/recordings/{recording_id}/transcript"): STAFF,
    ("PUT", "/api/v1/recordings/{recording_id}/transcript/{line_id}"): WRITERS,
    ("GET", "/api/v1/recordings/{recording_id}/transcript/{line_id}/history"): STAFF,
    # WHIP: a camera token publishes only to its own courtroom and camera (not this made-up
    # one: see test_resources.py); judges and clerks never publish
    ("POST", "/whip/{courtroom_id}/{camera}"): OPERATORS,
    ("OPTIONS", "/whip/{courtroom_id}/{camera}"): ANYONE,
    # ending a publication takes a token for its courtroom: not the camera's, for a made-up one
    ("DELETE", "/whip/{courtroom_id}/{camera}/{publication_id}"): OPERATORS,
    ("PATCH", "/whip/{courtroom_id}/{camera}/{publication_id}"): ANYONE,
    # WHEP and live HLS decide per hearing (public, code, staff): made-up hearings are 404
    ("POST", "/whep/{hearing_id}/{camera}"): ANYONE,
    ("OPTIONS", "/whep/{hearing_id}/{camera}"): ANYONE,
    ("DELETE", "/whep/{hearing_id}/{camera}/{viewer_id}"): ANYONE,
    ("PATCH", "/whep/{hearing_id}/{camera}/{viewer_id}"): ANYONE,
    ("GET", "/live/{hearing_id}/{camera}/playlist.m3u8"): ANYONE,
    # only by a signed link from a live playlist, whatever the token
    ("GET", "/live/{hearing_id}/{camera}/segments/{name}"): frozenset(),
    # LL-HLS parts: unsigned links are the public's, judged per hearing (made-up: 404)
    ("GET", "/live/{hearing_id}/{camera}/ll/{name}"): ANYONE,
}


def documented_routes() -> set[tuple[str, str]]:
    schema = create_app().openapi()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_route_has_a_decision() -> None:
    assert documented_routes() == set(ALLOWED)


def concrete(path: str) -> str:
    """A made-up id for every path parameter (a name ending .mp4 for segment names)."""
    return (
        path.replace("{name}", "init-0001.mp4")
        .replace("{camera}", "bench")
        .replace("{", "")
        .replace("}", "")
    )


@pytest.fixture(scope="module")
def role_tokens(api_server: RunningServer) -> dict[str, str]:
    """A token of every role (the camera's for a real courtroom and camera)."""
    headers = {"Authorization": f"Bearer {api_server.admin_token}"}
    with httpx.Client(base_url=api_server.base_url, headers=headers, timeout=30) as admin:
        room = admin.post(
            "/api/v1/courtrooms",
            json={"name": "第五法庭", "kind": "courtroom", "cameras": ["bench"]},
        ).json()
        secrets = {"admin": api_server.admin_token}
        for role in ("supervisor", "judge", "clerk", "operator", "camera", "screen"):
            body = {"role": role, "name": f"{role} 乙"}
            if role == "camera":
                body |= {"courtroom_ids": [room["id"]], "camera": "bench"}
            if role == "screen":
                body |= {
                    "courtroom_ids": [room["id"]],
                    "place": "visiting_room",
                    "visibilities": ["public"],
                }
            created = admin.post("/api/v1/tokens", json=body)
            assert created.status_code == 201, created.text
            secrets[role] = created.json()["token"]
    return secrets


@pytest.mark.parametrize(("method", "path"), sorted(ALLOWED))
async def test_route_lets_in_exactly_its_roles(
    api_server: RunningServer, role_tokens: dict[str, str], method: str, path: str
) -> None:
    body = b"v=0\r\n" if path.startswith(("/whip", "/whep")) else b"{}"
    content_type = "application/sdp" if path.startswith(("/whip", "/whep")) else "application/json"
    verdicts = {}
    async with httpx.AsyncClient(base_url=api_server.base_url, timeout=30) as client:
        for role in sorted(ANYONE):
            headers = {"Content-Type": content_type}
            if role != "anonymous":
                headers["Authorization"] = f"Bearer {role_tokens[role]}"
            answer = await client.request(method, concrete(path), content=body, headers=headers)
            assert answer.status_code < 500, (role, answer.text)
            verdicts[role] = answer.status_code not in (401, 403)
    assert {role for role, allowed in verdicts.items() if allowed} == ALLOWED[(method, path)]
