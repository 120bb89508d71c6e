"""The API's bodies in another language (issue 15): each translated text holds its published
translation, and `translations` says which texts are translations, of what kind, whether
outdated, and gives the original; English bodies are the originals with `translations`
left out. Every page of bodies reads its translations in one query."""

import pytest
from django.utils import translation

from scorecard.api import shapes
from tracker import queries, services
from tracker.models import Recommendation, Translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_the_demos_japanese(demo):
    """These tests start from the demo without its Japanese and translate what each needs."""
    Translation.objects.all().delete()


def _page(report):
    return queries.attach_current_evaluations(
        queries.with_current_grade(
            shapes.RecommendationShape.fetch(Recommendation.objects.filter(report=report))
        )
    )


def _by_code(bodies):
    return {body["code"]: body for body in bodies}


def test_a_japanese_body_gives_the_translation_and_names_the_original(demo):
    rec = demo.recommendations.get(code="SEC-1")
    services.save_translation(
        target=rec, field="title", language="ja", text="日米防衛協力", publish=True
    )
    services.save_translation(target=rec, field="text", language="ja", text="下書きの訳")

    with translation.override("ja"):
        body = _by_code(shapes.body(shapes.RecommendationShape, _page(demo)))["SEC-1"]

    assert body["title"] == "日米防衛協力"
    assert body["text"] == rec.text  # only a draft: the original, not listed
    assert body["translations"] == {
        "title": {"language": "ja", "kind": "editors", "outdated": False, "original": rec.title}
    }


def test_english_bodies_are_the_originals_with_no_query_for_translations(
    demo, django_assert_num_queries
):
    rec = demo.recommendations.get(code="SEC-1")
    services.save_translation(target=rec, field="title", language="ja", text="訳", publish=True)
    page = _page(demo)

    with django_assert_num_queries(0):
        bodies = _by_code(shapes.body(shapes.RecommendationShape, page))

    assert bodies["SEC-1"]["title"] == rec.title
    assert "translations" not in bodies["SEC-1"]  # English bodies are what they always were


def test_a_page_of_japanese_bodies_reads_its_translations_in_one_query(
    demo, django_assert_num_queries
):
    for rec in demo.recommendations.all():
        services.save_translation(
            target=rec, field="title", language="ja", text=f"訳 {rec.code}", publish=True
        )
    page = _page(demo)

    with translation.override("ja"), django_assert_num_queries(1):
        bodies = shapes.body(shapes.RecommendationShape, page)

    assert len(bodies) == 25
    assert all(body["title"] == f"訳 {body['code']}" for body in bodies)
    # The nested area and grade bodies are read in the same query.
    assert all("translations" in body["area"] for body in bodies)


def test_an_outdated_translation_says_so(demo):
    rec = demo.recommendations.get(code="SEC-1")
    services.save_translation(target=rec, field="title", language="ja", text="訳", publish=True)
    Recommendation.objects.filter(pk=rec.pk).update(title="A corrected title")

    with translation.override("ja"):
        body = _by_code(shapes.body(shapes.RecommendationShape, _page(demo)))["SEC-1"]

    assert body["translations"]["title"] == {
        "language": "ja",
        "kind": "editors",
        "outdated": True,
        "original": "A corrected title",
    }
