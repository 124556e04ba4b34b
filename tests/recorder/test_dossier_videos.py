"""The package's playable videos: one MP4 per epoch of a camera, remuxed from its segments.

A camera whose picture size changed mid-hearing has two epochs, each with its own
init segment; the package then holds one MP4 for each, every archived picture in it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from recorder.dossier import PackageTree, playable_videos
from recorder.segment_plan import FragmentChunk, InitChunk, SegmentClosed
from recorder.segmenter import Segmenter
from storage.evidence_verifier import object_path
from tests.support.archive import decode
from tests.support.clips import make_clip
from tests.support.encoded import read_clip

PREFIX = "court/room/2026/03/02/r1/bench"


def archived_track(tree: PackageTree, clip: Path) -> dict[str, Any]:
    """The clip segmented as the recorder stores it, written where a package keeps it, and
    its manifest track (init before the first segment of its epoch)."""
    segmenter = Segmenter()
    chunks = [c for frame in read_clip(clip) for c in segmenter.push(frame)] + segmenter.finish()
    objects: list[dict[str, Any]] = []
    pending: dict[int, bytes] = {}
    origin = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    for chunk in chunks:
        if isinstance(chunk, InitChunk):
            key = f"{PREFIX}/init-{chunk.epoch:04d}.mp4"
            tree.write(object_path("r1", key), chunk.data)
            objects.append({"type": "init", "key": key, "epoch": chunk.epoch})
        elif isinstance(chunk, FragmentChunk):
            pending[chunk.sequence] = pending.get(chunk.sequence, b"") + chunk.data
        elif isinstance(chunk, SegmentClosed):
            key = f"{PREFIX}/seg-{chunk.sequence:08d}.m4s"
            tree.write(object_path("r1", key), pending.pop(chunk.sequence))
            started = origin + timedelta(seconds=chunk.started_at)
            objects.append(
                {
                    "type": "segment",
                    "key": key,
                    "epoch": chunk.epoch,
                    "started_at": started.isoformat(),
                    "frames": chunk.frames,
                }
            )
    return {"objects": objects}


async def test_a_change_of_picture_size_gives_one_mp4_per_epoch(tmp_path: Path) -> None:
    clip = make_clip(
        tmp_path / "switch.ts",
        seconds=6,
        width=640,
        height=360,
        resolution_change_at=3.0,
        second_size=(1280, 720),
    )
    tree = PackageTree(tmp_path / "package")
    track = archived_track(tree, clip)
    notes = await playable_videos(tree, "r1", "bench", track, tmp_path)
    assert notes == []
    videos = sorted(path for path in tree.files if path.startswith("video/"))
    assert videos == ["video/r1/bench-epoch-0001.mp4", "video/r1/bench-epoch-0002.mp4"]
    for epoch, (path, size) in enumerate(zip(videos, [(640, 360), (1280, 720)], strict=True), 1):
        decoded = decode((tree.root / path).read_bytes())
        segments = [o for o in track["objects"] if o["type"] == "segment" and o["epoch"] == epoch]
        assert decoded.sizes == {size}
        assert decoded.video_frames == sum(s["frames"] for s in segments) > 0
    assert list(tmp_path.glob("archive.mp4")) == []  # the scratch copy is gone
