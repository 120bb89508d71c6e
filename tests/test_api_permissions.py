"""Who may do what through the API, and what anonymous clients and partners never see.

The matrix: anonymous, partner, editor and publisher against every operation. The leak
test: a draft whose every text carries a unique marker (and an evaluator, a source and an
edition known only from it) must not show in any answer an anonymous client or a partner
can get, whatever they ask for.
"""

import datetime

import pytest

from tests import factories
from tests.api_support import (
    MARKER,
    ROLES,
    client_as,
    make_draft,
    publish_new,
    withdrawn_with_marker,
)
from tracker.models import Edition, EditionEntry, Evaluation, Status

CREATED = {"anonymous": 401, "partner": 403, "editor": 201, "publisher": 201}
CHANGED = {"anonymous": 401, "partner": 403, "editor": 200, "publisher": 200}
PUBLISHED = {"anonymous": 401, "partner": 403, "editor": 403, "publisher": 200}


@pytest.fixture
def draft(demo):
    return make_draft(demo)


@pytest.fixture
def withdrawn(demo):
    return withdrawn_with_marker(demo)


def read_urls(demo, draft: Evaluation) -> list[str]:
    """Every read operation, with filters that would surface the draft if anything did."""
    recommendation = draft.recommendation
    published = Evaluation.objects.published().first()
    lists = [
        "/api/v1/reports/",
        "/api/v1/areas/",
        "/api/v1/grade-scales/",
        "/api/v1/evaluators/",
        "/api/v1/sources/",
        f"/api/v1/sources/?q={MARKER[:-2]}",
        "/api/v1/recommendations/",
        "/api/v1/recommendations/?as_of=2020-12-31",
        f"/api/v1/recommendations/?q={MARKER[:-2]}",
        f"/api/v1/recommendations/?grade={draft.grade.slug}",
        "/api/v1/recommendations/?ordering=-date",
        "/api/v1/evaluations/",
        "/api/v1/evaluations/?status=draft",
        "/api/v1/evaluations/?updated_since=2000-01-01T00:00:00Z",
        f"/api/v1/evaluations/?recommendation={recommendation.pk}",
        f"/api/v1/evaluations/?grade={draft.grade.slug}",
        f"/api/v1/evaluations/?evaluator={draft.evaluator.slug}",
        "/api/v1/editions/",
    ]
    details = [
        f"/api/v1/reports/{demo.slug}/",
        f"/api/v1/areas/{recommendation.area_id}/",
        f"/api/v1/grade-scales/{demo.grade_scale.slug}/",
        f"/api/v1/evaluators/{published.evaluator.slug}/",
        f"/api/v1/evaluators/{draft.evaluator.slug}/",
        f"/api/v1/sources/{draft.evidence.get().source.key}/",
        f"/api/v1/recommendations/{recommendation.pk}/",
        f"/api/v1/recommendations/{recommendation.pk}/?as_of=2020-12-31",
        f"/api/v1/recommendations/{recommendation.pk}/timeline/",
        f"/api/v1/evaluations/{published.pk}/",
        f"/api/v1/evaluations/{draft.pk}/",
        "/api/v1/editions/2004-report-card/",
        "/api/v1/editions/draft-edition/",
        "/api/v1/editions/2004-report-card/compare/2008-evidence-review/",
        "/api/v1/editions/2004-report-card/compare/draft-edition/",
        "/api/v1/editions/draft-edition/compare/2004-report-card/",
    ]
    paged = [f"{url}{'&' if '?' in url else '?'}page_size=200" for url in lists]
    return lists + paged + details


@pytest.fixture
def draft_edition(demo, draft):
    edition = Edition.objects.create(
        report=demo,
        slug="draft-edition",
        name=f"Edition {MARKER}",
        as_of=datetime.date(2020, 1, 1),
        status=Status.DRAFT,
    )
    EditionEntry.objects.create(
        edition=edition, recommendation=draft.recommendation, evaluation=draft
    )
    return edition


