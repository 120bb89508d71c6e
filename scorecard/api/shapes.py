"""What the API sends: each resource's body, declared once (`scorecard.api.shape` says
what follows from a declaration: the body, what to fetch, the OpenAPI component).

The JSON export (`scorecard.exports`) builds its recommendations' areas, grades and
sources from these same declarations where it shows the same thing.
"""

from typing import Any, NamedTuple

from rest_framework import serializers

from scorecard.api.shape import (
    Always,
    Choice,
    Date,
    DateTime,
    Integer,
    Key,
    Nested,
    Shape,
    Slug,
    SlugList,
    Text,
    TranslationNoteShape,
    translated_bodies,
)
from scorecard.api.webhook_shapes import (
    WebhookDeliveryShape,
    WebhookEndpointShape,
    WebhookEndpointWithSecretShape,
)
from tracker.comparisons import CHANGE_KINDS
from tracker.models import (
    EVALUATOR_SNAPSHOT_FIELDS,
    GRADE_SNAPSHOT_FIELDS,
    RECOMMENDATION_SNAPSHOT_FIELDS,
    Actor,
    ActorKind,
    Area,
    Edition,
    EditionEntry,
    Evaluation,
    Evaluator,
    EvaluatorKind,
    EvidenceLink,
    Grade,
    GradeScale,
    Judgment,
    Recommendation,
    Report,
    ResponsePosition,
    ResponseSource,
    SearchKind,
    Source,
    SourceKind,
    Stance,
    Status,
)
from tracker.models import Response as ActorResponse

# (Docstrings on shapes become their components' descriptions in the schema.)

# --- Grades -----------------------------------------------------------------------------


class GradeSummaryShape(Shape):
    model = Grade
    translated = ("label",)
    slug = Slug("Unique within the grade scale.")
    label = Text()
    score = Integer("Orders the levels of the scale; higher is better.")
    colour = Text("#RRGGBB, for charts (always shown with the label).")


class GradeShape(GradeSummaryShape):
    translated = ("label", "description")
    description = Text("What this level means, for readers.")
    guidance = Text(
        "How graders choose this level (for example the wordings it is used for); may be empty."
    )


class GradeScaleShape(Shape):
    model = GradeScale
    translated = ("name", "description")
    slug = Slug()
    name = Text()
    description = Text()
    grades = Nested(GradeShape, "The levels, best first.", many=True, order_by=("-score", "id"))


# --- Reports, areas -----------------------------------------------------------------------


class ReportShape(Shape):
    model = Report
    translated = ("title", "description")
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
    # Annotated by tracker.deadlines.with_due_counts (issue 17), as the report page counts.
    overdue = Integer("Its recommendations overdue (see `due` on /recommendations/).")
    due_soon = Integer("Its recommendations due soon (see `due` on /recommendations/).")


class AreaShape(Shape):
    model = Area
    translated = ("name", "intro")
    id = Integer()
    report = Slug(source="report.slug")
    slug = Slug("Unique within its report.")
    name = Text()
    position = Integer("Order within the report.")
    intro = Text("The area's introductory quote, verbatim.")


class AreaSummaryShape(Shape):
    model = Area
    translated = ("name",)
    slug = Slug()
    name = Text()


# --- Actors (issue 17) ----------------------------------------------------------------------


class ActorSummaryShape(Shape):
    """Who a recommendation asks to act: a government or a body within one."""

    model = Actor
    slug = Slug("The actor's key in URLs and the `actor` filter.")
    name = Text()
    kind = Choice(ActorKind.choices)


class ActorShape(ActorSummaryShape):
    parent = Slug(
        "The slug of the government (or body) it is part of; null for a government.",
        source="parent.slug",
        nullable=True,
    )


class GradeCountShape(Shape):
    # Of `tracker.actor_records.GradeCount`.
    grade = Nested(GradeSummaryShape, "null: not yet graded.", nullable=True)
    count = Integer()


class YearCountShape(Shape):
    # Of `tracker.actor_records.YearCount`.
    year = Integer()
    addressed = Integer("Recommendations made by the end of the year.")
    graded = Integer("Of those, graded by then.")
    done = Integer("Of those, graded by then with a grade that counts as done.")


class ImplementationRateShape(Shape):
    """Of the recommendations addressed to the actor (or a body within it) at least `years`
    years ago, the share whose current grade counts as done."""

    years = Integer("N: how old a recommendation must be to count (the `years` parameter).")
    made_by = Date("Recommendations made on or before this date count.")
    addressed = Integer("How many count.")
    done = Integer("Of those, how many have a current grade that counts as done.")
    rate = Key(serializers.FloatField, "done / addressed, 0 to 1; null when none count.",
               nullable=True)  # fmt: skip


