"""The project as a newcomer meets it: checks clean, migrations complete, pages served."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_system_check_reports_nothing():
    out = StringIO()
    call_command("check", stdout=out)
    assert out.getvalue().strip() == "System check identified no issues (0 silenced)."


def test_home_lists_the_reports(client, report):
    response = client.get("/")
    assert response.status_code == 200
    assert report.title in response.text


@pytest.mark.django_db
def test_admin_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
