"""Recommendations becoming overdue, as followers and partners are told of it (issue 17;
tracker/overdue.py writes them). Part of this app's models, re-exported by tracker.models.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OverdueEvent(models.Model):
    """That a recommendation became overdue for one due date (tracker.deadlines'
    `overdue_events`), once announced: its webhook event is in the outbox, and its e-mail to
    followers sent (`mailed_at`) or waiting. The unique constraint makes it once per
    recommendation and due date, whoever runs the announcement and however often."""

    recommendation = models.ForeignKey(
        "tracker.Recommendation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recommendation"),
    )
    due_on = models.DateField(verbose_name=_("due on"))
    announced_at = models.DateTimeField(verbose_name=_("announced at"))
    # Null until the followers' e-mails for it were handed to the mail server.
    mailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("mailed at"))

    class Meta:
        verbose_name = _("overdue event")
        verbose_name_plural = _("overdue events")
        ordering = ["due_on", "recommendation_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "due_on"], name="overdue_event_once_per_due_date"
            )
        ]
        indexes = [
            models.Index(
                fields=["mailed_at"],
                condition=models.Q(mailed_at__isnull=True),
                name="overdue_event_unmailed",
            )
        ]

    def __str__(self) -> str:
        return f"Recommendation {self.recommendation_id} overdue (due {self.due_on})"
