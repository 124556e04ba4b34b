"""Numbers a test run never repeats.

Case numbers are unique in a server's index, and test servers are shared by many tests (the
browser suite's by the whole run). Drawn at random, two five-digit numbers among a hundred
cases clashed about once in twenty runs (a CI run failed with 409 "case ... already exists").
Every serial has seven digits, so one written after a fixed prefix ("民初123" + serial) can
never equal another.
"""

from __future__ import annotations

import itertools

_serials = itertools.count(1_000_001)


def serial() -> int:
    """The next number of this test process, never given before."""
    return next(_serials)


def case_number(kind: str = "民初") -> str:
    """A fresh case number of this kind, as the court writes it: (2026)湘04民初1000001号."""
    return f"(2026)湘04{kind}{serial()}号"
