"""Fuzz a fresh server with random seeds for as long as asked, outside the test suite.

    .venv/bin/python -m tests.fuzz_forever --minutes 30 [--examples 50]

Each round draws new inputs (a new seed) for every operation and every role,
as tests/api/test_openapi_fuzz.py does with its fixed ones. The server runs on
SQLite in a temporary directory, or on the PostgreSQL at
COURTCAST_TEST_POSTGRES=host:port. Every failure is printed with its seed and
a curl command; the exit status is 1 if there was any. Add each one to
tests/api/test_regressions.py before fixing it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from tests.support.fuzzing import Report, build_world, fuzz
from tests.support.server import running_server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to keep drawing")
    parser.add_argument("--examples", type=int, default=50, help="requests per operation a round")
    args = parser.parse_args()
    deadline = time.monotonic() + args.minutes * 60
    failures: dict[str, str] = {}
    rounds = 0
    with (
        tempfile.TemporaryDirectory(prefix="courtcast-fuzz-") as root,
        running_server(Path(root) / "data") as server,
    ):
        world = build_world(server)
        while time.monotonic() < deadline:
            seed = random.SystemRandom().getrandbits(32)
            report = fuzz(server, world, examples=args.examples, random_seed=seed, until=deadline)
            rounds += 1
            new = {k: v for k, v in report.failures.items() if k not in failures}
            failures |= {k: f"seed {seed}\n{v}" for k, v in new.items()}
            print(summary(rounds, seed, report, len(new)), flush=True)
            for key in new:
                print(f"\nFAILURE {key}\n{failures[key]}\n", flush=True)
    print(f"{rounds} rounds, {len(failures)} distinct failures")
    return 1 if failures else 0


def summary(rounds: int, seed: int, report: Report, new: int) -> str:
    sent = sum(report.sent.values())
    return f"round {rounds} (seed {seed}): {sent} requests, {new} new failures"


if __name__ == "__main__":
    sys.exit(main())
