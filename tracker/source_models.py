"""Who judges and what is cited: the evaluators whose judgments evaluations record, the
sources evaluations cite (and are published in), and the evidence links between them. Part
of `tracker.models` (import them there, re-exported as edition_models.py's are); app label
`tracker`, so their tables and migrations are the app's as before.
"""

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from tracker.models import Evaluation


class EvaluatorKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organization")


class Evaluator(models.Model):
    """Whose judgment an evaluation is, so several graders can be shown side by side."""

    slug = models.SlugField(unique=True, verbose_name=_("slug"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    kind = models.CharField(
        max_length=20,
        choices=EvaluatorKind.choices,
        default=EvaluatorKind.ORGANIZATION,
        verbose_name=_("kind"),
    )
    affiliation = models.CharField(max_length=200, blank=True, verbose_name=_("affiliation"))
    url = models.URLField(max_length=500, blank=True, verbose_name=_("url"))
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("evaluator")
        verbose_name_plural = _("evaluators")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SourceKind(models.TextChoices):
    REPORT = "report", _("Report")
    ARTICLE = "article", _("Article")
    NEWS = "news", _("News")
    GOVERNMENT = "government", _("Government document")
    BOOK = "book", _("Book")
    DATASET = "dataset", _("Dataset")
    OTHER = "other", _("Other")


class Source(models.Model):
    key = models.SlugField(
        max_length=100, unique=True, help_text=_("A short stable name."), verbose_name=_("key")
    )
    title = models.CharField(max_length=500, verbose_name=_("title"))
    author = models.CharField(
        max_length=300, blank=True, verbose_name=pgettext_lazy("of a source", "author")
    )
    publisher = models.CharField(max_length=300, blank=True, verbose_name=_("publisher"))
    published_on = models.DateField(null=True, blank=True, verbose_name=_("published on"))
    url = models.URLField(max_length=1000, blank=True, verbose_name=_("url"))
    archived_url = models.URLField(max_length=1000, blank=True, verbose_name=_("archived url"))
    # The URL's identity (tracker.rules.source_url_key), kept with every save: one source
    # per page, held by the database even when two editors add it at the same moment.
    url_key = models.CharField(
        max_length=1000, blank=True, editable=False, verbose_name=_("url key")
    )
    kind = models.CharField(
        max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER, verbose_name=_("kind")
    )
    citation = models.TextField(
        blank=True, help_text=_("The full citation, as printed."), verbose_name=_("citation")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["title"]
        indexes = [
            models.Index(fields=["url"], name="source_url_idx"),
            # Every response reads the latest `updated_at` (tracker.freshness).
            models.Index(fields=["updated_at"], name="source_updated_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["url_key"], condition=~Q(url_key=""), name="source_unique_url"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Derived, not decided here: the rule is tracker.rules.source_url_key, which imports
        # this module (hence imported on use).
        from tracker.rules import source_url_key

        self.url_key = source_url_key(self.url)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "url" in update_fields:
            kwargs["update_fields"] = {*update_fields, "url_key"}
        super().save(*args, **kwargs)


class Stance(models.TextChoices):
    SUPPORTS = "supports", _("Supports")
    CONTRADICTS = "contradicts", _("Contradicts")
    CONTEXT = "context", _("Context")


class EvidenceLink(models.Model):
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("evaluation")
    )
    translations = GenericRelation("tracker.Translation")  # its texts in other languages
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("source")
    )
    stance = models.CharField(
        max_length=20, choices=Stance.choices, default=Stance.SUPPORTS, verbose_name=_("stance")
    )
    quote = models.TextField(
        blank=True, help_text=_("The passage relied on."), verbose_name=_("quote")
    )
    page = models.CharField(max_length=50, blank=True, verbose_name=_("page"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evidence link")
        verbose_name_plural = _("evidence links")
        ordering = ["evaluation", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "source"], name="evidence_unique_source"),
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="evidence_stance_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} ({self.stance})"
