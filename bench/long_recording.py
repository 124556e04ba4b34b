"""The recorder's per-frame cost over a long hearing: does hour 4 cost what minute 1 did?

Run: `.venv/bin/python -m bench.long_recording` (about 40 s; `--hours 4`)

One camera's frames (the ingest benchmark's 720p30 H.264 + Opus clip, demuxed once) go
through the work the recorder does on the event loop for every frame: the segment plan and
the fMP4 muxer (`recorder.segmenter.Segmenter`, 2 s segments of 0.4 s fragments, the
defaults). The clip is replayed as one continuous publication, its timestamps running on,
until the media covers `--hours`. The first pass is the baseline; the figure is the last
pass's CPU per frame beside it. No network, no disk: this isolates cost that grows with the
recording's length, which a 20-second ingest benchmark never reaches (a scan over every
segment of the epoch per fragment once made hour 4 cost about 50 times minute 1).
"""

from __future__ import annotations

import argparse
import time

import av

from bench.ingest import clip_for
from recorder.segmenter import Segmenter
from storage.archive import MediaKind
from streaming.frames import EncodedFrame

CLIP_S = 35
SEGMENT_S, FRAGMENT_S = 2.0, 0.4
WALLCLOCK_ORIGIN = 1_780_000_000.0


def clip_frames() -> tuple[list[EncodedFrame], float]:
    """The clip's frames in capture order, and the media time they span (s)."""
    frames: list[EncodedFrame] = []
    with av.open(str(clip_for(CLIP_S))) as container:
        for packet in container.demux():
            if not packet.size or packet.pts is None or packet.time_base is None:
                continue
            video = packet.stream.type == "video"
            kind: MediaKind = "video" if video else "audio"
            codec, rate = ("h264", 90_000) if video else ("opus", 48_000)
            seconds = float(packet.pts * packet.time_base)
            frames.append(
                EncodedFrame(
                    kind=kind,
                    codec=codec,
                    data=bytes(packet),
                    pts=round(seconds * rate),
                    clock_rate=rate,
                    keyframe=packet.is_keyframe,
                    wallclock=WALLCLOCK_ORIGIN + seconds,
                    source_id="bench",
                )
            )
    frames.sort(key=lambda frame: frame.wallclock)
    first = frames[0].wallclock
    span = frames[-1].wallclock - first + 1 / 30
    return frames, span


def run(hours: float) -> None:
    frames, span = clip_frames()
    passes = max(2, round(hours * 3600 / span))
    plan = Segmenter(target_segment_s=SEGMENT_S, fragment_s=FRAGMENT_S)
    cpu_s: list[float] = []
    for index in range(passes):
        shifted = [
            frame._replace(
                pts=frame.pts + round(index * span * frame.clock_rate),
                wallclock=frame.wallclock + index * span,
            )
            for frame in frames
        ]
        started = time.thread_time()
        for frame in shifted:
            plan.push(frame)
        cpu_s.append(time.thread_time() - started)
    plan.finish()
    print(
        f"{len(frames)} frames per pass ({span:.1f} s of media), {passes} passes = "
        f"{passes * span / 3600:.2f} h of one camera's recording"
    )
    for label, seconds in (("first pass (baseline)", cpu_s[0]), ("last pass", cpu_s[-1])):
        print(
            f"  {label:>21}: {seconds * 1e6 / len(frames):6.1f} us per frame, "
            f"{100 * seconds / span:5.3f} % of a core per camera"
        )
    middle = sorted(cpu_s)[len(cpu_s) // 2]
    print(f"  {'median pass':>21}: {middle * 1e6 / len(frames):6.1f} us per frame")
    print(f"ratio last / first: {cpu_s[-1] / cpu_s[0]:.2f} (goal: about 1, no growth)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hours", type=float, default=4.0, help="media time to record")
    run(parser.parse_args().hours)


if __name__ == "__main__":
    main()
