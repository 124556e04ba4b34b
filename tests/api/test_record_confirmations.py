"""Parties confirm the record (api/routes/confirmations.py): what may be confirmed and when,
and that each confirmation is checked again against every byte it speaks for: the statement
(signed), the signature image and the recording's manifest."""

from __future__ import annotations

import asyncio
import base64
import struct
import zlib
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.fixtures_api import create_case, create_courtroom, create_hearing
from tests.support.server import RunningServer
from tests.support.tampering import stored_objects

pytestmark = pytest.mark.asyncio(loop_scope="module")
PARTIES = [{"name": "张三", "role": "原告"}, {"name": "李四", "role": "被告"}]


def png(width: int = 4, height: int = 2) -> bytes:
    """A small grey PNG, as a signature pad would send."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def write(admin: httpx.AsyncClient, recording: str, text: str, **extra: Any) -> str:
    body = {"at": datetime.now(UTC).isoformat(), "speaker_role": "审判长", "text": text, **extra}
    written = await admin.post(f"/api/v1/recordings/{recording}/transcript", json=body)
    assert written.status_code == 201, written.text
    line_id: str = written.json()["id"]
    return line_id


async def sealed_record(admin: httpx.AsyncClient, recording: str) -> dict[str, Any]:
    for _ in range(100):
        record: dict[str, Any] = (await admin.get(f"/api/v1/recordings/{recording}/record")).json()
        if record["sealed"]:
            return record
        await asyncio.sleep(0.1)
    raise AssertionError("the recording was not sealed within 10 s")


def confirmation(record: dict[str, Any], party: dict[str, str], image: bytes) -> dict[str, str]:
    return {
        "party_name": party["name"],
        "party_role": party["role"],
        "record_sha256": record["sha256"],
        "signature_png": base64.b64encode(image).decode(),
    }


async def test_a_party_confirms_a_version_and_every_byte_it_speaks_for_is_checked(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        case = await create_case(admin, parties=PARTIES)
        hearing = await create_hearing(admin, room, case_id=case)
        started = await admin.post(f"/api/v1/hearings/{hearing}/recordings")
        recording = started.json()["id"]
        first = await write(admin, recording, "现在开庭。")
        await write(admin, recording, "合议庭备注", staff_only=True)
        await write(admin, recording, "原告陈述诉讼请求。")
        url = f"/api/v1/recordings/{recording}/confirmations"
        running = (await admin.get(f"/api/v1/recordings/{recording}/record")).json()
        early = await admin.post(url, json=confirmation(running, PARTIES[0], png()))
        assert (early.status_code, early.json()) == (
            409,
            {"detail": "the record is confirmed once the recording has stopped and been sealed"},
        )
        stopped = await admin.post(f"/api/v1/recordings/{recording}/stop")
        assert stopped.status_code == 200, stopped.text
        record = await sealed_record(admin, recording)
        assert [line["text"] for line in record["lines"]] == ["现在开庭。", "原告陈述诉讼请求。"]
        assert record["parties"] == PARTIES

        refusals = [
            ({"name": "王五", "role": "原告"}, png(), record, 422, "原告 王五 is not a party"),
            (PARTIES[0], b"GIF89a" + bytes(40), record, 422, "the signature must be a PNG"),
            (PARTIES[0], png(), {**record, "sha256": "0" * 64}, 409, "the record has changed"),
        ]
        for party, image, shown, status, words in refusals:
            refused = await admin.post(url, json=confirmation(shown, party, image))
            assert refused.status_code == status and words in refused.json()["detail"], refused.text
        made = await admin.post(url, json=confirmation(record, PARTIES[0], png()))
        assert made.status_code == 201, made.text
        assert made.json()["record_lines"] == 2

        (checked,) = (await admin.get(url)).json()
        assert (checked["verified"], checked["current"], checked["problems"]) == (True, True, [])
        drawn = await admin.get(f"{url}/{checked['id']}/signature.png")
        assert (drawn.status_code, drawn.content) == (200, png())

        edited = await admin.put(
            f"/api/v1/recordings/{recording}/transcript/{first}",
            json={"speaker_role": "审判长", "text": "现在开庭，核对当事人身份。"},
        )
        assert edited.status_code == 200, edited.text
        (checked,) = (await admin.get(url)).json()
        assert (checked["verified"], checked["current"]) == (True, False)  # signed the old one

        with stored_objects(api_server) as objects:
            (key,) = objects.keys(f"{checked['id']}.png")
            objects.write(key, png(5, 2))
        (checked,) = (await admin.get(url)).json()
        assert checked["verified"] is False
        assert checked["problems"] == ["the signature image is missing or altered"]


async def test_a_sealed_hearing_s_record_is_unknown_to_the_unassigned(
    api_server: RunningServer,
) -> None:
    async with api_server.client() as admin:
        room = (await create_courtroom(admin, ["bench"])).id
        hearing = await create_hearing(admin, room, "sealed")
        recording = (await admin.post(f"/api/v1/hearings/{hearing}/recordings")).json()["id"]
        clerk = await admin.post("/api/v1/tokens", json={"role": "clerk", "name": "书记员"})
    async with api_server.client(clerk.json()["token"]) as unassigned:
        for path in ("record", "confirmations"):
            hidden = await unassigned.get(f"/api/v1/recordings/{recording}/{path}")
            assert hidden.status_code == 404, hidden.text
