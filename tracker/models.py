"""The record: reports, their recommendations, and the graded evaluations of them.

Rules that must always hold live here, as database constraints where the database can
enforce them. Write operations that change several rows are in `tracker.services`; shared
read queries are in `tracker.queries`.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB.")


class Actor(models.TextChoices):
    UNITED_STATES = "united-states", "United States"
    JAPAN = "japan", "Japan"
    BOTH = "both", "United States and Japan"
    UNSPECIFIED = "unspecified", "Not specified"


class GradeScale(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Grade(models.Model):
    scale = models.ForeignKey(GradeScale, on_delete=models.PROTECT, related_name="grades")
    slug = models.SlugField()
    label = models.CharField(max_length=100)
    score = models.PositiveSmallIntegerField(help_text="Orders the levels; higher is better.")
    colour = models.CharField(max_length=7, validators=[hex_colour])
    description = models.TextField(blank=True)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["scale", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["scale", "slug"], name="grade_unique_slug_per_scale"),
            models.UniqueConstraint(fields=["scale", "score"], name="grade_unique_score_per_scale"),
        ]

    def __str__(self) -> str:
        return self.label


class Report(models.Model):
    slug = models.SlugField(unique=True)
    short_name = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    authors = models.CharField(max_length=300, blank=True)
    institution = models.CharField(max_length=300, blank=True)
    published_on = models.DateField()
    url = models.URLField(max_length=500, blank=True)
    citation = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    grade_scale = models.ForeignKey(GradeScale, on_delete=models.PROTECT, related_name="reports")
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["published_on", "slug"]

    def __str__(self) -> str:
        return self.short_name


class Area(models.Model):
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="areas")
    slug = models.SlugField()
    name = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField()
    intro = models.TextField(blank=True, help_text="The area's introductory quote, verbatim.")
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(fields=["report", "slug"], name="area_unique_slug_per_report"),
            models.UniqueConstraint(
                fields=["report", "position"], name="area_unique_position_per_report"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Recommendation(models.Model):
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="recommendations")
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="recommendations")
    code = models.CharField(
        max_length=20,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9]*-[0-9]+$", "Use a code like SEC-2.")],
    )
    position = models.PositiveIntegerField(help_text="Order within the report.")
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="The recommendation, verbatim.")
    actor = models.CharField(max_length=20, choices=Actor.choices, default=Actor.UNSPECIFIED)
    topics = models.ManyToManyField(Topic, blank=True, related_name="recommendations")
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords(m2m_fields=[topics])

    class Meta:
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "code"], name="recommendation_unique_code_per_report"
            ),
            models.CheckConstraint(
                condition=Q(actor__in=Actor.values), name="recommendation_actor_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def slug(self) -> str:
        """The URL part: the code in lower case (unique within the report, like the code)."""
        return self.code.lower()


class LinkKind(models.TextChoices):
    REITERATES = "reiterates", "reiterates"
    SUPERSEDES = "supersedes", "supersedes"
    RELATED = "related", "is related to"


class RecommendationLink(models.Model):
    """A typed link between recommendations, usually of different reports."""

    source = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    note = models.CharField(max_length=500, blank=True)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
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


class EvaluatorKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANIZATION = "organization", "Organization"


class Evaluator(models.Model):
    """Whose judgment an evaluation is, so several graders can be shown side by side."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=20, choices=EvaluatorKind.choices, default=EvaluatorKind.ORGANIZATION
    )
    affiliation = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SourceKind(models.TextChoices):
    REPORT = "report", "Report"
    ARTICLE = "article", "Article"
    NEWS = "news", "News"
    GOVERNMENT = "government", "Government document"
    BOOK = "book", "Book"
    DATASET = "dataset", "Dataset"
    OTHER = "other", "Other"


