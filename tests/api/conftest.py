from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import RunningServer, running_server


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for a module of API tests that do not depend on each other's state."""
    root: Path = tmp_path_factory.mktemp("api")
    with running_server(root / "data") as running:
        yield running
