"""What changed between two editions of a report: each recommendation's frozen grade in one
and in the other, grouped by the way it moved. Read by the compare page and the API's
comparison alike (`scorecard.views`, `scorecard.api.views`), so both tell the same story."""

from dataclasses import dataclass, field

from tracker.models import Edition, EditionEntry, Evaluation, Recommendation


def _graded(evaluation: Evaluation | None) -> bool:
    return evaluation is not None and not evaluation.is_not_rateable


@dataclass(frozen=True)
class GradeChange:
    """One recommendation's evaluation in two editions (None where it had no grade)."""

    recommendation: Recommendation
    before: Evaluation | None
    after: Evaluation | None

    @property
    def delta(self) -> int | None:
        """Steps up (positive) or down the scale; None unless graded in both (a not
        rateable judgment is on no step of the scale)."""
        if not _graded(self.before) or not _graded(self.after):
            return None
        return self.after.grade.score - self.before.grade.score

    @property
    def steps(self) -> int:
        """How many levels the grade moved, either way (0 unless graded in both)."""
        return abs(self.delta or 0)

    @property
    def kind(self) -> str:
        """Which of CHANGE_KINDS this change is. Not rateable counts as no grade, except
        that not rateable in both editions is unchanged."""
        both = self.before is not None and self.after is not None
        if both and self.before.is_not_rateable and self.after.is_not_rateable:
            return "unchanged"
        if not _graded(self.before):
            return "never_graded" if not _graded(self.after) else "newly_graded"
        if not _graded(self.after):
            return "no_longer_graded"
        if self.delta > 0:
            return "improved"
        return "declined" if self.delta < 0 else "unchanged"


# The ways a recommendation's grade can change from one edition to another.
CHANGE_KINDS = (
    "improved",
    "declined",
    "unchanged",
    "newly_graded",
    "no_longer_graded",
    "never_graded",
)


@dataclass(frozen=True)
class ChangeCounts:
    """How many recommendations changed in each of the CHANGE_KINDS."""

    improved: int
    declined: int
    unchanged: int
    newly_graded: int
    no_longer_graded: int
    never_graded: int


@dataclass
class EditionDiff:
    """What changed from one edition (`before`) to another (`after`) of the same report."""

    before: Edition
    after: Edition
    improved: list[GradeChange] = field(default_factory=list)
    declined: list[GradeChange] = field(default_factory=list)
    unchanged: list[GradeChange] = field(default_factory=list)
    newly_graded: list[GradeChange] = field(default_factory=list)
    no_longer_graded: list[GradeChange] = field(default_factory=list)
    never_graded: list[GradeChange] = field(default_factory=list)

    @property
    def changes(self) -> list[GradeChange]:
        """Every recommendation of the report, in report order."""
        return sorted(
            (change for kind in CHANGE_KINDS for change in getattr(self, kind)),
            key=lambda change: change.recommendation.position,
        )

    @property
    def counts(self) -> ChangeCounts:
        return ChangeCounts(**{kind: len(getattr(self, kind)) for kind in CHANGE_KINDS})


def edition_diff(a: Edition, b: Edition) -> EditionDiff:
    """Each recommendation's grade in edition `a` and in edition `b`, grouped (2 queries).

    "Improved" means a higher score in `b` than in `a`. Both must be editions of one report.
    """
    if a.report_id != b.report_id:
        raise ValueError("Only editions of the same report can be compared.")
    recommendations = Recommendation.objects.filter(report_id=a.report_id).select_related(
        "area", "report"
    )
    frozen: dict[tuple[int, int], Evaluation] = {
        (entry.edition_id, entry.recommendation_id): entry.frozen_evaluation()
        for entry in EditionEntry.objects.filter(edition__in=[a.pk, b.pk]).select_related(
            "evaluation__grade"
        )
    }
    diff = EditionDiff(before=a, after=b)
    for recommendation in recommendations.order_by("position"):
        change = GradeChange(
            recommendation,
            frozen.get((a.pk, recommendation.pk)),
            frozen.get((b.pk, recommendation.pk)),
        )
        getattr(diff, change.kind).append(change)
    return diff
