"""Every case in fixtures/requests/ through validate_request: verdict, status, message, warnings."""

from __future__ import annotations

import pytest

from tests.support.fixtures import FixtureCase, load_cases
from validator import validate_request

CASES = load_cases()


def test_corpus_is_not_empty() -> None:
    assert len(CASES) > 300


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: FixtureCase) -> None:
    report = validate_request(
        case.body,
        case.model,
        headers=case.headers,
        strict_content_type=case.strict_content_type,
        aliases=case.aliases,
    )
    assert report.valid is case.valid
    if case.valid:
        assert report.error is None and report.request is not None
        assert case.status == 200
    else:
        assert report.error is not None
        assert (report.error.exception, report.error.status) == (case.exception, case.status)
        assert report.error.message == case.message
    assert [w.code for w in report.warnings] == list(case.warnings)


def test_corpus_covers_every_rule_template_and_real_message() -> None:
    """Every docs/CONTRACT.md §7.3 rule, every §7.1 keyword template and every real text the validator can
    return."""
    from validator import messages
    from validator._render import SCHEMA_TEMPLATES, SEMANTIC_MESSAGES

    keywords: set[str] = set()
    texts: set[str] = set()
    for case in CASES:
        report = validate_request(
            case.body,
            case.model,
            headers=case.headers,
            strict_content_type=case.strict_content_type,
            aliases=case.aliases,
        )
        keywords |= {e.keyword for e in report.errors}
        texts |= {report.error.message} if report.error else set()
    assert set(SEMANTIC_MESSAGES) <= keywords
    assert set(SCHEMA_TEMPLATES) <= keywords
    real = [
        messages.MALFORMED,
        messages.INVALID_MODEL_ID,
        messages.INVALID_CONTENT_TYPE,
        messages.INVALID_ACCEPT,
        messages.BODY_TOO_LARGE,
    ]
    assert set(real) <= texts
