"""Property-based run of the API from its OpenAPI schema: no input yields a server error."""

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from search_service.app import create_app
from search_service.settings import Settings

pytestmark = pytest.mark.slow
EXAMPLES = 80  # per operation, with a fixed seed: bounded and stable CI time


def test_no_server_errors_from_schema(searcher, seed_index):
    app = create_app(Settings(index_dir=seed_index, member_tokens=["jeton"], reload_interval=0,
                              rate_limit_exempt=["testclient"]), searcher=searcher)
    with TestClient(app):  # runs the lifespan, as a real start would
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} >= {"/api/search", "/api/resources/{resource_id}"}
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case):
                response = case.call()
                assert response.status_code < 500, (case.path, case.query, response.text[:300])
                if response.status_code >= 400:
                    body = response.json()
                    assert body["message"]["fr"] and body["message"]["en"], body

            check()
