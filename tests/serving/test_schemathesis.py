"""schemathesis against the service's own OpenAPI spec: no generated request, valid or
not, makes the service fail with a server error, for leads and for deals.

The strategies are driven with Hypothesis directly: schemathesis' pytest fixture loader
(``schemathesis.pytest.from_fixture``) reads ``Function._nodeid``, which pytest 9 no
longer has.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from lead_requests import TOKEN
from schemathesis import GenerationMode

from ml.serving.app import create_app
from ml.serving.config import ServingConfig
from ml.serving.online_log import OnlineInputLog

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
OPERATIONS = ["POST /v1/leads/score", "POST /v1/opportunities/score", "GET /health"]


@pytest.fixture(scope="module")
def api_schema(scorer, holder, deal_scorer, tmp_path_factory):
    online_log = OnlineInputLog(tmp_path_factory.mktemp("st") / "online.duckdb", 3600)
    app = create_app(scorer, holder, ServingConfig(), (TOKEN,), online_log, deals=deal_scorer,
                     background=False)  # fmt: skip
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_the_spec_lists_exactly_the_operations_under_test(api_schema):
    found = {
        f"{op.method.upper()} {op.path}"
        for op in (result.ok() for result in api_schema.get_all_operations())
    }
    assert found == set(OPERATIONS)


# Negative cases (schema-breaking bodies) only where there is a body to break.
CASES = [(label, GenerationMode.POSITIVE) for label in OPERATIONS] + [
    ("POST /v1/leads/score", GenerationMode.NEGATIVE),
    ("POST /v1/opportunities/score", GenerationMode.NEGATIVE),
]


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_no_request_makes_a_server_error(api_schema, label, mode):
    method, path = label.split(" ")
    operation = api_schema[path][method]
    seen: list[int] = []

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=60, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )  # fmt: skip
    def check(case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
        seen.append(response.status_code)
        assert response.status_code < 500, (response.status_code, response.text)

    check()
    assert seen  # the strategy produced requests, and every one was answered
