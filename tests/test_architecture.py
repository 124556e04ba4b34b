"""The rooms' import rules and module sizes, read from the source (README "The rooms").

api -> court -> {streaming, recorder} -> storage: a module may import only the rooms to its
right, so the court's rules never depend on HTTP and the archive never on the live side.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("api", "court", "streaming", "recorder", "storage")
FORBIDDEN: dict[str, set[str]] = {
    "court": {"api", "fastapi", "starlette"},
    "streaming": {"api", "court", "fastapi", "starlette"},
    "recorder": {"api", "court", "fastapi", "starlette"},
    "storage": {"api", "court", "streaming", "recorder", "fastapi", "starlette"},
}
MAX_LINES = 400
LONG_BY_NATURE = ("storage/migrations/",)  # one schema step each, never edited once shipped


def modules(room: str) -> list[Path]:
    return sorted((ROOT / room).rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    """The top-level package of every import in `path`, including imports under TYPE_CHECKING."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_import_only_to_their_right(room: str) -> None:
    breaches = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[room])
        for path in modules(room)
    }
    breaches = {path: names for path, names in breaches.items() if names}
    assert not breaches, f"{room}/ may not import {sorted(FORBIDDEN[room])}: {breaches}"


def test_the_rule_sees_a_breach(tmp_path: Path) -> None:
    """The reader above finds imports wherever they hide (a function, TYPE_CHECKING)."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from api.deps import X\n"
        "def f():\n    import fastapi.responses\n",
        encoding="utf-8",
    )
    assert {"api", "fastapi"} <= imported_roots(probe)


def test_no_module_passes_the_size_bound() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for room in ROOMS
        for path in modules(room)
        if not str(path.relative_to(ROOT)).startswith(LONG_BY_NATURE)
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by concept (over {MAX_LINES} lines): {long}"
