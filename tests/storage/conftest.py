"""What the index tests share: the calls SQLite's driver ran on its thread."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import aiosqlite.core
import pytest


@pytest.fixture
def driver_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every call the driver ran on its thread, by name."""
    calls: Counter[str] = Counter()
    run = aiosqlite.core.Connection._execute

    async def counted(
        self: aiosqlite.Connection, fn: object, *args: object, **kwargs: object
    ) -> object:
        calls[getattr(fn, "__name__", "?")] += 1
        return await run(self, fn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    yield calls