class Source(models.Model):
    key = models.SlugField(max_length=100, unique=True, help_text="A short stable name.")
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True)
    publisher = models.CharField(max_length=300, blank=True)
    published_on = models.DateField(null=True, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    archived_url = models.URLField(max_length=1000, blank=True)
    # The URL's identity (tracker.rules.source_url_key), kept with every save: one source
    # per page, held by the database even when two editors add it at the same moment.
    url_key = models.CharField(max_length=1000, blank=True, editable=False)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OTHER)
    citation = models.TextField(blank=True, help_text="The full citation, as printed.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["url"], name="source_url_idx"),
            # Every response reads the latest `updated_at` (tracker.freshness).
            models.Index(fields=["updated_at"], name="source_updated_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["url_key"], condition=~Q(url_key=""), name="source_unique_url"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Derived, not decided here: the rule is tracker.rules.source_url_key, which imports
        # this module (hence imported on use).
        from tracker.rules import source_url_key

        self.url_key = source_url_key(self.url)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "url" in update_fields:
            kwargs["update_fields"] = {*update_fields, "url_key"}
        super().save(*args, **kwargs)


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class EvaluationQuerySet(models.QuerySet):
    def published(self) -> "EvaluationQuerySet":
        return self.filter(status=Status.PUBLISHED)


class Evaluation(models.Model):
    """One judgment of one recommendation, as of one date."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="evaluations"
    )
    evaluator = models.ForeignKey(Evaluator, on_delete=models.PROTECT, related_name="evaluations")
    grade = models.ForeignKey(Grade, on_delete=models.PROTECT, related_name="evaluations")
    wording = models.CharField(
        max_length=500, blank=True, help_text="The evaluator's own grade wording, verbatim."
    )
    narrative = models.TextField(blank=True, help_text="Markdown.")
    as_of = models.DateField(help_text="The date this judgment speaks for.")
    publication = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_evaluations",
        help_text="The publication this evaluation appeared in, if any.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="evaluations",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every write, checked in the same UPDATE, so concurrent editors cannot
    # overwrite each other (see services.update_evaluation).
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    objects = EvaluationQuerySet.as_manager()

    class Meta:
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
        return f"{self.recommendation.code} as of {self.as_of}: {self.grade.label}"

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"
    CONTEXT = "context", "Context"


class EvidenceLink(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="evidence")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    stance = models.CharField(max_length=20, choices=Stance.choices, default=Stance.SUPPORTS)
    quote = models.TextField(blank=True, help_text="The passage relied on.")
    page = models.CharField(max_length=50, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["evaluation", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "source"], name="evidence_unique_source"),
            models.CheckConstraint(
                condition=Q(stance__in=Stance.values), name="evidence_stance_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} ({self.stance})"


class Edition(models.Model):
    """A named, dated snapshot of a report's published grades; frozen once published."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="editions")
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    as_of = models.DateField(help_text="The date whose grades the edition freezes.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Every response reads the latest change of every model it shows (tracker.freshness).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
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


class EditionEntryQuerySet(models.QuerySet):
    def snapshot_evaluators(self) -> int:
        """Copy each entry's evaluator as it is now onto the entry (one UPDATE).

        Called when entries are frozen: from then on the edition shows this copy, so renaming
        an evaluator later changes the live pages, never what an edition said.
        """
        evaluator = Evaluator.objects.filter(evaluations=models.OuterRef("evaluation_id"))
        return self.update(
            **{
                f"evaluator_{name}": models.Subquery(evaluator.values(name)[:1])
                for name in EVALUATOR_SNAPSHOT_FIELDS
            }
        )


class EditionEntry(models.Model):
    """The grade a recommendation had in an edition: the evaluation that was current, and
    its evaluator as it was when the edition was frozen."""

    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="entries")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.PROTECT, related_name="edition_entries"
    )
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, related_name="edition_entries"
    )
    evaluator_slug = models.SlugField(blank=True)
    evaluator_name = models.CharField(max_length=200, blank=True)
    evaluator_kind = models.CharField(max_length=20, choices=EvaluatorKind.choices, blank=True)
    evaluator_affiliation = models.CharField(max_length=200, blank=True)
    evaluator_url = models.URLField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = EditionEntryQuerySet.as_manager()

    class Meta:
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

    def frozen_evaluation(self) -> Evaluation:
        """The entry's evaluation as the edition shows it: with the evaluator it had when
        the edition was frozen (an unsaved copy), not the evaluator as it is now.

        Needs `evaluation` (with its grade) fetched; the evaluator need not be.
        """
        evaluation = self.evaluation
        if self.evaluator_slug:
            evaluation.evaluator = Evaluator(
                pk=evaluation.evaluator_id,
                **{name: getattr(self, f"evaluator_{name}") for name in EVALUATOR_SNAPSHOT_FIELDS},
            )
        return evaluation


# --- Search (tracker/search.py writes these; nothing else does) ------------------------------


class SearchKind(models.TextChoices):
    RECOMMENDATION = "recommendation", "Recommendation"
    EVALUATION = "evaluation", "Evaluation"
    EVIDENCE = "evidence", "Evidence"


class SearchDocument(models.Model):
    """What the search reads of one recommendation, evaluation or piece of evidence (with
    its source's title, author, publisher and citation): a copy kept in step by
    `tracker.search.index`, which every write service and the import call.

    On PostgreSQL the table also has a generated `search_vector` (tsvector, GIN-indexed)
    and a trigram index on the text; on SQLite an FTS5 table (trigram tokenizer) mirrors
    it (migration 0013). `published` says whether anyone who cannot see drafts may find it.
    """

    kind = models.CharField(max_length=20, choices=SearchKind.choices)
    object_id = models.BigIntegerField(help_text="The id of what it is the document of.")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    evidence = models.ForeignKey(
        EvidenceLink, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    published = models.BooleanField()
    title = models.TextField(blank=True)
    body = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_unique_object"),
            models.CheckConstraint(
                condition=Q(kind__in=SearchKind.values), name="search_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["recommendation", "published"], name="search_rec_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
