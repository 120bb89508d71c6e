"""What the API sends: each resource's body, declared once (`scorecard.api.shape` says
what follows from a declaration: the body, what to fetch, the OpenAPI component).

The JSON export (`scorecard.exports`) builds its recommendations' areas, grades and
sources from these same declarations where it shows the same thing.
"""

from typing import Any, NamedTuple

from scorecard.api.shape import (
    Always,
    Choice,
    Date,
    DateTime,
    Integer,
    Nested,
    Shape,
    Slug,
    SlugList,
    Text,
)
from tracker.comparisons import CHANGE_KINDS
from tracker.models import (
    EVALUATOR_SNAPSHOT_FIELDS,
    Actor,
    Area,
    Edition,
    EditionEntry,
    Evaluation,
    Evaluator,
    EvaluatorKind,
    EvidenceLink,
    Grade,
    GradeScale,
    Recommendation,
    Report,
    SearchKind,
    Source,
    SourceKind,
    Stance,
    Status,
)

# (Docstrings on shapes become their components' descriptions in the schema.)

# --- Grades -----------------------------------------------------------------------------


class GradeSummaryShape(Shape):
    model = Grade
    slug = Slug("Unique within the grade scale.")
    label = Text()
    score = Integer("Orders the levels of the scale; higher is better.")
    colour = Text("#RRGGBB, for charts (always shown with the label).")


class GradeShape(GradeSummaryShape):
    description = Text("What this level means, so graders agree.")


class GradeScaleShape(Shape):
    model = GradeScale
    slug = Slug()
    name = Text()
    description = Text()
    grades = Nested(GradeShape, "The levels, best first.", many=True, order_by=("-score", "id"))


# --- Reports, areas -----------------------------------------------------------------------


class ReportShape(Shape):
    model = Report
    slug = Slug("The report's key in URLs and filters.")
    short_name = Text()
    title = Text()
    authors = Text()
    institution = Text()
    published_on = Date()
    url = Text("Where the report can be read; may be empty.")
    citation = Text()
    description = Text("Markdown.")
    grade_scale = Slug("Slug of the scale its recommendations use.", source="grade_scale.slug")
    recommendation_count = Integer()  # annotated by the view


class AreaShape(Shape):
    model = Area
    id = Integer()
    report = Slug(source="report.slug")
    slug = Slug("Unique within its report.")
    name = Text()
    position = Integer("Order within the report.")
    intro = Text("The area's introductory quote, verbatim.")


class AreaSummaryShape(Shape):
    model = Area
    slug = Slug()
    name = Text()


# --- Evaluators, sources, evidence --------------------------------------------------------


class EvaluatorSummaryShape(Shape):
    model = Evaluator
    slug = Slug()
    name = Text()


class EvaluatorShape(EvaluatorSummaryShape):
    kind = Choice(EvaluatorKind.choices)
    affiliation = Text()
    url = Text("May be empty.")


class SourceShape(Shape):
    model = Source
    key = Slug("A short stable name for the source.")
    title = Text()
    author = Text()
    publisher = Text()
    published_on = Date(nullable=True)
    url = Text("May be empty.")
    archived_url = Text("A copy in a web archive; may be empty.")
    kind = Choice(SourceKind.choices)
    citation = Text("The full citation, as printed.")


class SourceSummaryShape(Shape):
    model = Source
    key = Slug()
    title = Text()
    url = Text()


class EvidenceShape(Shape):
    model = EvidenceLink
    id = Integer()
    source = Nested(SourceShape)
    stance = Choice(Stance.choices)
    quote = Text("The passage relied on; may be empty.")
    page = Text("May be empty.")


# --- Evaluations --------------------------------------------------------------------------


class RecommendationRefShape(Shape):
    model = Recommendation
    id = Integer()
    report = Slug(source="report.slug")
    code = Text()
    title = Text()


class EvaluationShape(Shape):
    model = Evaluation
    id = Integer()
    recommendation = Nested(RecommendationRefShape)
    evaluator = Nested(EvaluatorSummaryShape)
    grade = Nested(GradeSummaryShape)
    wording = Text("The evaluator's own grade wording, verbatim.")
    narrative = Text("Why this grade, in Markdown.")
    as_of = Date("The date this judgment speaks for.")
    publication = Nested(
        SourceSummaryShape, "The publication it appeared in, if any.", nullable=True
    )
    status = Choice(Status.choices, "Always `published` for anonymous clients and partners.")
    published_at = DateTime(nullable=True)
    created_at = DateTime()
    updated_at = DateTime("The last change; the change feed is ordered by it (then by id).")
    version = Integer("Goes up by one with every change.")
    evidence = Nested(
        EvidenceShape, "The sources cited, in order.", many=True, order_by=("position", "id")
    )


class WithdrawnShape(Shape):
    """An evaluation withdrawn after publication, as the change feed shows it to the public:
    only that it is gone, never what it has become since."""

    model = Evaluation
    id = Integer()
    recommendation = Nested(RecommendationRefShape)
    status = Always("withdrawn")
    updated_at = DateTime("When it was withdrawn (or last changed).")


class EvaluationSummaryShape(Shape):
    model = Evaluation
    id = Integer()
    as_of = Date()
    evaluator = Nested(EvaluatorSummaryShape)
    wording = Text()
    narrative = Text("Markdown.")
    published_at = DateTime()


# --- Recommendations ----------------------------------------------------------------------


