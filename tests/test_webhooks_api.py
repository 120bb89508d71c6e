"""/api/v1/webhooks/: partners and editors manage their own endpoints, nobody else's."""

import pytest
from django.contrib.auth.models import User

from tests.api_support import client_as, publish_new
from tests.editors_support import logged_in
from tracker import webhook_delivery, webhooks
from tracker.models import WebhookDelivery, WebhookEndpoint

URL = "https://hooks.example.org/scorecard"


@pytest.fixture
def partner(db):
    return client_as("partner")


def _create(client, **body):
    return client.post(
        "/api/v1/webhooks/",
        {"url": URL, "events": ["evaluation.published"], **body},
        format="json",
    )


def test_a_partner_adds_an_endpoint_and_sees_its_secret_once(partner):
    response = _create(partner, description="Our CMS")

    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body == {
        "id": endpoint.pk,
        "url": URL,
        "events": ["evaluation.published"],
        "description": "Our CMS",
        "enabled": True,
        "disabled_reason": "",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "secret": endpoint.secret,
    }
    assert body["secret"].startswith("whsec_")
    assert response["Location"] == f"/api/v1/webhooks/{endpoint.pk}/"
    assert response["Cache-Control"] == "private, no-store"

    shown = partner.get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    listed = partner.get("/api/v1/webhooks/").json()
    assert "secret" not in shown
    assert [item["id"] for item in listed["results"]] == [endpoint.pk]
    assert "secret" not in listed["results"][0]


def test_editors_and_publishers_may_too_but_not_anonymous_clients(db):
    assert _create(client_as("editor")).status_code == 201
    assert _create(client_as("publisher")).status_code == 201
    response = _create(client_as("anonymous"))
    assert response.status_code == 401
    assert client_as("anonymous").get("/api/v1/webhooks/").status_code == 401


def test_nobody_sees_or_changes_anothers_endpoint(partner):
    endpoint_id = _create(partner).json()["id"]
    other = client_as("publisher")

    assert other.get("/api/v1/webhooks/").json()["results"] == []
    for response in (
        other.get(f"/api/v1/webhooks/{endpoint_id}/"),
        other.delete(f"/api/v1/webhooks/{endpoint_id}/"),
        other.post(f"/api/v1/webhooks/{endpoint_id}/rotate-secret/"),
        other.post(f"/api/v1/webhooks/{endpoint_id}/test/"),
        other.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/"),
    ):
        assert response.status_code == 404
        assert (
            response.json()["detail"] == f"There is no webhook endpoint “{endpoint_id}” of yours."
        )
    assert WebhookEndpoint.objects.count() == 1


def test_bad_input_names_every_bad_field(partner, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    response = partner.post(
        "/api/v1/webhooks/",
        {"url": "https://10.0.0.1/x", "events": ["evaluation.deleted"], "colour": "red"},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == {
        "url": ["10.0.0.1 is not a public address; webhooks go to public addresses only."],
        "events": [
            "Unknown event type(s): evaluation.deleted. Choose from evaluation.published, "
            "evaluation.changed, evaluation.withdrawn, edition.published, "
            "recommendation.overdue."
        ],
        "colour": ["Unknown field; the fields are: url, events, description."],
    }
    response = partner.post(
        "/api/v1/webhooks/", {"url": "http://example.org/x", "events": []}, format="json"
    )
    assert response.json()["errors"] == {
        "url": ["Use an https URL."],
        "events": [
            "Choose at least one of evaluation.published, evaluation.changed, "
            "evaluation.withdrawn, edition.published, recommendation.overdue."
        ],
    }
    response = _create(partner, url="https://192.168.0.10/hook")
    assert response.json()["errors"] == {
        "url": ["192.168.0.10 is not a public address; webhooks go to public addresses only."]
    }


def test_a_change_needs_the_etag_read_and_the_secret_rotates(partner):
    created = _create(partner)
    endpoint_id = created.json()["id"]
    path = f"/api/v1/webhooks/{endpoint_id}/"

    assert partner.patch(path, {"description": "x"}, format="json").status_code == 428
    etag = partner.get(path)["ETag"]
    changed = partner.patch(
        path,
        {"events": ["edition.published", "evaluation.changed"], "enabled": False},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["events"] == ["evaluation.changed", "edition.published"]
    assert changed.json()["enabled"] is False
    assert changed.json()["disabled_reason"] == "Disabled by its owner."
    stale = partner.patch(path, {"enabled": True}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    again = partner.patch(path, {"enabled": True}, format="json", HTTP_IF_MATCH=changed["ETag"])
    assert again.json()["enabled"] is True

    rotated = partner.post(f"{path}rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != created.json()["secret"]
    assert WebhookEndpoint.objects.get().secret == rotated.json()["secret"]

    assert partner.delete(path).status_code == 204
    assert WebhookEndpoint.objects.count() == 0


def test_a_test_event_the_delivery_log_and_a_redelivery(partner, report, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    endpoint_id = _create(partner, url="http://127.0.0.1:9/closed").json()["id"]
    path = f"/api/v1/webhooks/{endpoint_id}/"

    sent = partner.post(f"{path}test/")
    assert sent.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert sent.json() == {
        "id": delivery.pk,
        "message_id": delivery.message_id,
        "event_type": "webhook.test",
        "status": "pending",
        "attempts": 0,
        "response_code": None,
        "last_error": "",
        "last_attempt_at": None,
        "next_attempt_at": sent.json()["next_attempt_at"],
        "delivered_at": None,
        "created_at": sent.json()["created_at"],
    }
    webhook_delivery.sweep(run_seconds=5)  # port 9 refuses: a failed attempt
    log = partner.get(f"{path}deliveries/").json()["results"]
    assert [(item["status"], item["attempts"]) for item in log] == [("pending", 1)]
    assert log[0]["last_error"].startswith("ConnectionRefusedError")

    again = partner.post(f"{path}deliveries/{delivery.pk}/redeliver/")
    assert again.status_code == 202
    assert again.json()["message_id"] == delivery.message_id
    missing = partner.post(f"{path}deliveries/999999/redeliver/")
    assert missing.status_code == 404


def test_a_published_evaluation_shows_in_the_log(partner, recommendation):
    _create(partner)
    publish_new(recommendation)
    webhook_delivery.fan_out()
    endpoint_id = WebhookEndpoint.objects.get().pk
    log = partner.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/").json()["results"]
    assert [item["event_type"] for item in log] == ["evaluation.published"]


def test_administrators_see_endpoints_and_deliveries_in_the_admin_without_secrets(
    partner, publisher_user
):
    _create(partner)
    endpoint = WebhookEndpoint.objects.get()
    webhooks.send_test_event(user=None, endpoint=endpoint)
    admin = User.objects.create(username="root", is_staff=True, is_superuser=True)

    page = logged_in(admin).get("/admin/tracker/webhookendpoint/")
    detail = logged_in(admin).get(f"/admin/tracker/webhookendpoint/{endpoint.pk}/change/")
    log = logged_in(admin).get("/admin/tracker/webhookdelivery/")
    assert (page.status_code, detail.status_code, log.status_code) == (200, 200, 200)
    assert URL in page.content.decode()
    assert endpoint.secret not in detail.content.decode()
    assert WebhookDelivery.objects.get().message_id in log.content.decode()
    # Editors and publishers do not see other people's endpoints there either.
    assert logged_in(publisher_user).get("/admin/tracker/webhookendpoint/").status_code == 403
