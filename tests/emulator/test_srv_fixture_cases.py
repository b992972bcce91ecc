"""Every contract case in fixtures/requests/ posted to the emulator (STYLE lesson 14): an invalid request gets
exactly the validator's status, `x-amzn-ErrorType` and message; a valid one gets a 200 whose body passes
`validate_response`."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from emulator import EmulatorConfig, create_app
from tests.support.fixtures import FixtureCase, load_cases
from tests.support.responses import assert_error_response
from validator import validate_request
from validator.response import validate_response

CASES = load_cases()


@pytest.fixture(scope="module")
def client_for() -> Callable[[FixtureCase], FlaskClient]:
    """One app per distinct configuration the cases need (strict Content-Type, model aliases, the retired
    Stability ids served)."""

    @cache
    def build(strict: bool, aliases: str, historic: bool) -> FlaskClient:
        config = EmulatorConfig(
            access_log=False,
            strict_content_type=strict,
            model_aliases=json.loads(aliases),
            historic_models=historic,
        )
        return create_app(config).test_client()

    return lambda case: build(
        case.strict_content_type, json.dumps(case.aliases or {}, sort_keys=True), case.historic_models
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture_case(client_for: Callable[[FixtureCase], FlaskClient], case: FixtureCase) -> None:
    path = f"/model/{quote(case.model, safe='')}/invoke"  # percent-encoded once, as SDKs send it
    response = client_for(case).post(path, data=case.body, headers=case.headers or {})
    if not case.valid:
        assert case.exception is not None and case.message is not None
        assert_error_response(response, case.exception, case.status, case.message)
        return
    assert response.status_code == 200, response.data[:300]
    report = validate_request(
        case.body,
        case.model,
        headers=case.headers or {},
        strict_content_type=case.strict_content_type,
        aliases=case.aliases,
    )
    assert report.request is not None
    verdict = validate_response(response.data, report.request)
    assert verdict.valid, verdict.errors
