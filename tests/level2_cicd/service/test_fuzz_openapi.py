"""Schema-driven fuzzing of the live service's OpenAPI spec: no input may cause a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.level2_cicd.conftest import LiveService

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

EXAMPLES_PER_OPERATION = 25


def test_no_generated_input_causes_a_server_error(live_service: LiveService) -> None:
    schema = schemathesis.openapi.from_url(f"{live_service.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert {op.path for op in operations} >= {"/predict", "/invocations", "/feedback", "/admin/reload"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=[not_a_server_error], timeout=10)

        fuzz()
