"""Schema-based fuzzing of the native API (schemathesis), against a real server on each database.

Every operation of the published OpenAPI document gets generated requests, valid and invalid; the
server must never answer 5xx, every answer must use a documented status code and content type, and
every body must match the published schema. The number of examples is bounded to keep the suite fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from billfold.api.app import create_app
from server_support import Server, new_key, serving

EXAMPLES = int(os.environ.get("BILLFOLD_FUZZ_EXAMPLES", "12"))


class _NoEngine:
    """The app is built here only for its OpenAPI document."""


schema = schemathesis.openapi.from_dict(create_app(engine=_NoEngine()).openapi()).include(  # type: ignore[arg-type]
    path_regex="^/v1/"
)


@pytest.fixture(scope="session")
def fuzz_target(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    # the session's database: this server must not deliver or schedule for other tests' organizations
    env = {**os.environ, "BILLFOLD_DATABASE_URL": database_url, "BILLFOLD_EMBEDDED_WORKER": "false"}
    # one worker: the cases are sent one at a time
    with serving(env, tmp_path_factory.mktemp("fuzz"), workers=1) as server:
        key = new_key(env, "Fuzz organization")
        with httpx.Client(base_url=server.base, headers={"X-API-KEY": key}) as client:
            customer = client.post("/v1/customers", json={"name": "Fuzz"}).json()
            client.post("/v1/invoices", json={"customerId": customer["id"]})
        yield server, key


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_native_api_never_fails_and_keeps_its_schema(case: Any, fuzz_target: tuple[Server, str]) -> None:
    server, key = fuzz_target
    case.call_and_validate(
        base_url=server.base,
        headers={"X-API-KEY": key},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
