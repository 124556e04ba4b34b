"""Supervisors (api/routes/oversight.py, court/supervision.py, court/access_log.py): a
read-only role that sees figures per courtroom, judge and case type that match the hearings
held, the archive access log of the hearings it oversees, and nothing of a sealed hearing it is
not assigned to. The viewing log and a recording gap are written as the live path and the
recorder write them (tests/integration/test_sitting.py makes viewing rows with real viewers)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.fixtures_api import create_case, create_courtroom
from tests.support.server import RunningServer
from tests.support.tampering import run_sql

pytestmark = pytest.mark.asyncio(loop_scope="module")


def stamp(server: RunningServer, moment: datetime) -> str:
    """A UTC time as the index stores it (SQLite keeps it naive)."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return text + "+00" if "COURTCAST_DATABASE_URL" in server.env else text


async def held(
    admin: httpx.AsyncClient, room: str, *, visibility: str, judge: str, case_type: str
) -> tuple[str, str]:
    """A hearing recorded (no camera needed), stopped and closed; its id and its recording's."""
    case = await create_case(admin, case_type=case_type)
    made = await admin.post(
        "/api/v1/hearings",
        json={
            "case_id": case,
            "courtroom_id": room,
            "title": "假释案件开庭",
            "scheduled_start": datetime.now(UTC).isoformat(),
            "visibility": visibility,
            "presiding_judge": judge,
        },
    )
    assert made.status_code == 201, made.text
    hearing = made.json()["id"]
    started = await admin.post(f"/api/v1/hearings/{hearing}/recordings")
    assert started.status_code == 201, started.text
    recording: str = started.json()["id"]
    assert (await admin.post(f"/api/v1/recordings/{recording}/stop")).status_code == 200
    closed = await admin.patch(f"/api/v1/hearings/{hearing}", json={"status": "closed"})
    assert closed.status_code == 200, closed.text
    return hearing, recording


async def off_record(
    admin: httpx.AsyncClient, recording: str, start: datetime, minutes: int
) -> None:
    for kind, at, text in (
        ("off_record_start", start, "调解"),
        ("off_record_end", start + timedelta(minutes=minutes), ""),
    ):
        body = {"at": at.isoformat(), "kind": kind, "text": text}
        marked = await admin.post(f"/api/v1/recordings/{recording}/markers", json=body)
        assert marked.status_code == 201, marked.text


def viewers(server: RunningServer, hearing: str, room: str, spans: list[tuple[int, int]]) -> None:
    """Public viewers of the hearing from/to these minutes after now-1h."""
    base = datetime.now(UTC) - timedelta(hours=1)
    for number, (start, end) in enumerate(spans):
        run_sql(
            server,
            "INSERT INTO viewing_sessions (id, hearing_id, courtroom_id, camera, kind, started_at,"
            f" ended_at) VALUES ('{hearing}-{number}', '{hearing}', '{room}', 'bench', 'public',"
            f" '{stamp(server, base + timedelta(minutes=start))}',"
            f" '{stamp(server, base + timedelta(minutes=end))}')",
        )


def by_group(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["group"]: row for row in rows}


async def test_a_supervisor_sees_figures_of_what_it_oversees_and_nothing_of_hidden_sealed(
    api_server: RunningServer,
) -> None:
    start = datetime.now(UTC) - timedelta(hours=2)
    period = {"from": start.isoformat(), "to": (start + timedelta(hours=4)).isoformat()}
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        elsewhere = (await create_courtroom(admin, ["bench"])).id
        made = await admin.post(
            "/api/v1/tokens",
            json={"role": "supervisor", "name": "院长", "courtroom_ids": [room]},
        )
        assert made.status_code == 201, made.text
        supervisor_id, secret = made.json()["id"], made.json()["token"]
        public, public_rec = await held(
            admin, room, visibility="public", judge="王法官", case_type="criminal"
        )
        await off_record(admin, public_rec, datetime.now(UTC) - timedelta(minutes=30), 3)
        assigned, _ = await held(
            admin, room, visibility="sealed", judge="李法官", case_type="criminal"
        )
        await admin.post(
            f"/api/v1/hearings/{assigned}/assignments", json={"token_id": supervisor_id}
        )
        hidden, _ = await held(
            admin, room, visibility="sealed", judge="赵法官", case_type="criminal"
        )
        await held(admin, elsewhere, visibility="public", judge="王法官", case_type="criminal")
        opened = await admin.get(f"/api/v1/hearings/{public}/package")
        assert opened.status_code == 200, opened.text
    viewers(api_server, public, room, [(0, 10), (5, 20), (30, 40)])
    gap_at = datetime.now(UTC) - timedelta(minutes=20)
    run_sql(
        api_server,
        "INSERT INTO gaps (id, recording_id, camera, reason, started_at, ended_at, detail)"
        f" VALUES ('gap{public_rec[:28]}', '{public_rec}', 'bench', 'publisher_lost',"
        f" '{stamp(api_server, gap_at)}', '{stamp(api_server, gap_at + timedelta(minutes=2))}',"
        " '')",
    )

    async with api_server.client(secret) as supervisor:
        rooms = (await supervisor.get("/api/v1/oversight/supervision", params=period)).json()
        (row,) = rooms
        assert {k: row[k] for k in ("hearings_held", "recorded", "livestreamed", "gaps")} == {
            "hearings_held": 2,  # the public one and the sealed one it is assigned to
            "recorded": 2,
            "livestreamed": 1,
            "gaps": 1,
        }
        assert (row["gap_minutes"], row["off_record_minutes"]) == (2.0, 3.0)
        assert row["off_record_reasons"] == {"调解": 3.0}
        assert (row["peak_viewers"], row["total_viewers"]) == (2, 3)
        assert (row["share_recorded"], row["share_livestreamed"]) == (1.0, 0.5)
        judges = by_group(
            (
                await supervisor.get(
                    "/api/v1/oversight/supervision", params={**period, "by": "judge"}
                )
            ).json()
        )
        assert set(judges) == {"王法官", "李法官"}  # 赵法官's sealed hearing is not its to see
        assert judges["王法官"]["hearings_held"] == 1
        types = (
            await supervisor.get(
                "/api/v1/oversight/supervision", params={**period, "by": "case_type"}
            )
        ).json()
        assert [(t["group"], t["hearings_held"]) for t in types] == [("criminal", 2)]
        sheet = await supervisor.get(
            "/api/v1/oversight/supervision", params={**period, "format": "csv"}
        )
        assert sheet.content.startswith("\ufeff".encode())
        table = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
        assert table[0]["group"] == "第三法庭" and table[0]["off_record_reasons"] == '{"调解": 3.0}'

        log = (await supervisor.get("/api/v1/oversight/access-log", params=period)).json()
        assert [(e["kind"], e["hearing_id"], e["role"]) for e in log] == [
            ("package", public, "admin")
        ]
        refused = await supervisor.post(
            f"/api/v1/recordings/{public_rec}/markers",
            json={"at": datetime.now(UTC).isoformat(), "kind": "note", "text": "x"},
        )
        assert refused.status_code == 403, refused.text  # it only reads
        unseen = await supervisor.get(f"/api/v1/hearings/{hidden}")
        assert (unseen.status_code, unseen.json()) == (404, {"detail": "hearing not found"})
    async with api_server.client() as admin:
        everything = (await admin.get("/api/v1/oversight/supervision", params=period)).json()
        assert sum(row["hearings_held"] for row in everything) >= 4
