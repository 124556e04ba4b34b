"""A recording started mid-GOP begins at the keyframe before the start command, not after.

The camera keeps a fixed GOP and cannot answer a PLI (a fixed-GOP hardware encoder, or a
file being sent), so without the hub's pre-roll the archive would begin at the camera's
next keyframe, a second after the command. Every picture carries its frame number and the
camera notes when each left, so the start moment is chosen from frames seen, not a sleep.
"""

from __future__ import annotations

import asyncio
import io
import time
from datetime import datetime

import av

from tests.support.archive import Epoch, fetch_track
from tests.support.camera import CameraPublisher, EncodingCamera
from tests.support.clips import read_frame_number
from tests.support.fixtures_api import create_courtroom, create_hearing
from tests.support.server import RunningServer
from tests.support.viewer import NUMBER_ROWS

FPS = 30
GOP = 60  # a keyframe every 2 s
KEYFRAME = GOP  # the start command comes in this keyframe's GOP...
COMMAND_AT = KEYFRAME + GOP // 2  # ...once this frame has left: 1 s after it, 1 s before the next
RECORD_FRAMES = 3 * FPS  # recorded after the command


class FixedGopCamera(EncodingCamera):
    """Ignores PLI; notes when each numbered frame left (`sent_at[n]`) and which were IDRs."""

    def __init__(self) -> None:
        super().__init__(640, 360, FPS, gop=GOP)
        self.sent_at: list[float] = []
        self.keyframes: list[int] = []

    def request_keyframe(self) -> None:
        """The encoder keeps its GOP whatever the server asks."""

    async def recv(self) -> av.Packet:
        packet = await super().recv()
        if packet.is_keyframe:
            self.keyframes.append(len(self.sent_at))
        self.sent_at.append(time.time())
        return packet

    async def sent(self, count: int) -> None:
        """Returns once frames 0..count-1 have left for the network."""
        while len(self.sent_at) < count:
            await asyncio.sleep(0.002)


def leading_frame_numbers(epoch: Epoch, count: int) -> list[int]:
    """The numbers drawn in the first `count` pictures of an epoch, decoded in order."""
    numbers: list[int] = []
    with av.open(io.BytesIO(epoch.file())) as container:
        for frame in container.decode(video=0):
            numbers.append(read_frame_number(frame.to_ndarray(format="gray")[:NUMBER_ROWS]))
            if len(numbers) == count:
                break
    return numbers


def first_timestamps(epoch: Epoch) -> dict[str, float]:
    """Seconds into the file of each kind's first packet."""
    starts: dict[str, float] = {}
    with av.open(io.BytesIO(epoch.file())) as container:
        for packet in container.demux():
            if packet.pts is not None and packet.time_base is not None:
                starts.setdefault(packet.stream.type, float(packet.pts * packet.time_base))
    return starts


def first_program_date_time(playlist: str) -> float:
    tag = "#EXT-X-PROGRAM-DATE-TIME:"
    first = next(line for line in playlist.splitlines() if line.startswith(tag))
    return datetime.fromisoformat(first.removeprefix(tag)).timestamp()


async def test_recording_started_mid_gop_begins_at_the_keyframe_before_the_command(
    server: RunningServer,
) -> None:
    camera = FixedGopCamera()
    async with server.client() as client:
        courtroom = await create_courtroom(client, ["bench"])
        publisher = CameraPublisher(
            camera, f"{server.base_url}/whip/{courtroom.id}/bench", server.admin_token
        )
        hearing_id = await create_hearing(client, courtroom.id)
        await publisher.start()  # the camera publishes before anyone records it
        try:
            await camera.sent(COMMAND_AT + 1)
            commanded_at = time.time()
            started = await client.post(f"/api/v1/hearings/{hearing_id}/recordings")
            assert started.status_code == 201, started.text
            last_keyframe = max(n for n in camera.keyframes if camera.sent_at[n] <= commanded_at)
            await camera.sent(len(camera.sent_at) + RECORD_FRAMES)
            stopped = await client.post(f"/api/v1/recordings/{started.json()['id']}/stop")
            assert stopped.status_code == 200, stopped.text
        finally:
            await publisher.close()
        (track,) = stopped.json()["tracks"]
        archived = await fetch_track(client, track["playlist"])

    assert camera.keyframes[:3] == [0, GOP, 2 * GOP], "the camera keeps its GOP"
    assert last_keyframe == KEYFRAME
    numbers = leading_frame_numbers(archived.epochs[0], GOP + RECORD_FRAMES // 2)
    # the kept GOP, then the live frames: one run with nothing missing or repeated
    assert numbers == list(range(KEYFRAME, KEYFRAME + len(numbers))), numbers[:8]
    # the sound of the kept GOP is there too: it begins with the picture, not at the command
    starts = first_timestamps(archived.epochs[0])
    assert starts["video"] == 0 and starts["audio"] < (GOP // 2) / FPS / 2, starts
    program_date_time = first_program_date_time(archived.playlist)
    assert program_date_time <= commanded_at, (program_date_time, commanded_at)
    # the recording's own start stays the command's time: the footage may begin before it
    recording_started = datetime.fromisoformat(stopped.json()["started_at"]).timestamp()
    assert program_date_time < recording_started
