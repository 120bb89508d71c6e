"""Translations follow the rules of the rest (tracker.rules, tracker.services): an editor
drafts, a publisher publishes; a published one changes only by a publisher, and not at all
once an edition froze the text it translates; bad values are named all at once; a changed
original makes its translation outdated."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tracker import services
from tracker.models import Edition, Evaluation, Recommendation, Status, Translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_the_demos_japanese(demo):
    """These tests start from the demo without its Japanese and translate what each needs."""
    Translation.objects.all().delete()


def _recommendation(demo) -> Recommendation:
    return demo.recommendations.get(code="SEC-1")


def test_an_editor_drafts_and_a_publisher_publishes(demo, editor_user, publisher_user):
    rec = _recommendation(demo)
    draft = services.save_translation(
        target=rec, field="title", language="ja", text="日米防衛協力", user=editor_user
    )
    assert (draft.status, draft.kind, draft.published_at) == (Status.DRAFT, "editors", None)
    with pytest.raises(PermissionDenied, match="Only publishers can publish translations"):
        services.publish_translation(translation=draft, user=editor_user)

    published = services.publish_translation(translation=draft, user=publisher_user)

    assert published.status == Status.PUBLISHED
    assert list(Translation.objects.of(rec).published().values_list("text", flat=True)) == [
        "日米防衛協力"
    ]


def test_a_published_translation_is_changed_by_a_publisher_only(demo, editor_user, publisher_user):
    rec = _recommendation(demo)
    services.save_translation(target=rec, field="title", language="ja", text="一", publish=True)
    with pytest.raises(PermissionDenied, match="only a publisher can change it"):
        services.save_translation(
            target=rec, field="title", language="ja", text="二", user=editor_user
        )

    changed = services.save_translation(
        target=rec, field="title", language="ja", text="三", user=publisher_user
    )

    assert (changed.text, changed.status) == ("三", Status.PUBLISHED)
    assert Translation.objects.count() == 1


def test_every_bad_value_is_named_at_once(demo, editor_user):
    rec = _recommendation(demo)
    with pytest.raises(ValidationError) as raised:
        services.save_translation(
            target=rec, field="code", language="fr", text=" ", kind="guess", user=editor_user
        )

    assert sorted(raised.value.message_dict) == ["field", "kind", "language", "text"]
    assert Translation.objects.count() == 0


def test_a_changed_original_makes_its_translation_outdated(demo):
    rec = _recommendation(demo)
    translation = services.save_translation(
        target=rec, field="title", language="ja", text="訳", publish=True
    )
    assert translation.is_outdated() is False

    Recommendation.objects.filter(pk=rec.pk).update(title="A corrected title")
    stale = Translation.objects.get(pk=translation.pk)
    assert stale.is_outdated() is True

    # Revised, it is made from the current original again.
    revised = services.save_translation(
        target=Recommendation.objects.get(pk=rec.pk), field="title", language="ja", text="訳2"
    )
    assert revised.is_outdated() is False


def test_what_an_edition_froze_stays_frozen_in_japanese(demo, publisher_user):
    evaluation = Evaluation.objects.filter(
        recommendation__report=demo, status=Status.PUBLISHED, edition_entries__isnull=False
    ).first()
    edition = (
        Edition.objects.filter(status=Status.PUBLISHED, entries__evaluation=evaluation)
        .order_by("published_at")
        .first()
    )
    # Published before the edition: part of what it froze.
    before = services.save_translation(
        target=evaluation, field="wording", language="ja", text="訳", publish=True
    )
    Translation.objects.filter(pk=before.pk).update(published_at=edition.published_at)
    # Published after it: not in the edition, so it may still be corrected.
    after = services.save_translation(
        target=evaluation, field="narrative", language="ja", text="訳", publish=True
    )

    with pytest.raises(ValidationError) as raised:
        services.save_translation(
            target=evaluation, field="wording", language="ja", text="別訳", user=publisher_user
        )
    assert "frozen" in raised.value.message_dict["text"][0]
    with pytest.raises(ValidationError):
        services.delete_translation(translation=before, user=publisher_user)
    corrected = services.save_translation(
        target=evaluation, field="narrative", language="ja", text="直した訳", user=publisher_user
    )
    assert corrected.pk == after.pk
    assert sorted(Translation.objects.values_list("text", flat=True)) == ["直した訳", "訳"]


def test_a_deleted_draft_takes_its_translations_with_it(demo, editor_user):
    from tests.api_support import make_draft

    draft = make_draft(demo)
    services.save_translation(
        target=draft, field="narrative", language="ja", text="訳", user=editor_user
    )

    services.delete_evaluation(evaluation=draft, user=editor_user)

    assert Translation.objects.count() == 0
