"""What a scorecard file holds, as plain data: the format's sections and keys, and the specs.

`parse` builds these from one file; `checks` and `evaluation_checks` compare them with each
other and the database; `write` turns them into rows; the export writes each section's keys
in the order given here. They are apart from the parsing so that every stage can name them
without depending on how a file is read.
"""

import datetime
from dataclasses import dataclass, field

from tracker.interchange.yamlread import Places, Where

FORMAT = 1

# Keys of each section, in the order the export writes them (docs/interchange-format.md).
TOP_KEYS = (
    "format",
    "report",
    "grade_scale",
    "topics",
    "actors",
    "areas",
    "recommendations",
    "links",
    "evaluators",
    "sources",
    "evaluations",
    "editions",
    "responses",  # what the actor says (tracker.interchange.responses)
)
REPORT_KEYS = (
    "slug",
    "short_name",
    "title",
    "authors",
    "institution",
    "published_on",
    "url",
    "citation",
    "description",
    "grade_scale",
    "translations",
)
SCALE_KEYS = ("slug", "name", "description", "grades", "translations")
GRADE_KEYS = (
    "slug",
    "label",
    "score",
    "colour",
    "description",
    "guidance",
    "counts_as_done",
    "translations",
)
TOPIC_KEYS = ("slug", "name")
AREA_KEYS = ("slug", "name", "intro", "translations")
# `actor`: the fixed choice of before actors were records (read, never written).
RECOMMENDATION_KEYS = (
    "code", "area", "title", "actors", "actor", "due_on", "due_set_by", "topics", "text",
    "translations",
)  # fmt: skip
ACTOR_KEYS = ("slug", "name", "kind", "parent")
LINK_KEYS = ("from", "to", "kind", "note")
EVALUATOR_KEYS = ("slug", "name", "kind", "affiliation", "url")
SOURCE_KEYS = (
    "key",
    "title",
    "author",
    "publisher",
    "published_on",
    "url",
    "archived_url",
    "kind",
    "citation",
)
EVALUATION_KEYS = (
    "recommendation",
    "evaluator",
    "as_of",
    "grade",
    "not_rateable_reason",
    "wording",
    "narrative",
    "publication",
    "status",
    "published_at",
    "evidence",
    "translations",
)
EVIDENCE_KEYS = ("source", "stance", "quote", "page", "translations")
EDITION_KEYS = (
    "slug",
    "name",
    "as_of",
    "status",
    "published_at",
    "description",
    "entries",
    "translations",
)
ENTRY_KEYS = ("recommendation", "evaluator", "as_of")


# Specs. `at` holds the place of each key, for problems found later; it never takes part
# in comparisons (two files describing the same source the same way are equal).


def noon_utc(day: datetime.date) -> datetime.datetime:
    """When a dated judgment without a recorded publication time is taken to be published."""
    return datetime.datetime(day.year, day.month, day.day, 12, tzinfo=datetime.UTC)


@dataclass
class GradeSpec:
    slug: str
    label: str
    score: int
    colour: str
    description: str
    # How graders choose the level; a file written before the key existed leaves it empty.
    guidance: str = ""
    counts_as_done: bool = False
    at: Places | None = field(default=None, compare=False, repr=False)
    # Its `translations:` (tracker.interchange.translations), in the file's order.
    translations: list = field(default_factory=list, compare=False, repr=False)


@dataclass
class ScaleSpec:
    slug: str
    name: str
    description: str
    grades: list[GradeSpec]
    at: Places | None = field(default=None, compare=False, repr=False)
    # Its `translations:` (tracker.interchange.translations), in the file's order.
    translations: list = field(default_factory=list, compare=False, repr=False)


@dataclass
class TopicSpec:
    slug: str
    name: str
    at: Places | None = field(default=None, compare=False, repr=False)


@dataclass
class ActorSpec:
    slug: str
    name: str
    kind: str
    parent: str | None  # an actor's slug
    at: Places | None = field(default=None, compare=False, repr=False)


@dataclass
class EvaluatorSpec:
    slug: str
    name: str
    kind: str
    affiliation: str
    url: str
    at: Places | None = field(default=None, compare=False, repr=False)


