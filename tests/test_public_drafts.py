"""Drafts never reach the public: not in pages, filters, counts, feeds, exports, badges or
e-mails to followers."""

import datetime
import json

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks import task_backends

from tests import factories
from tests.api_support import client_as
from tracker import mail_tasks, search, services, webhook_delivery
from tracker.models import (
    Edition,
    Evaluator,
    EvidenceLink,
    Grade,
    Recommendation,
    Source,
    Status,
    Subscription,
)

SECRET = "UNPUBLISHED-DRAFT-NARRATIVE"
URLS = [
    "/",
    "/editions/",
    "/reports/armitage-nye-2000/",
    "/reports/armitage-nye-2000/?grade=setback",
    "/reports/armitage-nye-2000/?q=unpublished",
    "/reports/armitage-nye-2000/sec-3/",
    "/reports/armitage-nye-2000/sec-3/badge.svg",
    "/editions/2008-evidence-review/",
    "/editions/2004-report-card/compare/2008-evidence-review/",
    "/feed/",
    "/reports/armitage-nye-2000/feed/",
    "/reports/armitage-nye-2000/export.csv",
    "/reports/armitage-nye-2000/export.json",
    "/reports/armitage-nye-2000/evaluations.csv",
    "/reports/armitage-nye-2000/evidence.csv",
    "/search/?q=draft",
]


@pytest.fixture
def drafts(demo):
    """A draft regrading SEC-3 to Setback, citing a source nothing published cites, and a
    draft edition."""
    evaluation = factories.make_evaluation(
        Recommendation.objects.get(report=demo, code="SEC-3"),
        "setback",
        as_of=datetime.date(2009, 1, 1),
        status=Status.DRAFT,
        narrative=SECRET,
        with_evidence=False,
    )
    evaluation.wording = "DRAFT-WORDING"
    evaluation.save()
    source = Source.objects.create(key="draft-only", title="DRAFT-ONLY-SOURCE")
    EvidenceLink.objects.create(evaluation=evaluation, source=source, quote="DRAFT-QUOTE")
    Edition.objects.create(
        report=demo, slug="draft-edition", name="DRAFT-EDITION", as_of=datetime.date(2009, 1, 1)
    )
    return evaluation


def _text(response) -> str:
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


@pytest.mark.parametrize("url", URLS)
def test_no_public_response_mentions_a_draft(drafts, client, url):
    text = _text(client.get(url))
    for marker in (SECRET, "DRAFT-WORDING", "DRAFT-ONLY-SOURCE", "DRAFT-QUOTE", "DRAFT-EDITION"):
        assert marker not in text


def test_drafts_do_not_count_as_current_grades(drafts, client):
    setback = Grade.objects.get(scale=drafts.recommendation.report.grade_scale, slug="setback")
    html = _text(client.get("/reports/armitage-nye-2000/?grade=setback"))

    assert "1 of 25 recommendations match." in html
    assert '<option value="setback" selected>Setback (1)</option>' in html
    home = _text(client.get("/"))
    swatch = f'<span class="swatch grade-{setback.pk}" aria-hidden="true"></span>'
    assert f"{swatch}<strong>1</strong> Setback" in home
    badge = _text(client.get("/reports/armitage-nye-2000/sec-3/badge.svg"))
    assert "SEC-3: Ongoing progress (as of 2004-04-26)" in badge
    document = json.loads(_text(client.get("/reports/armitage-nye-2000/export.json")))
    sec3 = next(rec for rec in document["recommendations"] if rec["code"] == "SEC-3")
    assert sec3["grade"]["slug"] == "ongoing-progress"


def test_a_draft_edition_is_not_public(drafts, client):
    assert client.get("/editions/draft-edition/").status_code == 404
    assert client.get("/editions/2004-report-card/compare/draft-edition/").status_code == 404
    response = client.get("/reports/armitage-nye-2000/export.csv?edition=draft-edition")
    assert response.status_code == 400


def test_a_draft_causes_no_email(drafts, settings, django_capture_on_commit_callbacks):
    """Followers of everything, of the report and of the recommendation: saving, correcting
    and citing evidence on drafts enqueues no e-mail; publishing one does."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    recommendation = drafts.recommendation
    for scope in ({}, {"report": recommendation.report}, {"recommendation": recommendation}):
        Subscription.objects.create(
            email="follower@example.org", confirmed_at=timezone.now(), **scope
        )
    setback = Grade.objects.get(scale=recommendation.report.grade_scale, slug="setback")
    with django_capture_on_commit_callbacks(execute=True):
        new = services.record_evaluation(
            recommendation=recommendation,
            evaluator=Evaluator.objects.first(),
            grade=setback,
            as_of=datetime.date(2010, 1, 1),
            narrative=SECRET,
        )
        services.update_evaluation(
            evaluation=new, expected_version=new.version, changes={"narrative": "Changed."}
        )
        drafts.refresh_from_db()
        services.update_evaluation(
            evaluation=drafts,
            expected_version=drafts.version,
            changes={"grade": Grade.objects.get(scale=setback.scale, slug="ongoing-progress")},
        )
        services.add_evidence(evaluation=new, evidence=[{"source": Source.objects.first()}])
    backend = task_backends["default"]
    assert backend.results == []
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_evaluation(evaluation=new)
    # Publishing enqueues the webhooks' delivery and the followers' e-mail, nothing before.
    assert [result.task.name for result in backend.results] == [
        webhook_delivery.send_due.name,
        mail_tasks.send_round.name,
    ]


MARKERS = (SECRET, "DRAFT-WORDING", "DRAFT-ONLY-SOURCE", "DRAFT-QUOTE")


def test_a_drafts_words_find_nothing_for_those_who_may_not_see_it(drafts, client):
    search.rebuild()  # the draft is in the search's index: only not for them
    anonymous, partner, editor = (client_as(role) for role in ("anonymous", "partner", "editor"))
    for word in MARKERS:
        page = _text(client.get(f"/search/?q={word}"))
        assert f"Nothing matches “{word}”" in page
        for api in (anonymous, partner):
            assert api.get(f"/api/v1/search/?q={word}").json()["count"] == 0, word
        # Those who may see drafts find it: the word is there to be found.
        assert editor.get(f"/api/v1/search/?q={word}").json()["count"] >= 1, word
