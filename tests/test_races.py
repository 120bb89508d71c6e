"""Two writers at the same moment (issue 13, item 3): one succeeds, the other gets a clear
refusal naming the conflict — never a 500, a raw IntegrityError, or a duplicate.

Real threads, each with its own database connection. Where a race is a matter of timing,
a "held" writer makes it certain: it writes the row and keeps its transaction open while
the other writer starts, then commits; the other writer has passed every check (the row is
not committed yet) and meets the database's constraint, and must be refused as the check
would have refused it.

The threaded tests run on PostgreSQL (the PostgreSQL pass of `make test`). SQLite cannot
race this way: every write transaction begins by taking the database's write lock (BEGIN
IMMEDIATE, scorecard/settings.py), so a second writer waits and then meets the checks; and
the test suite's in-memory SQLite database locks whole tables between connections, which
no deployment does. The constraints themselves are tested on both databases.
"""

import datetime
import threading
import time
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from tests import factories
from tests.api_support import client_as
from tests.test_interchange import MINI, write
from tracker import services
from tracker.models import Edition, Evaluation, Evaluator, Recommendation, Source, Status

pytestmark = pytest.mark.django_db(transaction=True)
threaded = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite serialises writers (BEGIN IMMEDIATE); see the module's docstring",
)
APRIL_2004 = datetime.date(2004, 4, 26)


