"""Readers following grades by e-mail (issue 16; tracker/subscriptions.py reads and writes
them, tracker/mail_tasks.py sends). Part of this app's models, re-exported by tracker.models.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    EACH_ROUND = "each", _("As grades are published")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


class Subscription(models.Model):
    """A reader's wish to be told by e-mail when grades change: of every report (neither
    `report` nor `recommendation`), of one report, or of one recommendation.

    No account: the address is the reader, proven by the signed link sent to it. Until
    `confirmed_at` nothing but that one confirmation is sent. Addresses are personal data:
    no export, API response or editor's list shows them (only superusers, in the admin).
    """

    email = models.EmailField(max_length=254, verbose_name=_("email"))
    report = models.ForeignKey(
        "tracker.Report",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("report"),
    )
    recommendation = models.ForeignKey(
        "tracker.Recommendation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recommendation"),
    )
    frequency = models.CharField(
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.EACH_ROUND,
        verbose_name=_("frequency"),
    )
    # The language the reader used when subscribing (a code of settings.LANGUAGES): the
    # e-mails are written in it.
    language = models.CharField(max_length=10, default="en", verbose_name=_("language"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # The last confirmation e-mail sent for this address (at most one an hour).
    confirmation_sent_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("confirmation sent at")
    )
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("confirmed at"))
    # Digests tell of what was released after this (or after confirmation).
    last_digest_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last digest at"))

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        indexes = [models.Index(fields=["email"], name="subscription_email")]
        constraints = [
            models.CheckConstraint(
                condition=Q(report__isnull=True) | Q(recommendation__isnull=True),
                name="subscription_one_scope",
            ),
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(report__isnull=True, recommendation__isnull=True),
                name="subscription_unique_everything",
            ),
            models.UniqueConstraint(
                fields=["email", "report"],
                condition=Q(report__isnull=False),
                name="subscription_unique_report",
            ),
            models.UniqueConstraint(
                fields=["email", "recommendation"],
                condition=Q(recommendation__isnull=False),
                name="subscription_unique_recommendation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} follows {self.scope_name}"

    @property
    def scope_name(self) -> str:
        """What it follows, in the active language."""
        if self.recommendation_id:
            return f"{self.recommendation.code} {self.recommendation.title}"
        if self.report_id:
            return gettext("the %(report)s scorecard") % {"report": self.report.short_name}
        return gettext("every scorecard")


class NoticeKind(models.TextChoices):
    PUBLISHED = "published", "Published"
    CHANGED = "changed", "Corrected"


class GradeNotice(models.Model):
    """A grade released to the public in one publishing round, as followers are told of it.

    Written by the worker when it handles the round; digests are made from these rows.
    """

    round = models.UUIDField(db_index=True, verbose_name=_("round"))
    kind = models.CharField(max_length=10, choices=NoticeKind.choices, verbose_name=_("kind"))
    evaluation = models.ForeignKey(
        "tracker.Evaluation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("evaluation"),
    )
    previous_grade = models.ForeignKey(
        "tracker.Grade",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("previous grade"),
    )
    released_at = models.DateTimeField(db_index=True, verbose_name=_("released at"))

    class Meta:
        verbose_name = _("grade notice")
        verbose_name_plural = _("grade notices")
        ordering = ["released_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} evaluation {self.evaluation_id} (round {self.round})"
