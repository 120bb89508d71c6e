"""Who judges and what is cited: the evaluators whose judgments evaluations record, and the
sources evaluations cite (and are published in). Part of `tracker.models` (import them
there); app label `tracker`, so their tables and migrations are the app's as before.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class EvaluatorKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organization")


class Evaluator(models.Model):
    """Whose judgment an evaluation is, so several graders can be shown side by side."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=20, choices=EvaluatorKind.choices, default=EvaluatorKind.ORGANIZATION
    )
    affiliation = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
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
    key = models.SlugField(max_length=100, unique=True, help_text=_("A short stable name."))
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    published_on = models.DateField(null=True, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    archived_url = models.URLField(max_length=1000, blank=True)
    # The URL's identity (tracker.rules.source_url_key), kept with every save: one source
    # per page, held by the database even when two editors add it at the same moment.
    url_key = models.CharField(max_length=1000, blank=True, editable=False)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)
    citation = models.TextField(blank=True, help_text=_("The full citation, as printed."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
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
