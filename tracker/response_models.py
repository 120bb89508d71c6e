"""What the actor says (issue 17): a responsible party's own statements about a
recommendation and where it made them (tracker/responses.py reads and writes them). Part of
this app's models, re-exported by tracker.models.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
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
        "tracker.Recommendation", on_delete=models.PROTECT, related_name="responses"
    )
    actor = models.ForeignKey("tracker.Actor", on_delete=models.PROTECT, related_name="responses")
    position = models.CharField(max_length=20, choices=ResponsePosition.choices)
    statement = models.TextField(
        blank=True, help_text=_("What it says it did, in Markdown; quote it verbatim.")
    )
    said_on = models.DateField(help_text=_("The date it said so."))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every write and checked in the same UPDATE, as for evaluations.
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    objects = ResponseQuerySet.as_manager()

    class Meta:
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
        "tracker.Response", on_delete=models.CASCADE, related_name="sources"
    )
    source = models.ForeignKey(
        "tracker.Source", on_delete=models.PROTECT, related_name="response_citations"
    )
    quote = models.TextField(blank=True, help_text=_("The passage, verbatim."))
    page = models.CharField(max_length=50, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["response", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["response", "source"], name="response_source_unique"),
        ]

    def __str__(self) -> str:
        return str(self.source)
