"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis).

For every operation of /api/schema/, schemathesis generates requests from the schema
(valid ones, and invalid ones too), sends them to the application in-process, and checks
that no answer is a server error and that every answer is one the schema documents, with
the status code, headers and body it describes. It runs as an anonymous client and as an
editor (who can also write), over the demo data plus a draft, with a fixed seed.

Slow (minutes): marked `fuzz`, run by `make fuzz` (which `.ci/run` calls) on SQLite and
PostgreSQL; a plain `pytest` run leaves it out (pyproject.toml: `-m "not fuzz"`).
"""

import collections
import logging
import time

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from scorecard.wsgi import application
from tests.api_support import connection_kept, make_account, make_draft, token_for
from tracker.models import Evaluation, Status

pytestmark = pytest.mark.fuzz

SEED = 20000110
EXAMPLES = 100
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def run_operation(
    operation, mode: GenerationMode, headers: dict[str, str], path: dict | None
) -> collections.Counter:
    statuses: collections.Counter = collections.Counter()

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, path_parameters=path))
    def run(case) -> None:
        # Uncompressed: the WSGI transport hands gzip bodies to the checks undecoded.
        response = case.call_and_validate(
            headers={**headers, "Accept-Encoding": "identity"}, checks=CHECKS
        )
        statuses[response.status_code] += 1

    run()
    return statuses


def fuzz(headers: dict[str, str], paths: dict[str, dict]) -> dict[str, collections.Counter]:
    """Run every operation; return the status codes seen per operation, or fail listing
    every operation that broke a check (with the smallest request that did).

    Valid requests name objects that exist (`paths`), so that what is generated is the
    query, headers and body of an answer that has content; invalid ones get generated
    paths too, mostly naming nothing."""
    # Django logs every 4xx; thousands of them would bury the report.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        return _fuzz(headers, paths)
    finally:
        request_log.setLevel(level)


def _fuzz(headers: dict[str, str], paths: dict[str, dict]) -> dict[str, collections.Counter]:
    with connection_kept():
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
        schema.config.generation.update(with_security_parameters=False, allow_x00=True)
        seen: dict[str, collections.Counter] = {}
        failures: dict[str, str] = {}
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                label = f"{operation.label} [{mode.value}]"
                try:
                    path = paths.get(operation.path) if mode == GenerationMode.POSITIVE else None
                    seen[label] = run_operation(operation, mode, headers, path)
                except Exception as error:  # every failure is collected and reported below
                    failures[label] = f"{type(error).__name__}: {error}"
    assert failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
    return seen


def report(who: str, seen: dict[str, collections.Counter], seconds: float) -> None:
    print(f"\nschemathesis as {who}: {len(seen)} operation runs in {seconds:.0f} s")
    for label, statuses in sorted(seen.items()):
        print(f"  {label}: {sum(statuses.values())} requests {dict(sorted(statuses.items()))}")


def existing(report, evaluation: Evaluation) -> dict[str, dict]:
    """Path parameters naming objects of the demo data, per path of the schema."""
    recommendation = report.recommendations.get(code="SEC-1")
    return {
        "/api/v1/reports/{slug}/": {"slug": report.slug},
        "/api/v1/areas/{id}/": {"id": recommendation.area_id},
        "/api/v1/grade-scales/{slug}/": {"slug": report.grade_scale.slug},
        "/api/v1/evaluators/{slug}/": {"slug": "hwang-heritage-2004"},
        "/api/v1/sources/{key}/": {"key": "hwang-2004-new-security-agenda"},
        "/api/v1/recommendations/{id}/": {"id": recommendation.pk},
        "/api/v1/recommendations/{id}/timeline/": {"id": recommendation.pk},
        "/api/v1/editions/{slug}/": {"slug": "2004-report-card"},
        "/api/v1/editions/{slug}/compare/{other}/": {
            "slug": "2004-report-card",
            "other": "2008-evidence-review",
        },
        **{
            path: {"id": evaluation.pk}
            for path in (
                "/api/v1/evaluations/{id}/",
                "/api/v1/evaluations/{id}/evidence/",
                "/api/v1/evaluations/{id}/publish/",
            )
        },
    }


@pytest.fixture
def data(demo):
    make_draft(demo)
    return demo


def test_no_operation_fails_the_schema_anonymously(data):
    started = time.monotonic()
    seen = fuzz({}, existing(data, Evaluation.objects.published().first()))
    report("anonymous", seen, time.monotonic() - started)
    assert all(sum(statuses.values()) >= EXAMPLES for statuses in seen.values()), seen


def test_no_operation_fails_the_schema_for_an_editor(data):
    headers = {"Authorization": f"Token {token_for(make_account('editor'))}"}
    started = time.monotonic()
    draft = Evaluation.objects.get(status=Status.DRAFT)
    seen = fuzz(headers, existing(data, draft))
    report("editor", seen, time.monotonic() - started)
    assert all(sum(statuses.values()) >= EXAMPLES for statuses in seen.values()), seen
