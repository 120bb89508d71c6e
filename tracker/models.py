"""The record: reports, their recommendations, and the graded evaluations of them.

Rules that must always hold live here, as database constraints where the database can
enforce them. Write operations that change several rows are in `tracker.services`; shared
read queries are in `tracker.queries`.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

# The grade scales: their own module (tracker/grade_models.py), part of this app's models
# and re-exported here.
from tracker.grade_models import Grade, GradeScale, frozen_grade_css_class  # noqa: F401


class DueSetBy(models.TextChoices):
    REPORT = "report", _("The report")
    EDITORS = "editors", _("The editors")


class LegacyActor(models.TextChoices):
    """The responsible party as a fixed choice, before actors were records of their own.

    Kept because the interchange format still reads these values (tracker.actors maps each
    to the actors it names); no column holds them any more (migration 0009).
    """

    UNITED_STATES = "united-states", "United States"
    JAPAN = "japan", "Japan"
    BOTH = "both", "United States and Japan"
    UNSPECIFIED = "unspecified", "Not specified"


class Report(models.Model):
    slug = models.SlugField(unique=True, verbose_name=_("slug"))
    translations = GenericRelation("tracker.Translation")  # its texts in other languages
    short_name = models.CharField(max_length=100, verbose_name=_("short name"))
    title = models.CharField(max_length=300, verbose_name=_("title"))
    authors = models.CharField(max_length=300, blank=True, verbose_name=_("authors"))
    institution = models.CharField(max_length=300, blank=True, verbose_name=_("institution"))
    published_on = models.DateField(verbose_name=_("published on"))
    url = models.URLField(max_length=500, blank=True, verbose_name=_("url"))
    citation = models.CharField(max_length=500, blank=True, verbose_name=_("citation"))
    description = models.TextField(
        blank=True, help_text=_("Markdown."), verbose_name=_("description")
    )
    grade_scale = models.ForeignKey(
        GradeScale, on_delete=models.PROTECT, related_name="reports", verbose_name=_("grade scale")
    )
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["published_on", "slug"]

    def __str__(self) -> str:
        return self.short_name


class Area(models.Model):
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="areas", verbose_name=_("report")
    )
    translations = GenericRelation("tracker.Translation")  # its texts in other languages
    slug = models.SlugField(verbose_name=_("slug"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    position = models.PositiveSmallIntegerField(verbose_name=_("position"))
    intro = models.TextField(
        blank=True, help_text=_("The area's introductory quote, verbatim."), verbose_name=_("intro")
    )
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(fields=["report", "slug"], name="area_unique_slug_per_report"),
            models.UniqueConstraint(
                fields=["report", "position"], name="area_unique_position_per_report"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ActorKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    MINISTRY = "ministry", _("Ministry")
    LEGISLATURE = "legislature", _("Legislature")
    ADMINISTRATION = "administration", _("Administration")
    AGENCY = "agency", _("Agency")


class Actor(models.Model):
    """Who a recommendation asks to act: a government, or a body within one (its parent).

    A filter or a page about an actor includes its sub-bodies at any depth (tracker.actors).
    """

    slug = models.SlugField(max_length=100, unique=True, verbose_name=_("slug"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    kind = models.CharField(
        max_length=20,
        choices=ActorKind.choices,
        default=ActorKind.GOVERNMENT,
        verbose_name=_("kind"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("The government (or body) this one is part of; empty for a government."),
        verbose_name=_("parent"),
    )
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("actor")
        verbose_name_plural = _("actors")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="actor_not_own_parent"),
            models.CheckConstraint(condition=Q(kind__in=ActorKind.values), name="actor_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse  # (the public site's URLs import the models)

        return reverse("actor", args=[self.slug])


class Topic(models.Model):
    slug = models.SlugField(unique=True, verbose_name=_("slug"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RecommendationActor(models.Model):
    """A recommendation naming an actor. An actor that recommendations name cannot be
    deleted (PROTECT): it must first be taken off them."""

    recommendation = models.ForeignKey(
        "Recommendation",
        on_delete=models.CASCADE,
        related_name="actor_links",
        verbose_name=_("recommendation"),
    )
    actor = models.ForeignKey(
        Actor,
        on_delete=models.PROTECT,
        related_name="recommendation_links",
        verbose_name=_("actor"),
    )

    class Meta:
        verbose_name = _("recommendation actor")
        verbose_name_plural = _("recommendation actors")
        ordering = ["recommendation", "actor__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "actor"], name="recommendation_actor_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation_id} → {self.actor_id}"


class Recommendation(models.Model):
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="recommendations", verbose_name=_("report")
    )
    translations = GenericRelation("tracker.Translation")  # its texts in other languages
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="recommendations", verbose_name=_("area")
    )
    code = models.CharField(
        max_length=20,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]*-[0-9]+$", "Use a code like SEC-2.")],
        verbose_name=_("code"),
    )
    position = models.PositiveIntegerField(
        help_text=_("Order within the report."), verbose_name=_("position")
    )
    title = models.CharField(max_length=200, verbose_name=_("title"))
    text = models.TextField(help_text=_("The recommendation, verbatim."), verbose_name=_("text"))
    actors = models.ManyToManyField(
        Actor,
        blank=True,
        through=RecommendationActor,
        related_name="recommendations",
        help_text=_("Who is asked to act (none: the report does not say)."),
        verbose_name=_("actors"),
    )
    due_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("By when the recommendation is to be carried out."),
        verbose_name=_("due on"),
    )
    due_set_by = models.CharField(
        max_length=20,
        choices=DueSetBy.choices,
        blank=True,
        help_text=_("Whose date it is: the report's own, or the editors'."),
        verbose_name=_("due set by"),
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="recommendations", verbose_name=_("topics")
    )
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    history = HistoricalRecords(m2m_fields=[topics, actors])

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "code"], name="recommendation_unique_code_per_report"
            ),
            # A due date says whose it is; no date, no one.
            models.CheckConstraint(
                condition=(Q(due_on__isnull=True) & Q(due_set_by=""))
                | (Q(due_on__isnull=False) & Q(due_set_by__in=DueSetBy.values)),
                name="recommendation_due_date_has_setter",
            ),
        ]
        # The data's state reads the latest due date before a day (tracker.freshness) on
        # every request, and the feeds the overdue ones: an index look-up, not a scan.
        indexes = [models.Index(fields=["due_on"], name="recommendation_due_on_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def slug(self) -> str:
        """The URL part: the code in lower case (unique within the report, like the code)."""
        return self.code.lower()

    @property
    def due_state(self) -> str | None:
        """`overdue`, `soon` or None, by its `current_evaluation` (tracker.deadlines)."""
        from tracker.deadlines import due_state  # (it reads the models)

        evaluation = getattr(self, "current_evaluation", None)
        return due_state(self.due_on, evaluation.grade if evaluation else None)

    @property
    def current_judgment(self) -> str:
        """ "graded", "not-rateable" or "ungraded": of `current_evaluation`, which
        `tracker.queries.attach_current_evaluations` sets (the values of the `grade` filter)."""
        current = getattr(self, "current_evaluation", None)
        if current is None:
            return Judgment.UNGRADED
        return Judgment.NOT_RATEABLE if current.is_not_rateable else Judgment.GRADED


class Judgment(models.TextChoices):
    """Where a recommendation stands by its current evaluation: counted apart everywhere."""

    GRADED = "graded", "Graded"
    NOT_RATEABLE = "not-rateable", "Not rateable"
    UNGRADED = "ungraded", "Not yet graded"


class LinkKind(models.TextChoices):
    REITERATES = "reiterates", "reiterates"
    SUPERSEDES = "supersedes", "supersedes"
    RELATED = "related", "is related to"


class RecommendationLink(models.Model):
    """A typed link between recommendations, usually of different reports."""

    source = models.ForeignKey(
        Recommendation,
        on_delete=models.CASCADE,
        related_name="links_out",
        verbose_name=pgettext_lazy("a link between recommendations", "source"),
    )
    target = models.ForeignKey(
        Recommendation,
        on_delete=models.CASCADE,
        related_name="links_in",
        verbose_name=pgettext_lazy("a link between recommendations", "target"),
    )
    kind = models.CharField(max_length=20, choices=LinkKind.choices, verbose_name=_("kind"))
    note = models.CharField(max_length=500, blank=True, verbose_name=_("note"))
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("recommendation link")
        verbose_name_plural = _("recommendation links")
        ordering = ["source", "target"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "kind"], name="link_unique_per_kind"
            ),
            models.CheckConstraint(condition=~Q(source=F("target")), name="link_not_to_itself"),
            models.CheckConstraint(condition=Q(kind__in=LinkKind.values), name="link_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code} {self.kind} {self.target.code}"


# What an evaluation without a grade says, wherever it is shown (pages, feeds, exports).
NOT_RATEABLE_LABEL = "Not rateable"


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class EvaluationQuerySet(models.QuerySet):
    def published(self) -> "EvaluationQuerySet":
        return self.filter(status=Status.PUBLISHED)


class Evaluation(models.Model):
    """One judgment of one recommendation, as of one date."""

    recommendation = models.ForeignKey(
        Recommendation,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("recommendation"),
    )
    translations = GenericRelation("tracker.Translation")  # its texts in other languages
    evaluator = models.ForeignKey(
        "tracker.Evaluator",
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("evaluator"),
    )
    # Empty exactly when the evaluator judged the recommendation cannot be graded, and said
    # why in `not_rateable_reason` (the constraint below): neither a grade nor "not yet
    # graded", and counted apart from both (tracker.rules.NOT_RATEABLE).
    grade = models.ForeignKey(
        Grade,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("grade"),
    )
    not_rateable_reason = models.TextField(
        blank=True,
        help_text=(
            _(
                "Only when the recommendation cannot be graded (too vague, no information): "
                "why. Leave the grade empty then."
            )
        ),
        verbose_name=_("not rateable reason"),
    )
    wording = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("The evaluator's own grade wording, verbatim."),
        verbose_name=_("wording"),
    )
    narrative = models.TextField(blank=True, help_text=_("Markdown."), verbose_name=_("narrative"))
    as_of = models.DateField(
        help_text=_("The date this judgment speaks for."), verbose_name=_("as of")
    )
    publication = models.ForeignKey(
        "tracker.Source",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_evaluations",
        help_text=_("The publication this evaluation appeared in, if any."),
        verbose_name=_("publication"),
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published at"))
    # Bumped by every write, checked in the same UPDATE, so concurrent editors cannot
    # overwrite each other (see services.update_evaluation).
    version = models.PositiveIntegerField(default=1, verbose_name=_("version"))
    history = HistoricalRecords()

    objects = EvaluationQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["recommendation", "as_of", "published_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "evaluator", "as_of"],
                name="evaluation_unique_per_evaluator_and_date",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="evaluation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=Status.DRAFT) | Q(published_at__isnull=False),
                name="evaluation_published_has_date",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="evaluation_version_positive"),
            # A grade, or the reason it cannot be graded: exactly one of them.
            models.CheckConstraint(
                condition=(Q(grade__isnull=False) & Q(not_rateable_reason=""))
                | (Q(grade__isnull=True) & ~Q(not_rateable_reason="")),
                name="evaluation_grade_or_not_rateable",
            ),
        ]
        indexes = [
            # current_grades / grade_timeline: latest published evaluation per recommendation.
            # With `id`, the last tie-breaker, "the latest" is one step back through the
            # index instead of a sort of a recommendation's rows (bench/README.md).
            models.Index(
                fields=["recommendation", "status", "as_of", "published_at", "id"],
                name="evaluation_latest_idx",
            ),
            # The partners' change feed: ordered by update time.
            models.Index(fields=["updated_at", "id"], name="evaluation_feed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation.code} as of {self.as_of}: {self.judgment_label}"

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def is_not_rateable(self) -> bool:
        """Whether the evaluator judged the recommendation cannot be graded."""
        return self.grade_id is None

    @property
    def judgment_label(self) -> str:
        """The grade's label, or "Not rateable" (what a badge or a feed entry says)."""
        return NOT_RATEABLE_LABEL if self.grade_id is None else self.grade.label