@dataclass
class SourceSpec:
    key: str
    title: str
    author: str
    publisher: str
    published_on: datetime.date | None
    url: str
    archived_url: str
    kind: str
    citation: str
    at: Places | None = field(default=None, compare=False, repr=False)


@dataclass
class ReportSpec:
    slug: str
    short_name: str
    title: str
    authors: str
    institution: str
    published_on: datetime.date
    url: str
    citation: str
    description: str
    grade_scale: str
    at: Places | None = field(default=None, compare=False, repr=False)
    # Its `translations:` (tracker.interchange.translations), in the file's order.
    translations: list = field(default_factory=list, compare=False, repr=False)


@dataclass
class AreaSpec:
    slug: str
    name: str
    intro: str
    position: int
    at: Places | None = field(default=None, compare=False, repr=False)
    # Its `translations:` (tracker.interchange.translations), in the file's order.
    translations: list = field(default_factory=list, compare=False, repr=False)


@dataclass
class RecommendationSpec:
    code: str
    area: str
    title: str
    actors: list[str]  # slugs (from `actors`, or what a legacy `actor` value names)
    topics: list[str]
    text: str
    position: int
    due_on: datetime.date | None = None
    due_set_by: str = ""
    at: Places | None = field(default=None, compare=False, repr=False)
    # Its `translations:` (tracker.interchange.translations), in the file's order.
    translations: list = field(default_factory=list, compare=False, repr=False)
    topic_at: list[Where] = field(default_factory=list, compare=False, repr=False)
    actor_at: list[Where] = field(default_factory=list, compare=False, repr=False)


@dataclass
class LinkSpec:
    source: str  # a code of this report
    target_report: str
    target_code: str
    kind: str
    note: str
    at: Places | None = field(default=None, compare=False, repr=False)


@dataclass
class EvidenceSpec:
    source: str
    stance: str
    quote: str
    page: str
    position: int
    at: Places | None = field(default=None, compare=False, repr=False)
    # Its `translations:` (tracker.interchange.translations), in the file's order.
    translations: list = field(default_factory=list, compare=False, repr=False)


@dataclass
class EvaluationSpec:
    recommendation: str
    evaluator: str
    as_of: datetime.date
    grade: str | None  # None: judged not rateable, with `not_rateable_reason`
    wording: str
    narrative: str
    publication: str | None
    status: str
    published_at: datetime.datetime | None
    evidence: list[EvidenceSpec]
    at: Places | None = field(default=None, compare=False, repr=False)
    # Its `translations:` (tracker.interchange.translations), in the file's order.
    translations: list = field(default_factory=list, compare=False, repr=False)
    not_rateable_reason: str = ""

    @property
    def key(self) -> tuple[str, str, datetime.date]:
        return (self.recommendation, self.evaluator, self.as_of)


@dataclass
class EntrySpec:
    recommendation: str
    evaluator: str
    as_of: datetime.date
    at: Places | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str, datetime.date]:
        return (self.recommendation, self.evaluator, self.as_of)


@dataclass
class EditionSpec:
    slug: str
    name: str
    as_of: datetime.date
    status: str
    published_at: datetime.datetime | None
    description: str
    entries: list[EntrySpec] | None  # None: freeze the current grades as of `as_of`
    at: Places | None = field(default=None, compare=False, repr=False)
    # Its `translations:` (tracker.interchange.translations), in the file's order.
    translations: list = field(default_factory=list, compare=False, repr=False)


@dataclass
class FileSpec:
    file: str
    report: ReportSpec | None = None
    grade_scale: ScaleSpec | None = None
    topics: list[TopicSpec] = field(default_factory=list)
    actors: list[ActorSpec] = field(default_factory=list)
    areas: list[AreaSpec] = field(default_factory=list)
    recommendations: list[RecommendationSpec] = field(default_factory=list)
    links: list[LinkSpec] = field(default_factory=list)
    evaluators: list[EvaluatorSpec] = field(default_factory=list)
    sources: list[SourceSpec] = field(default_factory=list)
    evaluations: list[EvaluationSpec] = field(default_factory=list)
    editions: list[EditionSpec] = field(default_factory=list)
    responses: list = field(default_factory=list)  # of tracker.interchange.responses
    # Named in the file but unreadable (their problems are reported already): references to
    # them are not reported again as references to nothing.
    unreadable: set = field(default_factory=set)
