"""How a hook replaces an aiortc or aioice function: once, keeping what it replaced.

A replacement keeps the original it wraps under `_ORIGINAL`, and applying a patch
again wraps that original, never a patch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_ORIGINAL = "_courtcast_original"  # marks a replacement and keeps what it replaced
_F = TypeVar("_F", bound=Callable[..., Any])


def patched(replacement: _F, original: object) -> _F:
    setattr(replacement, _ORIGINAL, original)
    return replacement


def unpatched(current: _F) -> _F:
    """What aiortc or aioice had before any of our patches."""
    original: _F = getattr(current, _ORIGINAL, current)
    return original
