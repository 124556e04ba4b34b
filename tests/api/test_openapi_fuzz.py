"""Fuzzing that gates: every OpenAPI operation, as every role and with no token, on fixed inputs.

The inputs are drawn with `derandomize`, so CI sends the same requests on
every run and a failure is a regression, not bad luck. Every answer must not be
a 5xx, and a documented status must carry its documented body. New inputs are
drawn by `python -m tests.fuzz_forever --minutes N` (random seeds, for as long
as asked); whatever it finds goes into tests/api/test_regressions.py.

COURTCAST_FUZZ_EXAMPLES raises the number of requests drawn per operation.
"""

from __future__ import annotations

import os

import pytest

from tests.support.fuzzing import ROLES, build_world, fuzz, operations
from tests.support.server import RunningServer

EXAMPLES_PER_OPERATION = int(os.environ.get("COURTCAST_FUZZ_EXAMPLES", "30"))


@pytest.mark.timeout(600)  # about 2-3 minutes on a busy 2-core machine; room for a slower one
def test_no_operation_answers_a_server_error_or_off_its_schema(api_server: RunningServer) -> None:
    world = build_world(api_server)
    report = fuzz(api_server, world, examples=EXAMPLES_PER_OPERATION)
    assert report.failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in report.failures.items())
    count = len(operations(api_server))
    assert report.sent["admin"] >= EXAMPLES_PER_OPERATION * count / 2  # the fuzzing really ran
    for role in ROLES:  # every role's token worked somewhere, and none was refused everywhere
        assert 200 in report.answered[role] and report.sent[role] >= 2 * count, role
