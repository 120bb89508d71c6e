"""Faults: a write that fails half-way leaves nothing behind, and an outage is a 503.

The failures are injected into the real database connection (`connection.execute_wrapper`):
every statement before the chosen one really runs, then the chosen write raises instead of
running, exactly as if the server had gone away at that moment. Nothing is mocked: the
database itself must roll back what the service wrote. (Inside a test's transaction a
service's transaction is a savepoint; a service that wrote outside one would leave its rows
in the test's transaction, and `database_state` would see them.)
"""

import datetime
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import InterfaceError, OperationalError, connection, transaction
from django.test import Client

from tests.conftest import DEMO_FILES
from tests.factories import make_user
from tracker import services
from tracker.models import Edition, Evaluation, Evaluator, Report, Source, Status

WRITES = ("INSERT", "UPDATE", "DELETE")
REPORT_SLUG = "armitage-nye-2000"


class InjectedFault(Exception):
    """The failure these tests inject; anything that catches it would hide a fault."""


def _is_write(sql: str) -> bool:
    return sql.lstrip().upper().startswith(WRITES)


@contextmanager
def fail_on_write(number: int, table: str | None = None) -> Iterator[dict[str, int]]:
    """Run every statement for real until the `number`-th write (into `table`, if given),
    which raises InjectedFault instead of running. Yields the counts seen so far."""
    seen = {"writes": 0, "failed": 0}

    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        if _is_write(sql) and (table is None or f'"{table}"' in sql.split("(")[0]):
            seen["writes"] += 1
            if seen["writes"] == number:
                seen["failed"] += 1
                raise InjectedFault(f"write {number} refused: {sql[:60]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def count_writes(action: Callable[[], Any]) -> int:
    """How many write statements `action` sends, learnt by running it and rolling it back."""
    seen = {"writes": 0}

    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        if _is_write(sql):
            seen["writes"] += 1
        return execute(sql, params, many, context)

    class Undo(Exception):
        pass

    try:
        with connection.execute_wrapper(wrapper), transaction.atomic():
            action()
            raise Undo
    except Undo:
        pass
    return seen["writes"]


def database_state() -> dict[str, list[tuple]]:
    """Every row of every table in the database (the cache and sessions included)."""
    quote = connection.ops.quote_name
    state = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 -- names from introspection
            state[table] = sorted(cursor.fetchall(), key=repr)
    return state


def fault_points(total: int) -> list[int]:
    """The first write, the last one, and some in between."""
    return sorted({1, 2, total // 3, total // 2, (2 * total) // 3, total - 1, total} - {0})


def changed_demo_files(folder: Path) -> list[Path]:
    """The demo files with changes an import may make over the demo: an evaluator corrected,
    a new source, and a new draft evaluation citing it (updates, inserts, history rows)."""
    data = yaml.safe_load(DEMO_FILES[0].read_text(encoding="utf-8"))
    data["evaluators"][1]["affiliation"] = "Changed by a later import"
    data["sources"].append(
        {"key": "fault-test-source", "title": "A source added by a later import", "kind": "news"}
    )
    data["evaluations"].append(
        {
            "recommendation": "SEC-1",
            "evaluator": "scorecard-editors-sample",
            "as_of": datetime.date(2012, 5, 1),
            "grade": "accomplished",
            "wording": "Done",
            "narrative": "Added by a later import.",
            "status": "draft",
            "evidence": [{"source": "fault-test-source", "stance": "supports"}],
        }
    )
    changed = folder / DEMO_FILES[0].name
    changed.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return [changed, DEMO_FILES[1]]


# --- Import ---------------------------------------------------------------------------------


def test_an_import_failing_part_way_leaves_an_empty_database_empty(db):
    def demo_import() -> None:
        services.import_scorecard(files=DEMO_FILES)

    total = count_writes(demo_import)
    assert total > 10
    before = database_state()
    for number in fault_points(total):
        with fail_on_write(number) as seen, pytest.raises(InjectedFault):
            demo_import()
        assert seen["failed"] == 1
        assert database_state() == before, f"write {number} of {total} left rows behind"

    # Nothing is left locked or half-open: the same import then succeeds whole.
    demo_import()
    assert Report.objects.filter(slug=REPORT_SLUG).count() == 1
    assert Evaluation.objects.count() == 34


def test_an_import_failing_part_way_leaves_the_existing_data_exactly_as_it_was(db, tmp_path):
    services.import_scorecard(files=DEMO_FILES)
    files = changed_demo_files(tmp_path)

    def changed_import() -> None:
        services.import_scorecard(files=files)

    total = count_writes(changed_import)
    assert total >= 5  # the rename, the source, the evaluation, its evidence, their history
    before = database_state()
    for number in fault_points(total):
        with fail_on_write(number) as seen, pytest.raises(InjectedFault):
            changed_import()
        assert seen["failed"] == 1
        assert database_state() == before, f"write {number} of {total} changed the data"

    changed_import()
    assert Evaluation.objects.filter(narrative="Added by a later import.").count() == 1
    assert database_state() != before


# --- Freezing an edition ----------------------------------------------------------------------


def freeze() -> Edition:
    return services.publish_edition(
        report=Report.objects.get(slug=REPORT_SLUG),
        slug="fault-test-edition",
        name="Fault test edition",
        as_of=datetime.date(2010, 1, 1),
    )


@pytest.mark.parametrize(
    "table",
    [
        "tracker_edition",  # the edition itself
        "tracker_historicaledition",  # its history, written after the edition row
        "tracker_editionentry",  # the frozen grades, written last
    ],
)
def test_publishing_an_edition_that_fails_half_way_leaves_nothing(db, table):
    services.import_scorecard(files=DEMO_FILES)
    before = database_state()

    with fail_on_write(1, table=table) as seen, pytest.raises(InjectedFault):
        freeze()

    assert seen["failed"] == 1
    assert database_state() == before
    assert not Edition.objects.filter(slug="fault-test-edition").exists()


def test_publishing_an_edition_that_fails_at_any_write_leaves_nothing(db):
    services.import_scorecard(files=DEMO_FILES)
    total = count_writes(freeze)
    # The edition, its history row, its entries (one statement), the copies of what they
    # show (one UPDATE), and the partners' event (the webhook outbox, tracker/events.py): a
    # failure at any of them leaves none.
    assert total == 5
    before = database_state()
    for number in range(1, total + 1):
        with fail_on_write(number), pytest.raises(InjectedFault):
            freeze()
        assert database_state() == before, f"write {number} of {total} left rows behind"

    edition = freeze()
    assert edition.status == Status.PUBLISHED
    assert edition.entries.count() == 25


# --- Recording an evaluation with its evidence (what the API's editors do) ----------------


def test_an_evaluation_whose_evidence_fails_to_save_is_not_recorded(db):
    services.import_scorecard(files=DEMO_FILES)
    report = Report.objects.get(slug=REPORT_SLUG)
    before = database_state()

    with fail_on_write(1, table="tracker_evidencelink"), pytest.raises(InjectedFault):
        services.record_evaluation(
            recommendation=report.recommendations.get(code="SEC-1"),
            evaluator=Evaluator.objects.get(slug="scorecard-editors-sample"),
            grade=report.grade_scale.grades.get(slug="accomplished"),
            as_of=datetime.date(2012, 1, 1),
            narrative="Never saved.",
            evidence=[{"source": Source.objects.get(key="hwang-2004-new-security-agenda")}],
        )

    assert database_state() == before


# --- The database goes away: 503 with Retry-After, never a stack trace ----------------------

DATABASE_ERRORS = [
    OperationalError("could not connect to server: Connection refused"),
    InterfaceError("connection already closed"),
]


@contextmanager
def database_down(error: Exception, *, after: str | None = None) -> Iterator[None]:
    """Every query raises `error`, as they do while the database is unreachable; with
    `after`, only once a statement starting with it has run. Transaction control statements
    still run, so the test's own transaction stays usable."""
    down = after is None

    def refuse(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        nonlocal down
        statement = sql.lstrip().upper()
        if down and statement.startswith(
            ("SELECT", "WITH", "SET", "COPY", "PREPARE", "EXECUTE", "DEALLOCATE", *WRITES)
        ):
            raise error
        result = execute(sql, params, many, context)
        down = down or sql.lstrip().startswith(after)
        return result

    with connection.execute_wrapper(refuse):
        yield


def assert_unavailable(response, *, json: bool) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "Traceback" not in body
    assert "could not connect" not in body
    assert "connection already closed" not in body
    if json:
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": (
                "The scorecard's database is unavailable for a moment. Please try again shortly."
            ),
            "code": "service_unavailable",
            "errors": {},
        }
    else:
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert "Temporarily unavailable" in body


@pytest.fixture
def browser_client() -> Client:
    # Like a real server: exceptions become responses instead of failing the test.
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("error", DATABASE_ERRORS, ids=lambda error: type(error).__name__)
@pytest.mark.parametrize(
    ("path", "json"),
    [
        ("/", False),
        (f"/reports/{REPORT_SLUG}/", False),
        (f"/reports/{REPORT_SLUG}/sec-1/", False),
        ("/feed/", False),
        (f"/reports/{REPORT_SLUG}/evaluations.csv", False),  # a streamed download
        ("/api/v1/recommendations/", True),
        ("/api/v1/evaluations/?updated_since=2004-01-01T00:00:00Z", True),
    ],
)
def test_pages_and_api_answer_503_with_retry_after_while_the_database_is_down(
    demo, browser_client, path, json, error
):
    with database_down(error):
        response = browser_client.get(path)
    assert_unavailable(response, json=json)


@pytest.mark.parametrize(
    "path",
    [f"/reports/{REPORT_SLUG}/evaluations.csv", f"/reports/{REPORT_SLUG}/evidence.csv"],
)
def test_a_download_whose_rows_cannot_be_read_is_a_503_not_a_broken_file(
    demo, browser_client, path
):
    """The database goes away after the report was found, as the rows are read: that must
    still be an error response, not a 200 whose body breaks off."""
    with database_down(DATABASE_ERRORS[0], after='SELECT "tracker_report"'):
        response = browser_client.get(path)
    assert_unavailable(response, json=False)


@pytest.mark.parametrize("error", DATABASE_ERRORS, ids=lambda error: type(error).__name__)
def test_an_api_token_checked_while_the_database_is_down_gets_503(demo, browser_client, error):
    """Authentication and throttling run before the view, inside DRF."""
    token = "0123456789abcdef0123456789abcdef01234567"
    with database_down(error):
        response = browser_client.get(
            "/api/v1/reports/", headers={"authorization": f"Token {token}"}
        )
    assert_unavailable(response, json=True)


def test_an_editor_session_checked_while_the_database_is_down_gets_503(demo, browser_client):
    """The session and the user behind it are loaded from the database by the admin."""
    browser_client.force_login(make_user("edna", role="editor"))
    with database_down(DATABASE_ERRORS[0]):
        response = browser_client.get("/admin/tracker/evaluation/")
    assert_unavailable(response, json=False)


class DatabaseDownMiddleware:
    """A middleware that reads the database (as session and authentication ones do)."""

    error: Exception = OperationalError("server closed the connection unexpectedly")

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        raise self.error


@pytest.mark.parametrize(("path", "json"), [("/", False), ("/api/v1/reports/", True)])
def test_a_database_error_raised_in_a_middleware_is_a_503(db, browser_client, settings, path, json):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.DatabaseDownMiddleware"]
    assert_unavailable(browser_client.get(path), json=json)


class BrokenMiddleware(DatabaseDownMiddleware):
    error = ZeroDivisionError("secret internal detail")


@pytest.mark.parametrize(("path", "json"), [("/", False), ("/api/v1/reports/", True)])
def test_any_other_failure_is_a_plain_500_without_a_stack_trace(
    db, browser_client, settings, path, json
):
    assert settings.DEBUG is False
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.BrokenMiddleware"]

    response = browser_client.get(path)

    assert response.status_code == 500
    assert "Retry-After" not in response
    body = response.content.decode()
    assert "Traceback" not in body
    assert "secret internal detail" not in body
    assert "ZeroDivisionError" not in body
    if json:
        assert response.json() == {
            "detail": (
                "Something went wrong on our side. It has been logged; please try again later."
            ),
            "code": "server_error",
            "errors": {},
        }
    else:
        assert "Something went wrong" in body


def test_a_non_database_failure_in_a_view_is_a_500(demo, browser_client):
    with database_down(ValueError("secret internal detail")):
        response = browser_client.get(f"/reports/{REPORT_SLUG}/")

    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "secret internal detail" not in response.content.decode()
