"""The follow pages and the e-mails' HTML are valid HTML (the Nu HTML Checker, as
tests/test_public_html_valid.py runs it for the other pages)."""

import json
import subprocess
from pathlib import Path

from django.utils import timezone

from tests.test_public_html_valid import VNU, java
from tracker import mail_messages, subscriptions
from tracker.models import Frequency, GradeNotice, Recommendation, Subscription


def test_follow_pages_and_emails_are_valid_html(demo, client, tmp_path):
    recommendation = Recommendation.objects.get(report=demo, code="DIP-4")
    pending = Subscription.objects.create(email="reader@example.org", recommendation=recommendation)
    Subscription.objects.create(email="reader@example.org", confirmed_at=timezone.now())
    Subscription.objects.create(
        email="reader@example.org", report=demo, confirmed_at=timezone.now()
    )
    confirm = subscriptions.confirmation_token("reader@example.org", [pending.pk])
    manage = subscriptions.manage_token("reader@example.org")
    unsubscribe = subscriptions.unsubscribe_token("reader@example.org")
    pages = {
        "form": client.get("/follow/"),
        "form-errors": client.post("/follow/", {"email": "nope", "report": "nothing"}),
        "requested": client.post("/follow/", {"email": "reader@example.org", "report": demo.slug}),
        "confirm": client.get(f"/follow/confirm/{confirm}/"),
        "manage": client.get(f"/follow/manage/{manage}/"),
        "unsubscribe": client.get(f"/follow/unsubscribe/{unsubscribe}/"),
        "bad-link": client.get("/follow/manage/forged/"),
    }
    assert {name: r.status_code for name, r in pages.items()} == {
        "form": 200,
        "form-errors": 400,
        "requested": 200,
        "confirm": 200,
        "manage": 200,
        "unsubscribe": 200,
        "bad-link": 400,
    }
    saved = []
    for name, response in pages.items():
        saved.append(tmp_path / f"{name}.html")
        saved[-1].write_bytes(response.content)
    evaluation = recommendation.evaluations.filter(status="published").first()
    notice = GradeNotice.objects.create(
        round="00000000-0000-0000-0000-000000000001",
        kind="published",
        evaluation=evaluation,
        released_at=timezone.now(),
    )
    emails = {
        "email-confirm": mail_messages.confirmation("reader@example.org", [pending]),
        "email-changes": mail_messages.round_message("reader@example.org", [notice]),
        "email-digest": mail_messages.digest("reader@example.org", Frequency.WEEKLY, [notice]),
    }
    for name, message in emails.items():
        saved.append(tmp_path / f"{name}.html")
        saved[-1].write_text(message.alternatives[0][0], encoding="utf-8")

    result = subprocess.run(
        [java(), "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, saved)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr)["messages"]
    errors = [
        f"{Path(message['url']).stem}:{message.get('lastLine', '?')}: {message['message']}"
        for message in messages
        if message["type"] == "error" or message.get("subType") == "fatal"
    ]
    assert errors == []
    assert result.returncode == 0
