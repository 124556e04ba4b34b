"""kill -9 in the middle of a recording: at most one fragment is lost and the gap is on record.

The loss is measured by the test, not taken from the server: every picture carries its
frame number, the camera notes when it sent each one, and the last number the archive
holds from before the crash is compared with the moment of the kill.
"""

from __future__ import annotations

import asyncio
import io
import signal
import time

import av

from tests.support.archive import ArchivedTrack, fetch_track
from tests.support.camera import CameraPublisher, EncodingCamera
from tests.support.clips import read_frame_number
from tests.support.fixtures_api import start_recording
from tests.support.server import RunningServer
from tests.support.viewer import NUMBER_ROWS

FPS = 30
FRAGMENT_S = 0.4  # COURTCAST_FRAGMENT_SECONDS' default: the spool fsyncs whole fragments
# the worst case: a fragment all but complete, the frame that closes it, delivery and fsync
MAX_LOSS_S = FRAGMENT_S + 1 / FPS + 0.15


class TimedCamera(EncodingCamera):
    """Notes the wall-clock time each numbered frame left for the network: `sent_at[n]`."""

    def __init__(self) -> None:
        super().__init__(640, 360, FPS, gop=60)
        self.sent_at: list[float] = []

    async def recv(self) -> av.Packet:
        packet = await super().recv()
        self.sent_at.append(time.time())
        return packet


def archived_frame_numbers(track: ArchivedTrack) -> list[int]:
    """The number drawn in every archived picture, in playback order."""
    numbers: list[int] = []
    for epoch in track.epochs:
        with av.open(io.BytesIO(epoch.file())) as container:
            for frame in container.decode(video=0):
                luma = frame.to_ndarray(format="gray")[:NUMBER_ROWS]
                numbers.append(read_frame_number(luma))
    return numbers


def split_at_restart(numbers: list[int]) -> tuple[list[int], list[int]]:
    """Before and after the crash: the second camera numbers its frames from 0 again."""
    restart = next(i for i in range(1, len(numbers)) if numbers[i] < numbers[i - 1])
    return numbers[:restart], numbers[restart:]


def is_consecutive(numbers: list[int]) -> bool:
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


async def test_sigkill_loses_at_most_a_fragment_and_the_recording_goes_on(
    any_store_server: RunningServer,
) -> None:
    server = any_store_server
    async with server.client() as client:
        recording = await start_recording(client)
    url = recording.whip_url(server.base_url)

    before_camera = TimedCamera()
    before = CameraPublisher(before_camera, url, server.admin_token)
    await before.start()
    await asyncio.sleep(5.3)  # mid-segment, mid-fragment
    killed_at = time.time()
    server.stop(signal.SIGKILL)
    dead_at = time.time()
    before.resource_url = None  # the server is gone: there is nothing to hang up
    await before.close()

    server.start()  # same data directory
    after = CameraPublisher(EncodingCamera(640, 360, FPS, gop=60), url, server.admin_token)
    await after.start()
    await asyncio.sleep(4)
    async with server.client() as client:
        stop = await client.post(f"/api/v1/recordings/{recording.id}/stop")
        await after.close()
        assert stop.status_code == 200, stop.text
        stopped = stop.json()
        track = stopped["tracks"][0]
        archived = await fetch_track(client, track["playlist"])

    numbers = archived_frame_numbers(archived)
    assert len(numbers) == track["frames"]
    kept, resumed = split_at_restart(numbers)
    assert is_consecutive(kept) and is_consecutive(resumed), "frames missing outside the crash"
    assert kept[0] <= FPS, f"recording began at frame {kept[0]}: the join took over a second"
    last_sent_at = before_camera.sent_at[kept[-1]]
    lost = killed_at - last_sent_at
    assert last_sent_at <= dead_at, "the archive holds a frame sent after the server died"
    assert lost <= MAX_LOSS_S, f"{lost:.3f} s before the kill are missing"
    assert len(resumed) >= (4 - 1) * FPS, "the recording must go on after the restart"

    gaps = [gap for gap in stopped["gaps"] if gap["reason"] == "crash"]
    assert len(gaps) == 1, stopped["gaps"]
    assert gaps[0]["ended_at"] is not None and gaps[0]["duration_s"] > 0
    assert archived.playlist.count("#EXT-X-DISCONTINUITY") == 1
    assert 'CLASS="org.courtcast.gap"' in archived.playlist
    assert 'X-REASON="crash"' in archived.playlist
