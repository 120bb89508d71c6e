"""What the actor says (issue 17): a responsible party's own statements about a
recommendation and where it made them (tracker/responses.py reads and writes them). Part of
this app's models, re-exported by tracker.models.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

# (Imported at the end of tracker.models, once Status is defined there.)
from tracker.models import Status


class ResponsePosition(models.TextChoices):
    """Where the responsible party says it stands on a recommendation (as UPR Info records
    a state's response): its own claim, never a grade."""

    ACCEPTED = "accepted", _("Accepted")
    PARTLY_ACCEPTED = "partly-accepted", _("Partly accepted")
    NOTED = "noted", _("Noted")
    REJECTED = "rejected", _("Rejected")


class ResponseQuerySet(models.QuerySet):
    def published(self) -> "ResponseQuerySet":
        return self.filter(status=Status.PUBLISHED)


class Response(models.Model):
    """A responsible party's own statement about a recommendation: its position, what it
    says it did, when, and where it said so (its sources). Kept apart from evaluations:
    it is a claim to set beside the evaluators' judgment, never a grade."""

    recommendation = models.ForeignKey(
        "tracker.Recommendation",
        on_delete=models.PROTECT,
        related_name="responses",
        verbose_name=_("recommendation"),
    )
    actor = models.ForeignKey(
        "tracker.Actor", on_delete=models.PROTECT, related_name="responses", verbose_name=_("actor")
    )
    position = models.CharField(
        max_length=20,
        choices=ResponsePosition.choices,
        verbose_name=pgettext_lazy("what a response says", "position"),
    )
    statement = models.TextField(
        blank=True,
        help_text=_("What it says it did, in Markdown; quote it verbatim."),
        verbose_name=_("statement"),
    )
    said_on = models.DateField(help_text=_("The date it said so."), verbose_name=_("said on"))
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published at"))
    # Bumped by every write and checked in the same UPDATE, as for evaluations.
    version = models.PositiveIntegerField(default=1, verbose_name=_("version"))
    history = HistoricalRecords()

    objects = ResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["recommendation", "said_on", "published_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "actor", "said_on"],
                name="response_unique_per_actor_and_date",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="response_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(position__in=ResponsePosition.values), name="response_position_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=Status.DRAFT) | Q(published_at__isnull=False),
                name="response_published_has_date",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="response_version_positive"),
        ]
        indexes = [
            models.Index(
                fields=["recommendation", "status", "said_on", "id"], name="response_timeline_idx"
            ),
        ]

    def __str__(self) -> str:
        position = self.get_position_display()
        return f"{self.recommendation.code}: {self.actor} {position}, {self.said_on}"

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


class ResponseSource(models.Model):
    """Where a response was said: a source, with the passage (the evidence pattern)."""

    response = models.ForeignKey(
        "tracker.Response",
        on_delete=models.CASCADE,
        related_name="sources",
        verbose_name=_("response"),
    )
    source = models.ForeignKey(
        "tracker.Source",
        on_delete=models.PROTECT,
        related_name="response_citations",
        verbose_name=_("source"),
    )
    quote = models.TextField(
        blank=True, help_text=_("The passage, verbatim."), verbose_name=_("quote")
    )
    page = models.CharField(max_length=50, blank=True, verbose_name=_("page"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("response source")
        verbose_name_plural = _("response sources")
        ordering = ["response", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "source"], name="response_source_unique"),
        ]

    def __str__(self) -> str:
        return str(self.source)