def together(*calls: Callable[[], object], timeout: float = 60) -> list[object]:
    """Run the calls in threads that start at once; each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads)
    return results


def held_then(write: Callable[[], object], other: Callable[[], object]) -> tuple[object, object]:
    """`write` in a transaction kept open while `other` runs its checks; both outcomes."""
    written = threading.Event()

    def first() -> object:
        with transaction.atomic():
            result = write()
            written.set()
            time.sleep(0.5)  # `other` is now past its checks, or waiting for the lock
        return result

    def second() -> object:
        written.wait(10)
        return other()

    return tuple(together(first, second))


@pytest.fixture
def graded(report, recommendation):
    factories.make_evaluation(recommendation, as_of=APRIL_2004)
    return report


# Two identical evaluations -----------------------------------------------------------


@threaded
def test_two_identical_evaluation_posts_give_one_201_and_one_refusal(demo):
    evaluator = factories.make_evaluator("api-evaluator")
    factories.make_source("api-source")
    clients = [client_as("editor"), client_as("editor")]
    body = {
        "recommendation": demo.recommendations.get(code="SEC-1").pk,
        "evaluator": "api-evaluator",
        "grade": "accomplished",
        "as_of": "2024-01-01",
        "narrative": "Done.",
        "evidence": [{"source": "api-source"}],
    }

    answers = together(*(lambda c=c: c.post("/api/v1/evaluations/", body) for c in clients))

    assert sorted(a.status_code for a in answers) == [201, 400]
    (refused,) = [a.json() for a in answers if a.status_code == 400]
    assert refused["errors"] == {
        "as_of": [
            f"{evaluator} already has an evaluation of SEC-1 as of 2024-01-01; edit that "
            f"one, or choose another date."
        ]
    }
    assert Evaluation.objects.filter(as_of=datetime.date(2024, 1, 1)).count() == 1


def _record(recommendation: Recommendation, evaluator: Evaluator):
    return lambda: services.record_evaluation(
        recommendation=recommendation,
        evaluator=evaluator,
        grade=recommendation.report.grade_scale.grades.first(),
        as_of=datetime.date(2008, 1, 1),
    )


@threaded
def test_an_evaluation_saved_meanwhile_is_refused_like_the_check_would(recommendation):
    evaluator = factories.make_evaluator("panel")
    record = _record(recommendation, evaluator)

    first, second = held_then(record, record)

    assert isinstance(first, Evaluation)
    assert isinstance(second, ValidationError)
    assert second.message_dict == {
        "as_of": [
            f"{evaluator} already has an evaluation of SEC-1 as of 2008-01-01; edit that one, "
            f"or choose another date."
        ]
    }
    assert Evaluation.objects.count() == 1


# Two publishers freezing -------------------------------------------------------------


def _freeze(report, slug: str, name: str):
    return lambda: services.publish_edition(report=report, slug=slug, name=name, as_of=APRIL_2004)


@threaded
def test_two_publishers_freezing_one_slug_give_one_edition_and_one_refusal(graded):
    first, second = held_then(
        _freeze(graded, "card", "2004 card"), _freeze(graded, "card", "Another name")
    )

    assert isinstance(first, Edition)
    assert isinstance(second, ValidationError)
    assert second.message_dict == {"slug": ["An edition called “card” already exists."]}
    assert list(Edition.objects.values_list("slug", "name")) == [("card", "2004 card")]


@threaded
def test_two_publishers_freezing_one_name_give_one_edition_and_one_refusal(graded):
    first, second = held_then(
        _freeze(graded, "card", "2004 card"), _freeze(graded, "card-b", "2004 card")
    )

    assert isinstance(first, Edition)
    assert isinstance(second, ValidationError)
    assert second.message_dict == {
        "name": [
            f"{graded.short_name} already has an edition called “2004 card”; give this one "
            f"a name readers can tell apart."
        ]
    }
    assert Edition.objects.count() == 1


@threaded
def test_concurrent_freezes_through_the_admin_never_fail(graded, publisher_user):
    from tests.editors_support import logged_in

    def freeze():
        client = logged_in(publisher_user)
        data = {
            "report": str(graded.pk),
            "name": "2004 card",
            "slug": "card",
            "as_of": "2004-04-26",
            "description": "",
            "_grades_seen": "1",
            "_confirmed": "yes",
        }
        return client.post("/admin/tracker/edition/add/", data)

    answers = together(freeze, freeze)

    assert sorted(a.status_code for a in answers) == [200, 302]
    assert Edition.objects.filter(status=Status.PUBLISHED).count() == 1


# Two editors adding one source -------------------------------------------------------


def _add_source(url: str, title: str):
    return lambda: services.create_source(title=title, url=url)


@threaded
def test_two_editors_adding_one_url_give_one_source_and_one_refusal(db):
    first, second = held_then(
        _add_source("https://example.org/white-paper", "White paper"),
        _add_source("https://EXAMPLE.org/white-paper/", "The white paper"),
    )

    assert isinstance(first, Source)
    assert isinstance(second, ValidationError)
    assert second.message_dict == {
        "url": [
            "This URL is already on file as “White paper” (white-paper); cite that source "
            "instead of adding it again."
        ]
    }
    assert Source.objects.count() == 1


def test_the_database_holds_one_source_per_url(db):
    Source.objects.create(key="a", title="A", url="https://example.org/a")

    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(key="b", title="B", url="https://example.org/a/")
    Source.objects.create(key="c", title="C", url="")
    Source.objects.create(key="d", title="D", url="")
    assert Source.objects.count() == 3


# Three imports at once ---------------------------------------------------------------


@threaded
def test_three_concurrent_imports_import_once_and_say_so(db, tmp_path):
    path = str(write(tmp_path, MINI))

    def run() -> str:
        out = StringIO()
        try:
            call_command("import_scorecard", path, stdout=out, stderr=StringIO())
        except CommandError as error:
            return f"refused: {error}"
        return out.getvalue().splitlines()[0]

    answers = together(run, run, run)

    # The seconds an import took vary; the rest of each first line does not.
    shown = sorted(a.split(" in ")[0] if a.startswith("Imported") else a for a in answers)
    assert shown == [
        f"Imported {path}",
        f"Nothing to change: the database already matches {path}.",
        f"Nothing to change: the database already matches {path}.",
    ]
    assert Evaluation.objects.count() == 2
