"""Property-based fuzzing of the whole OpenAPI: whatever a client sends, never a 500.

Schemathesis turns each documented operation into a Hypothesis strategy of
requests (valid and invalid paths, queries and bodies); every one is sent to
the real server with an admin token.
"""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support.server import RunningServer

EXAMPLES_PER_OPERATION = 20


def operations(server: RunningServer) -> list[schemathesis.APIOperation]:
    document = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.base_url = server.base_url
    return [result.ok() for result in schema.get_all_operations()]


def test_no_operation_answers_a_server_error(api_server: RunningServer) -> None:
    headers = {"Authorization": f"Bearer {api_server.admin_token}"}
    failures: list[str] = []
    sent: list[int] = []
    for operation in operations(api_server):

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def probe(case: schemathesis.Case) -> None:
            response = case.call(headers=headers, timeout=30)
            sent.append(response.status_code)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.text[:200]}"
            )

        try:
            probe()
        except AssertionError as error:
            failures.append(str(error).splitlines()[0])
    assert failures == [], "\n".join(failures)
    assert len(sent) >= 10 * len(operations(api_server))  # the fuzzing really ran
