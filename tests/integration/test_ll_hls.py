"""Low-latency HLS on a real publication: parts, blocking reload, decoding, the kill switch
and sealing."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import av
import httpx

from tests.support.clips import clip_fixture, read_frame_number
from tests.support.fixtures_api import start_recording
from tests.support.publisher import WhipPublisher
from tests.support.server import RunningServer

clip = clip_fixture("ll.ts", seconds=30, width=320, height=240, fps=30, gop=60)
HINT = re.compile(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="ll/(\d+)\.(\d+)\.m4s"')
PART = re.compile(r'#EXT-X-PART:DURATION=[\d.]+,URI="ll/(\d+)\.(\d+)\.m4s"')


async def until_parts(anonymous: httpx.AsyncClient, url: str) -> str:
    """The live playlist once it lists parts (the publisher needs a moment to connect)."""
    for _ in range(100):
        response = await anonymous.get(url)
        if response.status_code == 200 and "#EXT-X-PART:" in response.text:
            return response.text
        await asyncio.sleep(0.2)
    raise AssertionError(f"no parts listed: {response.status_code} {response.text}")


async def blocked_for_hint(client: httpx.AsyncClient, url: str, text: str) -> tuple[int, int]:
    """A blocking reload for the hinted part returns once it exists, listing it; the public's
    answer is cacheable. Returns the part's (msn, index)."""
    hint = HINT.search(text)
    assert hint is not None, text
    msn, part = int(hint[1]), int(hint[2])
    blocked = await client.get(url, params={"_HLS_msn": msn, "_HLS_part": part})
    assert blocked.status_code == 200
    assert f'URI="ll/{msn}.{part}.m4s"' in blocked.text
    assert blocked.headers["cache-control"] == "public, max-age=6"
    return msn, part


def _frame_numbers(data: bytes) -> list[int]:
    with av.open(io.BytesIO(data), "r") as container:
        return [
            read_frame_number(frame.to_ndarray(format="gray")[:40])
            for frame in container.decode(video=0)
        ]


async def test_parts_are_listed_blocked_for_decoded_and_stopped_by_kill_switch_and_seal(
    server: RunningServer, clip: Path
) -> None:
    async with server.client() as admin:
        recording = await start_recording(admin)
        publisher = WhipPublisher(clip, recording.whip_url(server.base_url), server.admin_token)
        await publisher.start()
        url = f"/live/{recording.hearing_id}/bench/playlist.m3u8"
        base = f"/live/{recording.hearing_id}/bench/"
        try:
            async with httpx.AsyncClient(base_url=server.base_url) as anonymous:
                text = await until_parts(anonymous, url)
                assert "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES" in text
                msn, part = await blocked_for_hint(anonymous, url, text)
                hinted = await anonymous.get(base + f"ll/{msn}.{part + 1}.m4s")  # waits too
                assert hinted.status_code == 200 and hinted.headers["cache-control"].startswith(
                    "public"
                )
                far = await anonymous.get(url, params={"_HLS_msn": msn + 3, "_HLS_part": 0})
                assert far.status_code == 400

                # a whole segment, part by part: init + parts decode to its frames, in order
                closed = await anonymous.get(url, params={"_HLS_msn": msn + 1, "_HLS_part": 0})
                listed = [(int(m), int(p)) for m, p in PART.findall(closed.text)]
                whole = next(m for m, p in listed if p == 0 and f"\nll/{m}.m4s" in closed.text)
                init_name = re.findall(r'#EXT-X-MAP:URI="ll/(init-\d+\.mp4)"', closed.text)[-1]
                init = (await anonymous.get(base + f"ll/{init_name}")).content
                parts = [
                    (await anonymous.get(base + f"ll/{m}.{p}.m4s")).content
                    for m, p in listed
                    if m == whole
                ]
                segment = (await anonymous.get(base + f"ll/{whole}.m4s")).content
                assert b"".join(parts) == segment
                numbers = _frame_numbers(init + b"".join(parts))
                assert len(numbers) >= 50  # about two seconds at 30 fps
                assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))

                # with a broadcast delay the public gets stored segments old enough, no parts
                broadcast = f"/api/v1/hearings/{recording.hearing_id}/broadcast"
                await admin.put(broadcast, json={"on": True, "delay_s": 2})
                for _ in range(50):  # until a stored segment is 2 s old
                    delayed = await anonymous.get(url)
                    assert "#EXT-X-PART" not in delayed.text and "PRELOAD" not in delayed.text
                    stored = [line for line in delayed.text.splitlines() if line[:1] not in "#"]
                    if stored:
                        break
                    await asyncio.sleep(0.2)
                assert stored and all(line.startswith("segments/") for line in stored), delayed.text
                assert (await anonymous.get(base + stored[-1])).status_code == 200
                assert (await anonymous.get(base + f"ll/{msn}.{part}.m4s")).status_code == 404
                staff_live = await admin.get(url)
                assert "#EXT-X-PART:" in staff_live.text  # staff stay at the live edge
                await admin.put(broadcast, json={"on": True, "delay_s": 0})

                cut = await admin.put(
                    f"/api/v1/hearings/{recording.hearing_id}/broadcast", json={"on": False}
                )
                assert cut.status_code == 200
                refused = [
                    await anonymous.get(url),
                    await anonymous.get(url, params={"_HLS_msn": msn + 1, "_HLS_part": 1}),
                    await anonymous.get(base + f"ll/{msn}.{part}.m4s"),
                ]
                assert [r.status_code for r in refused] == [403, 403, 403]
                staff = await admin.get(url, params={"_HLS_msn": msn + 2, "_HLS_part": 0})
                assert staff.status_code == 200 and "#EXT-X-PART:" in staff.text
                assert staff.headers["cache-control"] == "private, max-age=6"
                assert re.search(r'#EXT-X-PART:[^\n]*URI="ll/\d+\.\d+\.m4s\?exp=', staff.text)

                await admin.put(
                    f"/api/v1/hearings/{recording.hearing_id}/broadcast", json={"on": True}
                )
                assert (await anonymous.get(url)).status_code == 200
                sealed = await admin.patch(
                    f"/api/v1/hearings/{recording.hearing_id}", json={"visibility": "sealed"}
                )
                assert sealed.status_code == 200, sealed.text
                hidden = [
                    await anonymous.get(url),
                    await anonymous.get(url, params={"_HLS_msn": msn + 2, "_HLS_part": 1}),
                    await anonymous.get(base + f"ll/{msn}.{part}.m4s"),
                ]
                assert [r.status_code for r in hidden] == [404, 404, 404]
        finally:
            await publisher.close()
