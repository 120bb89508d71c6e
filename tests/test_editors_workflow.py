"""The editors' whole round, on the demo scorecard, as a new team would first try it."""

import datetime
from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from tests.editors_support import form_data, messages_of
from tracker.models import Edition, Evaluation, Evaluator, Recommendation, Source, Status

PASSWORD = "correct horse battery staple"


def account(name: str, role: str) -> Client:
    """`create_account`, then `changepassword`, then the login page."""
    call_command("create_account", name, "--role", role, stdout=StringIO())
    user = User.objects.get(username=name)
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    response = client.post(
        "/admin/login/", {"username": name, "password": PASSWORD, "next": "/admin/"}
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    return client


def test_log_publish_freeze_and_read_the_history(demo):
    editor = account("hana", "editor")
    publisher = account("kenji", "publisher")
    recommendation = Recommendation.objects.get(report=demo, code="SEC-2")
    evaluator = Evaluator.objects.order_by("name").first()
    grade = demo.grade_scale.grades.get(slug="ongoing-progress")

    # The editor logs an evaluation from the recommendation's page, citing a new source.
    page = editor.get(f"/admin/tracker/recommendation/{recommendation.pk}/change/")
    add_url = f"/admin/tracker/evaluation/add/?recommendation={recommendation.pk}"
    assert add_url in page.content.decode()
    data = form_data(editor.get(add_url)) | {
        "grade": str(grade.pk),
        "wording": "Steady progress",
        "narrative": "The 2015 Guidelines replaced the 1997 ones.",
        "as_of": "2015-04-27",
        "evaluator": str(evaluator.pk),
        "evidence-0-new_source_title": "The Guidelines for Japan-U.S. Defense Cooperation (2015)",
        "evidence-0-new_source_url": "https://example.org/guidelines-2015",
        "evidence-0-quote": "The two governments will take measures to ensure peace.",
    }
    assert editor.post(add_url.split("?")[0], data).status_code == 302
    evaluation = Evaluation.objects.get(recommendation=recommendation, as_of="2015-04-27")
    assert (evaluation.status, evaluation.author.username) == (Status.DRAFT, "hana")
    assert Source.objects.filter(url="https://example.org/guidelines-2015").count() == 1

    # Readers do not see it yet; the publisher previews it, then publishes it.
    public_url = f"/reports/{demo.slug}/sec-2/"
    assert "The 2015 Guidelines" not in Client().get(public_url).content.decode()
    preview = publisher.get(f"/admin/tracker/evaluation/{evaluation.pk}/preview/")
    assert "The 2015 Guidelines" in preview.content.decode()
    published = publisher.post(
        f"/admin/tracker/evaluation/{evaluation.pk}/publish/",
        {"version": str(evaluation.version)},
        follow=True,
    )
    assert messages_of(published) == [f"Published SEC-2 as of 2015-04-27 by {evaluator}."]
    assert "The 2015 Guidelines" in Client().get(public_url).content.decode()

    # The publisher freezes an edition of the report as it stands.
    freeze_url = f"/admin/tracker/edition/add/?report={demo.pk}"
    data = form_data(publisher.get(freeze_url)) | {
        "name": "2015 review",
        "slug": "2015-review",
        "as_of": "2015-12-31",
    }
    checked = publisher.post(freeze_url.split("?")[0], data)
    assert checked.context["grade_count"] == demo.recommendations.count()
    confirmed = {
        **checked.context["posted"],
        "_grades_seen": str(checked.context["grade_count"]),
        "_confirmed": "yes",
    }
    assert publisher.post(freeze_url.split("?")[0], confirmed).status_code == 302
    edition = Edition.objects.get(slug="2015-review")
    assert edition.entries.get(recommendation=recommendation).evaluation == evaluation
    assert edition.entries.count() == demo.recommendations.count()

    # Everyone can read who did what.
    history = editor.get(f"/admin/tracker/evaluation/{evaluation.pk}/history/")
    rows = [(r.history_user.username, r.history_change_reason) for r in history.context["page_obj"]]
    assert rows == [("kenji", "Published"), ("hana", None)]
    edition_history = publisher.get(f"/admin/tracker/edition/{edition.pk}/history/")
    assert [r.history_user.username for r in edition_history.context["page_obj"]] == ["kenji"]
    assert edition.as_of == datetime.date(2015, 12, 31)