@pytest.mark.parametrize("role", ["anonymous", "partner"])
def test_no_answer_to_the_public_shows_a_draft(demo, draft, draft_edition, withdrawn, role):
    client = client_as(role)
    urls = [*read_urls(demo, draft), f"/api/v1/evaluations/{withdrawn.pk}/"]

    answers = {url: client.get(url) for url in urls}
    html = {url: client.get(url, HTTP_ACCEPT="text/html") for url in urls}

    leaks = [url for url, r in {**answers, **html}.items() if MARKER in r.content.decode()]
    assert leaks == []
    assert {url: r.status_code for url, r in answers.items() if r.status_code != 200} == {
        f"/api/v1/evaluators/{draft.evaluator.slug}/": 404,
        f"/api/v1/sources/{draft.evidence.get().source.key}/": 404,
        f"/api/v1/evaluations/{draft.pk}/": 404,
        f"/api/v1/evaluations/{withdrawn.pk}/": 404,
        "/api/v1/editions/draft-edition/": 404,
        "/api/v1/editions/2004-report-card/compare/draft-edition/": 404,
        "/api/v1/editions/draft-edition/compare/2004-report-card/": 404,
        f"/api/v1/evaluations/?evaluator={draft.evaluator.slug}": 400,
        f"/api/v1/evaluations/?evaluator={draft.evaluator.slug}&page_size=200": 400,
    }


@pytest.mark.parametrize("role", ["anonymous", "partner"])
def test_the_public_cannot_reach_a_draft_by_writing_either(draft, role):
    client = client_as(role)
    urls = [f"/api/v1/evaluations/{draft.pk}/", f"/api/v1/evaluations/{draft.pk}/evidence/"]

    answers = [client.patch(urls[0], {"wording": "x"}), client.post(urls[1], {"source": "x"})]
    answers.append(client.post(f"/api/v1/evaluations/{draft.pk}/publish/"))

    assert [MARKER in r.content.decode() for r in answers] == [False, False, False]
    assert [r.status_code for r in answers] == [CHANGED[role]] * 2 + [PUBLISHED[role]]


@pytest.mark.parametrize("role", ["editor", "publisher"])
def test_editors_and_publishers_see_drafts(demo, draft, draft_edition, role):
    client = client_as(role)

    detail = client.get(f"/api/v1/evaluations/{draft.pk}/")
    drafts = client.get("/api/v1/evaluations/?status=draft").json()["results"]
    edition = client.get("/api/v1/editions/draft-edition/")
    source = client.get(f"/api/v1/sources/{draft.evidence.get().source.key}/")

    assert detail.json()["narrative"] == f"Narrative {MARKER}"
    assert [e["id"] for e in drafts] == [draft.pk]
    assert (edition.status_code, source.status_code) == (200, 200)


@pytest.mark.parametrize("role", ROLES)
def test_every_read_is_open_to_every_role(demo, draft, role):
    client = client_as(role)
    published = Evaluation.objects.published().first()
    urls = [u for u in read_urls(demo, draft) if "draft" not in u and MARKER[:-2] not in u]
    urls = [u for u in urls if draft.evaluator.slug not in u and str(draft.pk) not in u]
    urls.append(f"/api/v1/evaluations/{published.pk}/")

    codes = {url: client.get(url).status_code for url in urls}

    assert {url: code for url, code in codes.items() if code != 200} == {}


def new_evaluation_body(demo) -> dict:
    recommendation = demo.recommendations.get(code="SEC-1")
    return {
        "recommendation": recommendation.pk,
        "evaluator": factories.make_evaluator().slug,
        "grade": "accomplished",
        "as_of": "2024-01-01",
        "narrative": "Done.",
        "evidence": [{"source": factories.make_source().key, "stance": "supports"}],
    }