# Models of their own modules, part of this app's models and re-exported here (imported
# after the models above, which they refer to): evaluators, sources and evidence links,
# editions, what the actor says and overdue events (issue 17), readers' e-mail
# subscriptions and partners' webhooks (issue 16), the search's documents (issue 18).
from tracker.edition_models import (  # noqa: E402, F401
    EVALUATOR_SNAPSHOT_FIELDS,
    GRADE_SNAPSHOT_FIELDS,
    RECOMMENDATION_SNAPSHOT_FIELDS,
    Edition,
    EditionEntry,
    EditionEntryQuerySet,
)
from tracker.overdue_models import OverdueEvent  # noqa: E402, F401
from tracker.response_models import (  # noqa: E402, F401
    Response,
    ResponsePosition,
    ResponseQuerySet,
    ResponseSource,
)
from tracker.search_models import SearchDocument, SearchKind  # noqa: E402, F401
from tracker.source_models import (  # noqa: E402, F401
    Evaluator,
    EvaluatorKind,
    EvidenceLink,
    Source,
    SourceKind,
    Stance,
)
from tracker.subscription_models import (  # noqa: E402, F401
    Frequency,
    GradeNotice,
    NoticeKind,
    Subscription,
)
from tracker.translation_models import (  # noqa: E402, F401
    TRANSLATABLE_FIELDS,
    Translation,
    TranslationKind,
)
from tracker.webhook_models import (  # noqa: E402, F401
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
