"""Editions (a report's published grades, frozen under a name and a date) and their
entries, which keep what the edition showed. Part of this app's models, re-exported by
tracker.models.
"""

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# (Imported at the end of tracker.models, once these are defined there.)
from tracker.models import (
    Evaluation,
    Grade,
    Recommendation,
    Report,
    Status,
    frozen_grade_css_class,
)
from tracker.source_models import Evaluator, EvaluatorKind


class Edition(models.Model):
    """A named, dated snapshot of a report's published grades; frozen once published."""

    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="editions", verbose_name=_("report")
    )
    translations = GenericRelation("tracker.Translation")  # its texts in other languages
    slug = models.SlugField(unique=True, verbose_name=_("slug"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    as_of = models.DateField(
        help_text=_("The date whose grades the edition freezes."), verbose_name=_("as of")
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, verbose_name=_("status")
    )
    published_at = models.DateTimeField(null=True, blank=True, verbose_name=_("published at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        ordering = ["report", "as_of", "published_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="edition_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=Status.DRAFT) | Q(published_at__isnull=False),
                name="edition_published_has_date",
            ),
            # Readers tell a report's editions apart by name ("2004 card → 2008 review").
            models.UniqueConstraint(
                fields=["report", "name"], name="edition_unique_name_per_report"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


# What an edition shows of an evaluator, copied onto each entry when the edition is frozen.
EVALUATOR_SNAPSHOT_FIELDS = ("slug", "name", "kind", "affiliation", "url")
# What an edition shows of a grade and of a recommendation, copied the same way: relabelling
# a grade or retitling a recommendation later changes the live pages, never an edition.
GRADE_SNAPSHOT_FIELDS = ("slug", "label", "score", "colour")
RECOMMENDATION_SNAPSHOT_FIELDS = ("code", "title")


class EditionEntryQuerySet(models.QuerySet):
    def snapshot_shown(self) -> int:
        """Copy each entry's evaluator, grade and recommendation as they are now onto the
        entry (one UPDATE).

        Called when entries are frozen: from then on the edition shows these copies, so
        renaming an evaluator, relabelling a grade or retitling a recommendation later
        changes the live pages, never what an edition said.
        """
        evaluation = Evaluation.objects.filter(pk=models.OuterRef("evaluation_id"))
        recommendation = Recommendation.objects.filter(pk=models.OuterRef("recommendation_id"))
        copies = {
            **{f"evaluator_{name}": f"evaluator__{name}" for name in EVALUATOR_SNAPSHOT_FIELDS},
            **{f"grade_{name}": f"grade__{name}" for name in GRADE_SNAPSHOT_FIELDS},
        }
        # A not rateable evaluation has no grade: its entry keeps empty grade copies (the
        # score may be null, the text columns may not).
        return self.update(
            **{
                field: (
                    models.Subquery(evaluation.values(path)[:1])
                    if field == "grade_score"
                    else Coalesce(models.Subquery(evaluation.values(path)[:1]), models.Value(""))
                )
                for field, path in copies.items()
            },
            **{
                f"recommendation_{name}": models.Subquery(recommendation.values(name)[:1])
                for name in RECOMMENDATION_SNAPSHOT_FIELDS
            },
        )


class EditionEntry(models.Model):
    """The grade a recommendation had in an edition: the evaluation that was current, and
    its evaluator, grade and recommendation as they were when the edition was frozen."""

    edition = models.ForeignKey(
        Edition, on_delete=models.CASCADE, related_name="entries", verbose_name=_("edition")
    )
    recommendation = models.ForeignKey(
        Recommendation,
        on_delete=models.PROTECT,
        related_name="edition_entries",
        verbose_name=_("recommendation"),
    )
    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.PROTECT,
        related_name="edition_entries",
        verbose_name=_("evaluation"),
    )
    evaluator_slug = models.SlugField(blank=True, verbose_name=_("evaluator slug"))
    evaluator_name = models.CharField(max_length=200, blank=True, verbose_name=_("evaluator name"))
    evaluator_kind = models.CharField(
        max_length=20, choices=EvaluatorKind.choices, blank=True, verbose_name=_("evaluator kind")
    )
    evaluator_affiliation = models.CharField(
        max_length=200, blank=True, verbose_name=_("evaluator affiliation")
    )
    evaluator_url = models.URLField(max_length=500, blank=True, verbose_name=_("evaluator url"))
    # The grade and the recommendation as they were when the edition was frozen
    # (GRADE_SNAPSHOT_FIELDS, RECOMMENDATION_SNAPSHOT_FIELDS).
    grade_slug = models.SlugField(blank=True, verbose_name=_("grade slug"))
    grade_label = models.CharField(max_length=100, blank=True, verbose_name=_("grade label"))
    grade_score = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("grade score")
    )
    grade_colour = models.CharField(max_length=7, blank=True, verbose_name=_("grade colour"))
    recommendation_code = models.CharField(
        max_length=20, blank=True, verbose_name=_("recommendation code")
    )
    recommendation_title = models.CharField(
        max_length=200, blank=True, verbose_name=_("recommendation title")
    )
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    objects = EditionEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("edition entry")
        verbose_name_plural = _("edition entries")
        ordering = ["edition", "recommendation__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "recommendation"], name="edition_entry_unique_recommendation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.edition}: {self.recommendation.code}"

    @classmethod
    def freezing(cls, *, edition: Edition, evaluation: Evaluation) -> "EditionEntry":
        """A new entry freezing `evaluation` (with its evaluator fetched) into `edition`,
        with the copy of the evaluator the edition will show."""
        evaluator = evaluation.evaluator
        return cls(
            edition=edition,
            recommendation_id=evaluation.recommendation_id,
            evaluation=evaluation,
            **{f"evaluator_{name}": getattr(evaluator, name) for name in EVALUATOR_SNAPSHOT_FIELDS},
        )

    @property
    def shown_evaluation(self) -> Evaluation:
        return self.frozen_evaluation()

    @property
    def shown_grade(self) -> Grade:
        return self.frozen_evaluation().grade

    @property
    def shown_recommendation(self) -> Recommendation:
        """The entry's recommendation with the code and title it had when the edition was
        frozen (an unsaved copy of its id and report; needs `recommendation` fetched)."""
        recommendation = self.recommendation
        if not self.recommendation_code:
            return recommendation
        return self.show_recommendation_on(
            Recommendation(pk=recommendation.pk, report=recommendation.report)
        )

    def show_recommendation_on(self, recommendation: Recommendation) -> Recommendation:
        """`recommendation` (this entry's, not saved afterwards) showing the code and title
        the edition froze."""
        if self.recommendation_code:
            recommendation.code = self.recommendation_code
            recommendation.title = self.recommendation_title
        return recommendation

    def frozen_evaluation(self) -> Evaluation:
        """The entry's evaluation as the edition shows it: with the evaluator and the grade
        they were when the edition was frozen (unsaved copies), not as they are now.

        Needs `evaluation` (with its grade) fetched; the evaluator need not be.
        """
        evaluation = self.evaluation
        if self.evaluator_slug:
            evaluation.evaluator = Evaluator(
                pk=evaluation.evaluator_id,
                **{name: getattr(self, f"evaluator_{name}") for name in EVALUATOR_SNAPSHOT_FIELDS},
            )
        if self.grade_label:
            grade = Grade(
                pk=evaluation.grade_id,
                **{name: getattr(self, f"grade_{name}") for name in GRADE_SNAPSHOT_FIELDS},
            )
            grade.frozen_css_class = frozen_grade_css_class(grade.pk, grade.colour)
            evaluation.grade = grade
        return evaluation
