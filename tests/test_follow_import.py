"""Imports tell what they publish exactly as publishing through the services does: the
same webhook events in the import's transaction, and one e-mail per follower for each
import (one publishing round); drafts tell no one, a dry run or a failed import nothing,
and importing the same files again nothing."""

import datetime
import json
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from scorecard.api import shapes
from tests.test_interchange import MINI, edit, write
from tests.test_mail_follow import SITE, run_worker
from tracker import events, responses, services
from tracker.interchange import ScorecardFileError
from tracker.models import Edition, Evaluation, Subscription, WebhookEvent


@pytest.fixture(autouse=True)
def _site_and_queue(settings):
    settings.SITE_URL = SITE
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


PUBLISHED_EDITION = MINI  # its edition is published (the format's default)
WITHOUT_EDITION = MINI[: MINI.index("editions:\n")]


def sent_events() -> list[tuple[str, dict]]:
    return [(e.type, json.loads(e.body)["data"]) for e in WebhookEvent.objects.order_by("id")]


def follower(email: str = "all@example.org") -> Subscription:
    return Subscription.objects.create(email=email, confirmed_at=timezone.now())


def do_import(tmp_path, text, capture, **options):
    with capture(execute=True):
        result = services.import_scorecard(files=[write(tmp_path, text)], **options)
    run_worker()
    return result


def evaluation(code: str) -> Evaluation:
    return Evaluation.objects.get(recommendation__code=code)


def test_an_import_sends_the_events_and_emails_publishing_sends_and_none_for_drafts(
    db, tmp_path, django_capture_on_commit_callbacks
):
    follower()
    do_import(tmp_path, PUBLISHED_EDITION, django_capture_on_commit_callbacks)
    published = evaluation("SEC-1")
    edition = Edition.objects.get(slug="mini-2004")
    # The data as the services' events carry it: the API's own shapes.
    assert sent_events() == [
        ("evaluation.published", json.loads(events.encode(events._evaluation_data(published)))),
        ("edition.published", json.loads(events.encode(_edition_data(edition)))),
    ]
    assert [m.subject for m in mail.outbox] == ["SEC-1 First: graded Partial"]
    assert mail.outbox[0].to == ["all@example.org"]
    assert "  graded Partial\n" in mail.outbox[0].body
    assert f"{SITE}/reports/mini/sec-1/#evaluation-{published.pk}" in mail.outbox[0].body
    assert "Second" not in mail.outbox[0].body  # ECO-1's evaluation is a draft

    # The same file again changes nothing, and tells nothing.
    do_import(tmp_path, PUBLISHED_EDITION, django_capture_on_commit_callbacks)
    assert len(sent_events()) == 2
    assert len(mail.outbox) == 1


def _edition_data(edition: Edition) -> dict:
    shape = shapes.EditionDetailShape
    fetched = shape.fetch(Edition.objects.filter(pk=edition.pk))
    return shape.build(responses.attach_frozen_responses(fetched)[0])


def test_an_import_that_corrects_publishes_and_withdraws_tells_each_as_the_services_do(
    db, tmp_path, django_capture_on_commit_callbacks
):
    do_import(tmp_path, WITHOUT_EDITION, django_capture_on_commit_callbacks)
    WebhookEvent.objects.all().delete()
    follower()
    # SEC-1 corrected (Partial → Done), ECO-1's draft published: one round, one e-mail.
    changed = edit(WITHOUT_EDITION, "    grade: partial\n", "    grade: done\n")
    changed = edit(changed, "    status: draft\n", "    status: published\n")
    changed = edit(
        changed,
        "    narrative: Nothing yet.\n",
        "    narrative: Nothing yet.\n    evidence:\n      - source: paper\n",
    )
    do_import(tmp_path, changed, django_capture_on_commit_callbacks)
    sec, eco = evaluation("SEC-1"), evaluation("ECO-1")
    assert sent_events() == [
        ("evaluation.published", json.loads(events.encode(events._evaluation_data(eco)))),
        ("evaluation.changed", json.loads(events.encode(events._evaluation_data(sec)))),
    ]
    assert [m.subject for m in mail.outbox] == ["2 grades published on the Alliance Scorecard"]
    assert "  graded None yet\n" in mail.outbox[0].body
    assert "  Corrected: Partial → Done\n" in mail.outbox[0].body

    # A published evaluation's words changed (not its grade): an event, no e-mail; ECO-1
    # made a draft again: withdrawn.
    reworded = edit(
        changed, "    narrative: Some progress was made.\n", "    narrative: Reworded.\n"
    )
    withdrawn = edit(
        reworded,
        "      - source: paper\n    status: published\n",
        "      - source: paper\n    status: draft\n",
    )
    WebhookEvent.objects.all().delete()
    do_import(tmp_path, withdrawn, django_capture_on_commit_callbacks)
    sec.refresh_from_db()
    assert [(kind, data["id"]) for kind, data in sent_events()] == [
        ("evaluation.changed", sec.pk),
        ("evaluation.withdrawn", eco.pk),
    ]
    assert len(mail.outbox) == 1


def test_a_dry_run_or_a_failed_import_tells_nothing(
    db, tmp_path, django_capture_on_commit_callbacks
):
    follower()
    do_import(tmp_path, PUBLISHED_EDITION, django_capture_on_commit_callbacks, dry_run=True)
    assert Evaluation.objects.count() == 0
    with pytest.raises(ScorecardFileError):
        do_import(
            tmp_path,
            edit(PUBLISHED_EDITION, "    grade: none\n", "    grade: no-such-grade\n"),
            django_capture_on_commit_callbacks,
        )
    assert WebhookEvent.objects.count() == 0
    assert mail.outbox == []


def test_the_import_command_tells_too(db, tmp_path, django_capture_on_commit_callbacks):
    follower()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_scorecard", str(write(tmp_path, WITHOUT_EDITION)), stdout=StringIO())
    run_worker()
    assert [kind for kind, _ in sent_events()] == ["evaluation.published"]
    assert [m.subject for m in mail.outbox] == ["SEC-1 First: graded Partial"]
    assert datetime.date(2004, 4, 26) == evaluation("SEC-1").as_of
