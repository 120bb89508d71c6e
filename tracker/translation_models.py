"""Translations of the record's texts (issue 15): a reader's language beside the original,
which is never replaced. Part of this app's models, re-exported by tracker.models.

One row per translated text: which object, which of its fields, which language, the text,
what kind of translation it is, and a digest of the original it was made from. When the
original changes, the digest no longer matches and the translation is *outdated* until an
editor revises it. A third language needs no schema change: only rows (and its catalogue).

Translations are reviewed like evaluations: an editor writes a draft, a publisher publishes
it (tracker.rules: SAVE_TRANSLATION, PUBLISH_TRANSLATION); readers see published ones only.
"""

import hashlib

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# (Imported at the end of tracker.models, once Status is defined there.)
from tracker.models import Status

# Which texts can be translated: model label → its translatable fields, in reading order.
# Names, titles and verbatim texts; never codes, slugs, dates, URLs or the evidence's page.
TRANSLATABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "tracker.report": ("short_name", "title", "description"),
    "tracker.gradescale": ("name", "description"),
    "tracker.grade": ("label", "description"),
    "tracker.area": ("name", "intro"),
    "tracker.recommendation": ("title", "text"),
    "tracker.evaluation": ("wording", "narrative"),
    "tracker.evidencelink": ("quote",),
    "tracker.edition": ("name", "description"),
}


def original_language() -> str:
    """The language the record is written in (the originals): the site's default."""
    return settings.LANGUAGE_CODE


def translation_languages() -> list[str]:
    """The languages texts can be translated into: every language but the originals'."""
    return [code for code, _name in settings.LANGUAGES if code != original_language()]


def digest(text: str) -> str:
    """What a translation remembers of its original, to tell when the original changed."""
    return hashlib.sha256(text.encode()).hexdigest()


class TranslationKind(models.TextChoices):
    OFFICIAL = "official", _("Official translation")
    EDITORS = "editors", _("Unofficial translation by the scorecard's editors")
    MACHINE = "machine", _("Machine translation")


class TranslationQuerySet(models.QuerySet):
    def published(self) -> "TranslationQuerySet":
        return self.filter(status=Status.PUBLISHED)

    def of(self, obj: models.Model) -> "TranslationQuerySet":
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


class Translation(models.Model):
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, verbose_name=_("content type")
    )
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    # The translated object (`prefetch_related("target")` fetches many at one query a model).
    target = GenericForeignKey("content_type", "object_id")
    field = models.CharField(max_length=50, verbose_name=_("field"))
    language = models.CharField(max_length=10, verbose_name=_("language"))
    text = models.TextField(verbose_name=_("text"))
    kind = models.CharField(max_length=20, choices=TranslationKind.choices, verbose_name=_("kind"))
    # The digest (sha256, hex) of the original text this translation was made from.
    original_digest = models.CharField(max_length=64, verbose_name=_("original digest"))
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )

    # The audit trail, and what moves the data state when a translation is deleted.
    history = HistoricalRecords()

    objects = TranslationQuerySet.as_manager()

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        ordering = ["content_type_id", "object_id", "field", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "field", "language"],
                name="one_translation_per_text_and_language",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="translation_not_empty"),
            models.CheckConstraint(
                condition=Q(status=Status.DRAFT) | Q(published_at__isnull=False),
                name="published_translation_has_time",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.field} ({self.language})"

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def original_text(self) -> str:
        target = self.target
        return getattr(target, self.field, "") if target is not None else ""

    def is_outdated(self, original: str | None = None) -> bool:
        """Whether the original changed since this translation was made."""
        text = self.original_text() if original is None else original
        return digest(text) != self.original_digest
