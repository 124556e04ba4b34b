"""Fuzz every OpenAPI operation of a running server as every role, against the documented schema.

Schemathesis turns each operation into Hypothesis strategies: requests valid
for the schema, requests that break it, and valid ones aimed at objects that
exist (the ids of a small court made through the API first), so 200 answers
are checked too. Each answer must not be a 5xx, and a documented status must
carry the documented body (api/openapi_errors.py documents every 4xx).

`derandomize` (CI) draws the same inputs on every run; a seed draws others
(`python -m tests.fuzz_forever`). Failures are collected, not raised at once,
so one run reports every operation that broke, each with a curl command.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.serials import case_number
from tests.support.server import RunningServer

ROLES = ("admin", "operator", "judge", "clerk", "camera", "anonymous")
CHECKS = [not_a_server_error, response_schema_conformance]
REFUSALS_BEFORE_SKIP = 12


@dataclass
class World:
    """Bearer secrets per role (None: no token) and ids of objects that exist, by path name."""

    tokens: dict[str, str | None]
    known: dict[str, str]


@dataclass
class Report:
    sent: dict[str, int] = field(default_factory=dict)  # role -> requests sent
    answered: dict[str, set[int]] = field(default_factory=dict)  # role -> statuses seen
    failures: dict[str, str] = field(default_factory=dict)  # first line -> reproduction

    def count(self, role: str, status: int) -> None:
        self.sent[role] = self.sent.get(role, 0) + 1
        self.answered.setdefault(role, set()).add(status)


def build_world(server: RunningServer) -> World:
    """A courtroom, a case, public and sealed hearings, a recording with a marker and a
    transcript line, an access code, and one token per role: all through the API."""
    with httpx.Client(base_url=server.base_url, timeout=30) as plain:
        admin = {"Authorization": f"Bearer {server.admin_token}"}

        def post(path: str, body: object) -> dict[str, str]:
            response = plain.post(path, json=body, headers=admin)
            assert response.status_code == 201, (path, response.text)
            created: dict[str, str] = response.json()
            return created

        courtroom = post(
            "/api/v1/courtrooms", {"name": "第三法庭", "cameras": ["bench", "witness"]}
        )
        case = post(
            "/api/v1/cases",
            {
                "number": case_number(),
                "title": "张三诉李四合同纠纷",
                "parties": [{"name": "张三", "role": "原告"}],
            },
        )
        now = datetime.now(UTC).isoformat()
        hearings = {
            visibility: post(
                "/api/v1/hearings",
                {
                    "case_id": case["id"],
                    "courtroom_id": courtroom["id"],
                    "title": f"{visibility} hearing",
                    "scheduled_start": now,
                    "visibility": visibility,
                },
            )
            for visibility in ("sealed", "restricted", "public")
        }
        hearing_id = hearings["public"]["id"]
        recording = post(f"/api/v1/hearings/{hearing_id}/recordings", None)
        marker = f"/api/v1/recordings/{recording['id']}/markers"
        post(marker, {"at": now, "kind": "note", "text": "开庭"})
        line = post(
            f"/api/v1/recordings/{recording['id']}/transcript",
            {"at": now, "speaker_role": "审判长", "text": "现在开庭。"},
        )
        code = post(
            f"/api/v1/hearings/{hearings['restricted']['id']}/access-codes",
            {"label": "press", "max_viewers": 2},
        )
        tokens: dict[str, str | None] = {"admin": server.admin_token, "anonymous": None}
        for role in ("operator", "judge", "clerk", "camera"):
            body: dict[str, object] = {"role": role, "name": f"fuzz {role}"}
            if role == "camera":
                body |= {"courtroom_ids": [courtroom["id"]], "camera": "bench"}
            tokens[role] = post("/api/v1/tokens", body)["token"]
        spare = post("/api/v1/tokens", {"role": "clerk", "name": "fuzz spare"})
    known = {
        "courtroom_id": courtroom["id"],
        "case_id": case["id"],
        "hearing_id": hearing_id,
        "recording_id": recording["id"],
        "camera": "bench",
        "line_id": line["id"],
        "code_id": code["id"],
        "token_id": spare["id"],  # never a role's own token: revoking it would end the run
        "name": "seg-00000000.m4s",
    }
    return World(tokens=tokens, known=known)


def operations(server: RunningServer) -> list[schemathesis.APIOperation]:
    document = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.base_url = server.base_url
    return [result.ok() for result in schema.get_all_operations()]


def requests_for(operation: schemathesis.APIOperation, known: dict[str, str]) -> st.SearchStrategy:
    """Valid requests, invalid ones, and valid ones on existing objects (if the path names any)."""
    names = {parameter.name for parameter in operation.path_parameters}
    chosen = [
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    ]
    if names:
        existing = {name: value for name, value in known.items() if name in names}
        chosen.append(operation.as_strategy(path_parameters=existing))
    return st.one_of(chosen)


def fuzz(
    server: RunningServer,
    world: World,
    *,
    examples: int,
    random_seed: int | None = None,
    until: float | None = None,
    report: Report | None = None,
) -> Report:
    """Draw `examples` requests per operation and send each as every role (the same requests
    every run without a seed). A role refused (401/403) by an operation for its first
    REFUSALS_BEFORE_SKIP requests is not sent the rest: its inputs go no further than that.
    With a seed, operations come in an order of its own, and none starts after `until`
    (a time.monotonic() value).
    """
    report = report or Report()
    sessions = {role: requests.Session() for role in ROLES}
    for role, token in world.tokens.items():
        if token is not None:
            sessions[role].headers["Authorization"] = f"Bearer {token}"
    chosen = operations(server)
    if random_seed is not None:
        random.Random(random_seed).shuffle(chosen)
    for operation in chosen:
        if until is not None and time.monotonic() >= until:
            break
        fuzz_operation(operation, sessions, world, examples, random_seed, report)
    for session in sessions.values():
        session.close()
    return report


def fuzz_operation(
    operation: schemathesis.APIOperation,
    sessions: dict[str, requests.Session],
    world: World,
    examples: int,
    random_seed: int | None,
    report: Report,
) -> None:
    """Draw on this thread, send on one other: requests reach the server in the order drawn,
    while the next one is drawn during the server's work on the last."""
    refusals = dict.fromkeys(sessions, 0)
    admitted: set[str] = set()  # roles this operation answered once with neither 401 nor 403

    def send(case: schemathesis.Case) -> None:
        for role, session in sessions.items():
            if role not in admitted and refusals[role] >= REFUSALS_BEFORE_SKIP:
                continue
            response = case.call(session=session, timeout=30)
            report.count(role, response.status_code)
            if response.status_code in (401, 403):
                refusals[role] += 1
            else:
                admitted.add(role)
            check(case, response, role, report)

    sent: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=1) as sender:

        @settings(
            max_examples=examples,
            derandomize=random_seed is None,
            deadline=None,
            database=None,
            phases=(Phase.explicit, Phase.generate),  # a failure is reported as drawn, at once
            suppress_health_check=list(HealthCheck),
        )
        @given(case=requests_for(operation, world.known))
        def probe(case: schemathesis.Case) -> None:
            sent.append(sender.submit(send, case))

        run: Callable[[], None] = probe if random_seed is None else seed(random_seed)(probe)
        run()
    for future in sent:
        future.result()  # a request that could not be sent at all fails the run


def check(
    case: schemathesis.Case, response: schemathesis.Response, role: str, report: Report
) -> None:
    """Record every check `response` fails, once per operation, role, status and kind."""
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        where = f"{role}: {case.method} {case.path} -> {response.status_code}"
        for failure in group.exceptions:
            report.failures.setdefault(
                f"{where}: {failure.title}",
                f"{failure.message[:500]}\n{case.as_curl_command()}\n{response.text[:300]}",
            )
