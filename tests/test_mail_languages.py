"""E-mails go out in the language the reader subscribed in: a reader who followed from the
Japanese pages gets Japanese e-mails (subject and body, text and HTML), with the one-click
unsubscribe intact; English readers get exactly the English e-mails."""

import datetime
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.translation import trans_real

from scorecard import follow_views
from tests import factories
from tests.test_mail_follow import SITE, draft, run_worker
from tracker import housekeeping, services
from tracker.models import Frequency, Subscription


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogue():
    """The Japanese catalogue compiled (as `make` does), if it is newer than its .mo."""
    for catalogue in Path(django_settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.po"):
        compiled = catalogue.with_suffix(".mo")
        if not compiled.exists() or compiled.stat().st_mtime < catalogue.stat().st_mtime:
            subprocess.run(["msgfmt", "-o", str(compiled), str(catalogue)], check=True)
            trans_real._translations = {}  # read again, now with the compiled catalogue
            trans_real._default = None


@pytest.fixture(autouse=True)
def _site_and_queue(settings):
    settings.SITE_URL = SITE
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


UNSUBSCRIBE = re.compile(rf"<{SITE}(/ja)?/follow/unsubscribe/[^>\s]+/>")


def japanese(email: str, **scope) -> Subscription:
    return Subscription.objects.create(
        email=email, confirmed_at=timezone.now(), language="ja", **scope
    )


def test_following_from_a_japanese_page_gets_a_japanese_confirmation(
    recommendation, django_capture_on_commit_callbacks
):
    request = RequestFactory().post(
        "/follow/", {"email": "yomite@example.jp", "recommendation": recommendation.pk}
    )
    with translation.override("ja"), django_capture_on_commit_callbacks(execute=True):
        response = follow_views.follow(request)
    assert response.status_code == 200
    assert Subscription.objects.get().language == "ja"
    run_worker()
    [message] = mail.outbox
    assert message.subject == "ご確認ください：同盟スコアカードの評価のフォロー"
    assert message.body.startswith(
        "同盟スコアカードで次の評価が変わったときにメールで知らせるよう、お申し込みがありました"
    )
    assert "\n- SEC-1 Recommendation 1\n" in message.body
    assert "フォローを始めるには、7日以内に次のリンクから確認してください。\n" in message.body
    html = message.alternatives[0][0]
    assert '<html lang="ja">' in html
    assert "確認してフォローを始める</a>" in html
    assert UNSUBSCRIBE.fullmatch(message.extra_headers["List-Unsubscribe"])
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_japanese_reader_is_told_of_a_round_in_japanese_an_english_one_in_english(
    recommendation, django_capture_on_commit_callbacks
):
    factories.make_evaluation(recommendation, "partial", datetime.date(2004, 4, 26))
    evaluation = draft(recommendation)
    japanese("yomite@example.jp")
    Subscription.objects.create(email="reader@example.org", confirmed_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_evaluation(evaluation=evaluation)
    run_worker()
    by_address = {message.to[0]: message for message in mail.outbox}
    english, message = by_address["reader@example.org"], by_address["yomite@example.jp"]
    assert english.subject == "SEC-1 Recommendation 1: Partial → Done"
    assert "  As of: January 1, 2010\n" in english.body
    assert message.subject == "SEC-1 Recommendation 1: Partial → Done"
    assert message.body.startswith("同盟スコアカードで公表された評価：\n")
    assert f"  評価者：{evaluation.evaluator.name}\n" in message.body
    assert "  時点：2010年1月1日\n" in message.body
    assert "フォローの管理：https://" in message.body
    html = message.alternatives[0][0]
    assert f"評価者：{evaluation.evaluator.name}・2010年1月1日時点" in html
    assert "<title>公表された評価</title>" in html
    assert "配信を停止</a>" in html
    assert UNSUBSCRIBE.fullmatch(message.extra_headers["List-Unsubscribe"])
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_japanese_digest(recommendation, django_capture_on_commit_callbacks):
    evaluation = draft(recommendation)
    subscription = japanese("yomite@example.jp")
    Subscription.objects.filter(pk=subscription.pk).update(frequency=Frequency.WEEKLY)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_evaluation(evaluation=evaluation)
    run_worker()
    assert mail.outbox == []
    Subscription.objects.filter(pk=subscription.pk).update(
        last_digest_at=timezone.now() - datetime.timedelta(days=8)
    )
    assert housekeeping.send_due_digests() == 1
    [message] = mail.outbox
    assert message.subject == "毎週のまとめ：同盟スコアカードで1件の評価が公表されました"
    assert message.body.startswith(
        "同盟スコアカードの毎週のまとめ：前回以降に公表された評価です。\n"
    )
    assert "  評価：Done\n" in message.body
    assert UNSUBSCRIBE.fullmatch(message.extra_headers["List-Unsubscribe"])
