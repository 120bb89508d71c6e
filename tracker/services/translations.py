"""Writes of translations (issue 15). Part of `tracker.services` (call them there); each is
one transaction and asks `tracker.rules` (SAVE_TRANSLATION, PUBLISH_TRANSLATION,
DELETE_TRANSLATION and `translation_problems`), and writes again the search's documents of
the translated object (`tracker.search.index_translation_of`) in that transaction.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext

from tracker import rules, search
from tracker.models import Status, Translation, TranslationKind
from tracker.rules import Operation
from tracker.translation_models import digest


def _existing(target: Model, field: str, language: str) -> Translation | None:
    return (
        Translation.objects.select_for_update()
        .filter(
            content_type=ContentType.objects.get_for_model(target),
            object_id=target.pk,
            field=field,
            language=language,
        )
        .first()
    )


@transaction.atomic
def save_translation(
    *,
    target: Model,
    field: str,
    language: str,
    text: str,
    kind: str = TranslationKind.EDITORS,
    user=None,
    publish: bool = False,
) -> Translation:
    """Write the translation of `target.field` into `language`, made from its current
    original (so it is up to date again). A new one is a draft unless a publisher
    publishes it at once (`publish`); a published one stays published."""
    problems = rules.translation_problems(
        target=target, field=field, language=language, text=text, kind=kind
    )
    if problems:
        raise ValidationError(problems)
    translation = _existing(target, field, language)
    if translation is not None:
        translation.target = target
    rules.check(user, Operation.SAVE_TRANSLATION, translation, fresh=True)
    if translation is None:
        translation = Translation(target=target, field=field, language=language)
    translation.text = text
    translation.kind = kind
    translation.original_digest = digest(getattr(target, field))
    translation.updated_by = user if getattr(user, "pk", None) else None
    if publish and not translation.is_published:
        rules.check(user, Operation.PUBLISH_TRANSLATION, translation, state=rules.State.DRAFT)
        translation.status = Status.PUBLISHED
        translation.published_at = timezone.now()
    try:
        with transaction.atomic():
            translation.save()
    except IntegrityError as error:  # another editor made the same one a moment ago
        raise ValidationError(
            {"text": gettext("Someone else translated this text a moment ago. Nothing was saved.")}
        ) from error
    search.index_translation_of(target)
    return translation


@transaction.atomic
def publish_translation(*, translation: Translation, user=None) -> Translation:
    locked = Translation.objects.select_for_update().get(pk=translation.pk)
    rules.check(user, Operation.PUBLISH_TRANSLATION, locked, fresh=True)
    locked.status = Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at", "updated_at"])
    search.index_translation_of(locked.target)
    return locked


@transaction.atomic
def delete_translation(*, translation: Translation, user=None) -> None:
    locked = Translation.objects.select_for_update().get(pk=translation.pk)
    rules.check(user, Operation.DELETE_TRANSLATION, locked, fresh=True)
    target = locked.target
    locked.delete()
    if target is not None:
        search.index_translation_of(target)
