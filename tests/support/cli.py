"""Run the `courtcast` command against a running test server's settings, as an operator would."""

from __future__ import annotations

import subprocess
import sys

from tests.support.server import RunningServer


def courtcast(
    server: RunningServer, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
