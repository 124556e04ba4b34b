"""Ingest CPU of this checkout against another, both recording the same publishers at once.

`bench.ingest` measures one server at a time, and on this machine class the same code gave
1.02-1.20 % of a core per stream within forty minutes: a change worth a few percent cannot be
told from that by alternating runs. Here two servers run side by side, this checkout's and
`--against`'s (another checkout with its C extensions built), each recording N cameras, and
every sending process publishes the same clip to both, half its publishers each: both servers
see the same packets at the same moments on the same machine, so what moves one moves the
other, and their ratio is the figure.

    .venv/bin/python -m bench.ingest_ab --against ../before --publishers 8 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]

from bench.ingest import (
    CLIP_MARGIN_S,
    FPS,
    SEGMENT_S,
    VALID_SHARE,
    Senders,
    clip_for,
    cpu_seconds,
    describe_clip,
    prepare_recording,
    stored_frames,
)
from tests.support.server import running_server


def _interleaved(first: list[str], second: list[str]) -> list[str]:
    """One of each in turn, so every sending process feeds both servers equally."""
    return [url for pair in zip(first, second, strict=True) for url in pair]


def one_round(clip: Path, against: Path, streams: int, warmup_s: float, window_s: float) -> float:
    """Both servers over one window; prints their figures, returns this/against."""
    token = "bench-admin-token-" + str(time.monotonic_ns())
    with tempfile.TemporaryDirectory(prefix="courtcast-ab-") as tmp, ExitStack() as stack:
        admin = {"COURTCAST_ADMIN_TOKEN": token}  # one token: the senders serve both
        ours = stack.enter_context(running_server(Path(tmp) / "ours", admin))
        theirs = stack.enter_context(
            running_server(Path(tmp) / "theirs", admin, code=against.resolve())
        )
        servers = {"this checkout": ours, "--against": theirs}
        prepared = {name: asyncio.run(prepare_recording(s, streams)) for name, s in servers.items()}
        urls = _interleaved(prepared["this checkout"][1], prepared["--against"][1])
        senders = Senders(clip, urls, token, None, 2 * streams)
        clients = {
            name: stack.enter_context(
                httpx.Client(
                    base_url=s.base_url,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                )
            )
            for name, s in servers.items()
        }
        watched = {name: psutil.Process(s.process.pid) for name, s in servers.items() if s.process}
        try:
            senders.connect("servers")
            time.sleep(warmup_s)
            frames_before = {n: stored_frames(c, prepared[n][0]) for n, c in clients.items()}
            cpu_before = {name: cpu_seconds(process) for name, process in watched.items()}
            started = time.monotonic()
            time.sleep(window_s)
            cpu_after = {name: cpu_seconds(process) for name, process in watched.items()}
            elapsed = time.monotonic() - started
            frames_after = {n: stored_frames(c, prepared[n][0]) for n, c in clients.items()}
        finally:
            senders.stop()
    least_valid = VALID_SHARE * FPS * (elapsed - 2 * SEGMENT_S)
    percent = {}
    for name in servers:
        stored = [b - a for a, b in zip(frames_before[name], frames_after[name], strict=True)]
        percent[name] = 100.0 * (cpu_after[name] - cpu_before[name]) / elapsed / streams
        valid = "" if min(stored) >= least_valid else "  NOT VALID: a camera fell behind"
        print(f"  {name:>13}: {percent[name]:.2f} % of a core per stream, frames {stored}{valid}")
    ratio = percent["this checkout"] / percent["--against"]
    print(f"  ratio {ratio:.3f}")
    return ratio


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--against", type=Path, required=True, help="the other checkout")
    parser.add_argument("--publishers", type=int, default=8, help="cameras per server")
    parser.add_argument("--seconds", type=float, default=30.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before measuring")
    parser.add_argument("--rounds", type=int, default=3, help="windows, each on new servers")
    args = parser.parse_args(argv)
    if not (args.against / "api" / "cli.py").is_file():
        parser.error(f"{args.against} is not a Courtcast checkout")
    clip = clip_for(args.warmup + args.seconds + CLIP_MARGIN_S)
    print(describe_clip(clip))
    print(f"{args.publishers} cameras on each server, {2 * args.publishers} publishers in all")
    ratios = []
    for number in range(args.rounds):
        print(f"round {number + 1}:")
        ratios.append(one_round(clip, args.against, args.publishers, args.warmup, args.seconds))
    print(
        f"this checkout / --against, {args.rounds} rounds: median {statistics.median(ratios):.3f}"
        f" (min {min(ratios):.3f}, max {max(ratios):.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