@pytest.mark.parametrize("role", ROLES)
def test_creating_an_evaluation(demo, role):
    client = client_as(role)

    response = client.post("/api/v1/evaluations/", new_evaluation_body(demo))

    assert response.status_code == CREATED[role]
    assert Evaluation.objects.filter(as_of=datetime.date(2024, 1, 1)).count() == (
        1 if CREATED[role] == 201 else 0
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_changing_an_evaluation(draft, role, method):
    client = client_as(role)
    body = {
        "evaluator": draft.evaluator.slug,
        "grade": draft.grade.slug,
        "as_of": "2020-01-01",
        "wording": "Changed",
        "narrative": "Changed.",
        "publication": None,
    }
    if method == "patch":
        body = {"wording": "Changed"}

    response = getattr(client, method)(
        f"/api/v1/evaluations/{draft.pk}/", body, HTTP_IF_MATCH=f'"evaluation-{draft.pk}-v1"'
    )

    draft.refresh_from_db()
    assert response.status_code == CHANGED[role]
    assert draft.wording == ("Changed" if CHANGED[role] == 200 else f"Wording {MARKER}")


@pytest.mark.parametrize("role", ROLES)
def test_citing_evidence(draft, role):
    client = client_as(role)
    source = factories.make_source()

    response = client.post(
        f"/api/v1/evaluations/{draft.pk}/evidence/",
        {"source": source.key, "stance": "context"},
        HTTP_IF_MATCH=f'"evaluation-{draft.pk}-v1"',
    )

    assert response.status_code == CHANGED[role]
    assert draft.evidence.filter(source=source).exists() == (CHANGED[role] == 200)


@pytest.mark.parametrize("role", ROLES)
def test_publishing(draft, role):
    client = client_as(role)

    response = client.post(
        f"/api/v1/evaluations/{draft.pk}/publish/", HTTP_IF_MATCH=f'"evaluation-{draft.pk}-v1"'
    )

    draft.refresh_from_db()
    assert response.status_code == PUBLISHED[role]
    assert draft.status == (Status.PUBLISHED if PUBLISHED[role] == 200 else Status.DRAFT)


def test_anonymous_writes_are_asked_for_a_token(demo):
    response = client_as("anonymous").post("/api/v1/evaluations/", new_evaluation_body(demo))

    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_a_wrong_token_is_refused_even_for_reads(db):
    client = client_as("anonymous")
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/reports/")

    assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")


# Published evaluations: only a publisher changes them (issue 13, item 1) ------------------

PUBLISHED_NEEDS_PUBLISHER = (
    "This evaluation is published: only a publisher can change it, or withdraw it to draft "
    "so that you can."
)


@pytest.fixture
def published(demo):
    return publish_new(demo.recommendations.get(code="SEC-2"), narrative="Published words.")


def _writes(client, evaluation: Evaluation) -> dict[str, object]:
    url = f"/api/v1/evaluations/{evaluation.pk}/"
    etag = client.get(url)["ETag"]
    full = {
        "evaluator": evaluation.evaluator.slug,
        "grade": "setback",
        "as_of": evaluation.as_of.isoformat(),
        "wording": "Rewritten",
        "narrative": "Rewritten.",
        "publication": None,
    }
    return {
        "patch": client.patch(
            url, {"narrative": "Rewritten.", "grade": "setback"}, HTTP_IF_MATCH=etag
        ),
        "put": client.put(url, full, HTTP_IF_MATCH=etag),
        "evidence": client.post(
            f"{url}evidence/", {"source": factories.make_source().key}, HTTP_IF_MATCH=etag
        ),
    }


def test_an_editor_cannot_change_a_published_evaluation_through_the_api(published):
    answers = _writes(client_as("editor"), published)

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 403)
    refusal = {"detail": PUBLISHED_NEEDS_PUBLISHER, "code": "permission_denied", "errors": {}}
    assert [r.json() for r in answers.values()] == [refusal] * 3
    saved = Evaluation.objects.get(pk=published.pk)
    assert (saved.narrative, saved.version, saved.evidence.count()) == ("Published words.", 2, 1)


def test_a_publisher_changes_a_published_evaluation_through_the_api(published):
    publisher = client_as("publisher")
    url = f"/api/v1/evaluations/{published.pk}/"

    response = publisher.patch(
        url, {"narrative": "Rewritten."}, HTTP_IF_MATCH=publisher.get(url)["ETag"]
    )

    assert response.status_code == 200
    assert Evaluation.objects.get(pk=published.pk).narrative == "Rewritten."
