"""Security by default: CSP on every page, admin lockout, small request bodies."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.utils import dateformat, timezone
from rest_framework.authtoken.models import Token

from tests import factories
from tracker import roles


@pytest.fixture
def editor(db):
    from django.contrib.auth.models import Group

    user = User.objects.create_user("eddie", password="a-long-editor-password", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=roles.EDITOR)[0])
    return user


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in header.split(";"))
        if part
    }


@pytest.mark.parametrize("path", ["/", "/admin/login/", "/api/docs/"])
def test_every_html_page_carries_a_strict_content_security_policy(client, db, path):
    policy = csp(client.get(path))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"


def test_the_public_pages_have_no_inline_scripts_or_styles(client, demo):
    for path in ["/", f"/reports/{demo.slug}/", f"/reports/{demo.slug}/sec-7/"]:
        html = client.get(path).text
        assert "<script>" not in html
        assert "<style" not in html
        assert 'style="' not in html


@pytest.mark.django_db
def test_the_api_docs_load_their_script_from_a_url(client):
    html = client.get("/api/docs/").text
    assert "<script>" not in html
    assert "<style" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text


def test_repeated_admin_login_failures_lock_the_account_out(client, editor):
    statuses = [
        client.post("/admin/login/", {"username": "eddie", "password": "wrong guess"}).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    locked = client.post(
        "/admin/login/", {"username": "eddie", "password": "a-long-editor-password"}
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_correct_login_still_works_before_the_limit(client, editor):
    client.post("/admin/login/", {"username": "eddie", "password": "wrong guess"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "eddie", "password": "a-long-editor-password"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk)


def test_an_oversized_request_body_is_refused_without_a_server_error(client, editor, report):
    token = Token.objects.create(user=editor)
    recommendation = factories.make_recommendation(report)
    body = '{"narrative": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = client.post(
        "/api/v1/evaluations/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
        QUERY_STRING=f"recommendation={recommendation.pk}",
    )
    # 413 since the limit holds for every body (it used to be a 400 or, past the form
    # parser, no refusal at all); tests/test_request_limits.py has the rest.
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_the_lockout_page_says_when_to_try_again_in_the_admin_look(client, editor):
    for _ in range(4):
        client.post("/admin/login/", {"username": "eddie", "password": "wrong guess"})
    before = timezone.now()
    locked = client.post("/admin/login/", {"username": "eddie", "password": "wrong guess"})
    after = timezone.now()

    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert "admin/tracker/locked_out.html" in [template.name for template in locked.templates]
    text = " ".join(locked.content.decode().split())
    assert "Alliance Scorecard — editors" in text  # the admin's header
    # The admin's own stylesheet, under its hashed name (static files are served hashed).
    assert re.search(r'href="/static/admin/css/base\.[0-9a-f]{12}\.css"', text)
    when = datetime.datetime.fromisoformat(re.search(r'<time datetime="([^"]+)">', text).group(1))
    assert before + datetime.timedelta(minutes=15) - datetime.timedelta(seconds=1) <= when
    assert when <= after + datetime.timedelta(minutes=15)
    words = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    assert (
        f"Logging in as “eddie” from this address is paused after 5 failed attempts. "
        f"Try again after {dateformat.format(when, 'j M Y, H:i T')} , in 15 minutes. "
        f"Every attempt before then, even with the right password, starts the 15 minutes "
        f"again." in words
    )