class ActorRecordShape(Shape):
    """An actor's record across every report: addressed to it or to a body within it."""

    actor = Nested(ActorShape)
    recommendation_count = Integer()
    distribution = Nested(GradeCountShape, "Current grades, best first; ungraded last.", many=True)
    over_the_years = Nested(
        YearCountShape, "How it stood at the end of each year.", many=True, source="years"
    )
    implementation = Nested(ImplementationRateShape)
    overdue = Integer("Its recommendations overdue (see `due` on /recommendations/).")
    due_soon = Integer("Its recommendations due soon.")


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
    translated = ("quote",)
    id = Integer()
    source = Nested(SourceShape)
    stance = Choice(Stance.choices)
    quote = Text("The passage relied on; may be empty.")
    page = Text("May be empty.")


# --- Evaluations --------------------------------------------------------------------------


class RecommendationRefShape(Shape):
    model = Recommendation
    translated = ("title",)
    id = Integer()
    report = Slug(source="report.slug")
    code = Text()
    title = Text()


class EvaluationShape(Shape):
    model = Evaluation
    translated = ("wording", "narrative")
    id = Integer()
    recommendation = Nested(RecommendationRefShape)
    evaluator = Nested(EvaluatorSummaryShape)
    grade = Nested(
        GradeSummaryShape,
        "The grade; null when the evaluator judged the recommendation not rateable.",
        nullable=True,
    )
    not_rateable_reason = Text(
        "Why the recommendation cannot be graded (too vague, no information); empty when graded."
    )
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
    translated = ("wording", "narrative")
    id = Integer()
    as_of = Date()
    evaluator = Nested(EvaluatorSummaryShape)
    not_rateable_reason = Text("Why it cannot be graded; empty when graded.")
    wording = Text()
    narrative = Text("Markdown.")
    published_at = DateTime()


# --- Recommendations ----------------------------------------------------------------------


class RecommendationShape(Shape):
    # `current_evaluation` (with its grade and evaluator) is set by
    # `tracker.queries.attach_current_evaluations`: the current-grade rule lives there.
    model = Recommendation
    translated = ("title", "text")
    id = Integer()
    report = Slug(source="report.slug")
    area = Nested(AreaSummaryShape)
    code = Text("Unique within the report, e.g. SEC-2.")
    position = Integer("Order within the report.")
    title = Text("A short title, ours.")
    text = Text("The recommendation, verbatim.")
    actors = Nested(
        ActorSummaryShape,
        "Who is asked to act, by name; empty when the report does not say.",
        many=True,
        order_by=("name", "id"),
    )
    topics = SlugList()
    due_on = Date("By when it is to be carried out; null when no date is on record.", nullable=True)
    due_set_by = Text(
        "Whose date it is: `report` (the report's own) or `editors`; empty without one."
    )
    due_state = Choice(
        [("overdue", "overdue"), ("soon", "soon")],
        "`overdue`: the date has passed and the current grade does not count as done; `soon`: "
        "due within 90 days and not done; null otherwise.",
        nullable=True,
    )
    current_grade = Nested(
        GradeSummaryShape,
        "The grade of its latest published evaluation (as of `as_of`, if given); "
        "null while it has none, or when that evaluation judged it not rateable.",
        source="current_evaluation.grade",
        nullable=True,
    )
    current_judgment = Choice(
        Judgment.choices,
        "`graded`, `not-rateable` (its latest published evaluation judged it cannot be "
        "graded) or `ungraded` (no published evaluation): the values of the `grade` filter.",
    )
    current_grade_as_of = Date(
        "The date the current grade speaks for.", source="current_evaluation.as_of", nullable=True
    )
    current_evaluation = Nested(
        EvaluationSummaryShape,
        "The latest published evaluation, which gives that grade.",
        nullable=True,
    )


# --- What the actor says (issue 17) ----------------------------------------------------------


class ResponseSourceShape(Shape):
    model = ResponseSource
    source = Nested(SourceShape)
    quote = Text("The passage, verbatim; may be empty.")
    page = Text("May be empty.")