class RecommendationShape(Shape):
    # `current_evaluation` (with its grade and evaluator) is set by
    # `tracker.queries.attach_current_evaluations`: the current-grade rule lives there.
    model = Recommendation
    id = Integer()
    report = Slug(source="report.slug")
    area = Nested(AreaSummaryShape)
    code = Text("Unique within the report, e.g. SEC-2.")
    position = Integer("Order within the report.")
    title = Text("A short title, ours.")
    text = Text("The recommendation, verbatim.")
    actor = Choice(Actor.choices, "Who is asked to act.")
    topics = SlugList()
    current_grade = Nested(
        GradeSummaryShape,
        "The grade of its latest published evaluation (as of `as_of`, if given); "
        "null while it has none.",
        source="current_evaluation.grade",
        nullable=True,
    )
    current_grade_as_of = Date(
        "The date the current grade speaks for.", source="current_evaluation.as_of", nullable=True
    )
    current_evaluation = Nested(
        EvaluationSummaryShape,
        "The latest published evaluation, which gives that grade.",
        nullable=True,
    )


class Timeline(NamedTuple):
    recommendation: Recommendation
    evaluations: list[Evaluation]


class TimelineShape(Shape):
    recommendation = Nested(RecommendationRefShape)
    evaluations = Nested(
        EvaluationShape,
        "Every published evaluation, oldest first, with its evidence.",
        many=True,
    )


# --- Editions -----------------------------------------------------------------------------


class EditionShape(Shape):
    model = Edition
    slug = Slug()
    name = Text()
    description = Text()
    report = Slug(source="report.slug")
    as_of = Date("The date whose grades the edition froze.")
    status = Choice(Status.choices)
    published_at = DateTime(nullable=True)


class EvaluationRefShape(Shape):
    model = Evaluation
    id = Integer()
    as_of = Date()
    evaluator = Nested(EvaluatorSummaryShape)
    wording = Text()


class EditionEntryShape(Shape):
    model = EditionEntry
    # The evaluator as it was when the edition was frozen (the entry's copy of it).
    also_fetch = tuple(f"evaluator_{name}" for name in EVALUATOR_SNAPSHOT_FIELDS)
    recommendation = Nested(RecommendationRefShape)
    grade = Nested(GradeSummaryShape, source="evaluation.grade")
    evaluation = Nested(EvaluationRefShape, source="shown_evaluation", fetch_as="evaluation")


class EditionDetailShape(EditionShape):
    entries = Nested(
        EditionEntryShape,
        "Each graded recommendation's frozen grade, in report order.",
        many=True,
        order_by=("recommendation__position", "id"),
    )


class FrozenGradeShape(Shape):
    model = Evaluation
    grade = Nested(GradeSummaryShape)
    evaluation = Nested(EvaluationRefShape, source="*")


class GradeChangeShape(Shape):
    # Of `tracker.comparisons.GradeChange`.
    recommendation = Nested(RecommendationRefShape)
    change = Choice([(kind, kind) for kind in CHANGE_KINDS], source="kind")
    steps = Integer(
        "Steps up (positive) or down the scale; null unless graded in both.",
        source="delta",
        nullable=True,
    )
    before = Nested(FrozenGradeShape, "The grade in `before`; null if it had none.", nullable=True)
    after = Nested(FrozenGradeShape, "The grade in `after`; null if it had none.", nullable=True)


class ChangeCountsShape(Shape):
    # Of `tracker.comparisons.ChangeCounts`.
    improved = Integer()
    declined = Integer()
    unchanged = Integer()
    newly_graded = Integer()
    no_longer_graded = Integer()
    never_graded = Integer()


class EditionComparisonShape(Shape):
    # Of `tracker.comparisons.EditionDiff`.
    before = Nested(EditionShape)
    after = Nested(EditionShape)
    counts = Nested(ChangeCountsShape, "How many recommendations changed in each way.")
    changes = Nested(GradeChangeShape, "Every recommendation, in report order.", many=True)


# --- Search (tracker/search.py) ---------------------------------------------------------


class SearchResultShape(Shape):
    """One result of the search: a recommendation, an evaluation or a piece of evidence
    (a quote and its source), with the words searched for marked."""

    # Of `tracker.search.Hit`.
    kind = Choice(SearchKind.choices, "What was found.")
    id = Integer("The id of the recommendation, evaluation or evidence link.", source="object_id")
    recommendation = Nested(RecommendationRefShape, "The recommendation it is, or is about.")
    evaluation = Integer(
        "The evaluation it is or belongs to (see /evaluations/{id}/); null for a recommendation.",
        source="evaluation_id",
        nullable=True,
    )
    title = Text(
        "HTML: the title (a recommendation's code and title, an evaluation's grade wording, "
        "a source's title), escaped, with each matching word in `<mark>`.",
        source="title_html",
    )
    snippet = Text(
        "HTML: the text around the first match (verbatim text, narrative, or quote and "
        "source details), escaped, with each matching word in `<mark>`; `…` where text is "
        "left out.",
        source="snippet_html",
    )
    url = Text("The public page's path, with the evaluation's anchor.", source="url")


# Every resource the API answers with, for the tests that hold each to its component.
RESOURCES: tuple[type[Shape], ...] = (
    GradeSummaryShape,
    GradeShape,
    GradeScaleShape,
    ReportShape,
    AreaShape,
    AreaSummaryShape,
    EvaluatorSummaryShape,
    EvaluatorShape,
    SourceShape,
    SourceSummaryShape,
    EvidenceShape,
    RecommendationRefShape,
    EvaluationShape,
    WithdrawnShape,
    EvaluationSummaryShape,
    RecommendationShape,
    TimelineShape,
    EditionShape,
    EvaluationRefShape,
    EditionEntryShape,
    EditionDetailShape,
    FrozenGradeShape,
    GradeChangeShape,
    ChangeCountsShape,
    EditionComparisonShape,
    SearchResultShape,
)


def body(shape: type[Shape], instances: Any) -> list[dict[str, Any]]:
    """The bodies of many instances of one shape."""
    build = shape.build
    return [build(instance) for instance in instances]