class ResponseShape(Shape):
    """A responsible party's own statement about a recommendation: what it claims, beside
    (never instead of) the evaluators' grades."""

    model = ActorResponse
    id = Integer()
    recommendation = Nested(RecommendationRefShape)
    actor = Nested(ActorSummaryShape, "Who said it.")
    position = Choice(ResponsePosition.choices, "Where it says it stands.")
    statement = Text("What it says it did, in Markdown, verbatim.")
    said_on = Date("The date it said so.")
    status = Choice(Status.choices, "Always `published` for anonymous clients and partners.")
    published_at = DateTime(nullable=True)
    updated_at = DateTime()
    version = Integer("Goes up by one with every change.")
    sources = Nested(
        ResponseSourceShape, "Where it said so, in order.", many=True, order_by=("position", "id")
    )


class Timeline(NamedTuple):
    recommendation: Recommendation
    evaluations: list[Evaluation]
    responses: tuple[ActorResponse, ...] | list[ActorResponse] = ()


class TimelineShape(Shape):
    recommendation = Nested(RecommendationRefShape)
    evaluations = Nested(
        EvaluationShape,
        "Every published evaluation, oldest first, with its evidence.",
        many=True,
    )
    responses = Nested(
        ResponseShape,
        "What the actors say about it: every published response, oldest first, with its "
        "sources. Claims, set beside the evaluations, never grades.",
        many=True,
    )


# --- Editions -----------------------------------------------------------------------------


class EditionShape(Shape):
    model = Edition
    translated = ("name", "description")
    slug = Slug()
    name = Text()
    description = Text()
    report = Slug(source="report.slug")
    as_of = Date("The date whose grades the edition froze.")
    status = Choice(Status.choices)
    published_at = DateTime(nullable=True)


class EvaluationRefShape(Shape):
    model = Evaluation
    translated = ("wording",)
    id = Integer()
    as_of = Date()
    evaluator = Nested(EvaluatorSummaryShape)
    not_rateable_reason = Text("Why it cannot be graded; empty when graded.")
    wording = Text()


class EditionEntryShape(Shape):
    model = EditionEntry
    # The evaluator, grade and recommendation as they were when the edition was frozen (the
    # entry's copies of them).
    also_fetch = (
        *(f"evaluator_{name}" for name in EVALUATOR_SNAPSHOT_FIELDS),
        *(f"grade_{name}" for name in GRADE_SNAPSHOT_FIELDS),
        *(f"recommendation_{name}" for name in RECOMMENDATION_SNAPSHOT_FIELDS),
    )
    recommendation = Nested(
        RecommendationRefShape, source="shown_recommendation", fetch_as="recommendation"
    )
    grade = Nested(
        GradeSummaryShape,
        "Null when the frozen evaluation judged it not rateable.",
        source="shown_grade",
        fetch_as="evaluation.grade",
        nullable=True,
    )
    evaluation = Nested(EvaluationRefShape, source="shown_evaluation", fetch_as="evaluation")


class EditionDetailShape(EditionShape):
    entries = Nested(
        EditionEntryShape,
        "Each graded recommendation's frozen grade, in report order.",
        many=True,
        order_by=("recommendation__position", "id"),
    )
    responses = Nested(
        ResponseShape,
        "What the actors said, as the edition froze it: every response to the report's "
        "recommendations said by the edition's date and published before it, oldest first, "
        "with its sources. Claims beside the frozen grades, never grades.",
        many=True,
        source="frozen_responses",
    )


class FrozenGradeShape(Shape):
    model = Evaluation
    grade = Nested(GradeSummaryShape, "Null when judged not rateable.", nullable=True)
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

    # Of `tracker.search_hits.Hit`, which is in the answer's language already: the search
    # marks the words in the translation itself (its `translated` gives the notes).
    translated = ("title", "snippet")
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

    @classmethod
    def _body(cls, instance: Any) -> dict[str, Any]:
        body = super()._body(instance)
        if "translations" in body:  # an answer in another language than the originals'
            body["translations"] = {
                key: TranslationNoteShape.build(shown) for key, shown in instance.translated.items()
            }
        return body


# Every resource the API answers with, for the tests that hold each to its component.
RESOURCES: tuple[type[Shape], ...] = (
    ActorSummaryShape,
    ActorShape,
    GradeCountShape,
    YearCountShape,
    ImplementationRateShape,
    ActorRecordShape,
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
    WebhookEndpointShape,
    WebhookEndpointWithSecretShape,
    WebhookDeliveryShape,
    ResponseSourceShape,
    ResponseShape,
    SearchResultShape,
    TranslationNoteShape,
)


def body(shape: type[Shape], instances: Any) -> list[dict[str, Any]]:
    """The bodies of many instances of one shape (their translations read at one query)."""
    build = shape.build
    with translated_bodies():
        return [build(instance) for instance in instances]
