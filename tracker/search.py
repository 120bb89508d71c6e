"""Full-text search across every report: recommendations, evaluations, and evidence with
its source. One document per thing found (`SearchDocument`), written only by `index`,
which every write service and the import call; `rebuild` writes them all again.

What matches (one meaning on every engine, and the `q` filter's meaning of a word): a
document matches when every word of the query appears in it, in any case, each word
anywhere in its title or its body, also inside longer words (`defen` finds `defense`,
`防衛` finds `日本の防衛政策`). The engines only find it faster:

- PostgreSQL: `ILIKE` on the text, answered from a pg_trgm GIN index; ranked with
  `ts_rank` over the generated, GIN-indexed `search_vector` (prefix terms);
- SQLite: an FTS5 table with the trigram tokenizer, for words of three characters or
  more (shorter words are looked for with LIKE); ranked with `bm25` (title ×10).

Order: documents with every word in their title first (a recommendation's code and
title, an evaluation's grade wording, a source's title); within each, recommendations
before evaluations before evidence; then by the engine's rank; then in report order.
"""

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.urls import reverse

from tracker import queries
from tracker.filters import RecommendationFilters, check_known
from tracker.models import (
    Evaluation,
    EvidenceLink,
    Recommendation,
    SearchDocument,
    SearchKind,
    Status,
)

FTS_TABLE = "tracker_searchdocument_fts"
TABLE = SearchDocument._meta.db_table
BATCH = 2000
TRIGRAM = 3  # characters: FTS5's trigram index finds words at least this long
SNIPPET_LENGTH = 200  # characters of a body shown around its first match

Q_DESCRIPTION = (
    "Words, separated by spaces (required): a result matches when every word appears, in "
    "any case, in its title or its text, each word also inside longer words (`defen` "
    "matches `defense`; text without spaces between words, such as Japanese, is found by "
    "any part of it). Searched: recommendations (code, title, verbatim text), evaluations "
    "(grade wording, narrative) and evidence (quote, and the source's title, author, "
    "publisher and citation). At most 200 characters."
)


# --- Writing the documents ------------------------------------------------------------------


def _evidence_body(row: dict) -> str:
    parts = (
        row["quote"],
        row["source__author"],
        row["source__publisher"],
        row["source__citation"],
        row["page"],
    )
    return "\n".join(part for part in parts if part)


def _documents(recommendations: Q, evaluations: Q, evidence: Q) -> Iterator[SearchDocument]:
    """The documents of the recommendations, evaluations and evidence links chosen."""
    for row in (
        Recommendation.objects.filter(recommendations)
        .order_by("pk")
        .values("pk", "report_id", "code", "title", "text")
        .iterator(chunk_size=BATCH)
    ):
        yield SearchDocument(
            kind=SearchKind.RECOMMENDATION,
            object_id=row["pk"],
            report_id=row["report_id"],
            recommendation_id=row["pk"],
            published=True,
            title=f"{row['code']} {row['title']}",
            body=row["text"],
        )
    for row in (
        Evaluation.objects.filter(evaluations)
        .order_by("pk")
        .values(
            "pk", "recommendation_id", "recommendation__report_id", "status", "wording", "narrative"
        )
        .iterator(chunk_size=BATCH)
    ):
        yield SearchDocument(
            kind=SearchKind.EVALUATION,
            object_id=row["pk"],
            report_id=row["recommendation__report_id"],
            recommendation_id=row["recommendation_id"],
            evaluation_id=row["pk"],
            published=row["status"] == Status.PUBLISHED,
            title=row["wording"],
            body=row["narrative"],
        )
    for row in (
        EvidenceLink.objects.filter(evidence)
        .order_by("pk")
        .values(
            "pk",
            "evaluation_id",
            "evaluation__status",
            "evaluation__recommendation_id",
            "evaluation__recommendation__report_id",
            "quote",
            "page",
            "source__title",
            "source__author",
            "source__publisher",
            "source__citation",
        )
        .iterator(chunk_size=BATCH)
    ):
        yield SearchDocument(
            kind=SearchKind.EVIDENCE,
            object_id=row["pk"],
            report_id=row["evaluation__recommendation__report_id"],
            recommendation_id=row["evaluation__recommendation_id"],
            evaluation_id=row["evaluation_id"],
            evidence_id=row["pk"],
            published=row["evaluation__status"] == Status.PUBLISHED,
            title=row["source__title"],
            body=_evidence_body(row),
        )


def _batches(documents: Iterable[SearchDocument]) -> Iterator[list[SearchDocument]]:
    batch: list[SearchDocument] = []
    for document in documents:
        batch.append(document)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# The SQL of the FTS5 table's upkeep and of the matching, fixed: only values are parameters.
_FTS_DELETE_ALL = f"DELETE FROM {FTS_TABLE}"  # noqa: S608 -- fixed names, values are parameters
_FTS_DELETE = f"DELETE FROM {FTS_TABLE} WHERE rowid IN "  # noqa: S608 -- fixed names, values are parameters
_FTS_INSERT = f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (%s, %s, %s)"  # noqa: S608 -- fixed names, values are parameters
_TEXT = f'("{TABLE}"."title" || \' \' || "{TABLE}"."body")'
_PG_LIKE = f"{_TEXT} ILIKE %s"
_PG_RANK = f'ts_rank("{TABLE}"."search_vector", to_tsquery(\'simple\', %s))'
_SQLITE_LIKE = f"{_TEXT} LIKE %s ESCAPE '\\'"
_FTS_JOIN = f'{FTS_TABLE}.rowid = "{TABLE}"."id"'
_FTS_SCORE = f"-bm25({FTS_TABLE}, 10.0, 1.0)"
_PG_ANALYZE = f'ANALYZE "{TABLE}"'


def _fts_delete(cursor, ids: list[int]) -> None:
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        cursor.execute(_FTS_DELETE + "(" + ",".join("%s" for _ in chunk) + ")", chunk)


def _write(stale: QuerySet[SearchDocument] | None, fresh: Iterable[SearchDocument]) -> None:
    """Replace the `stale` documents (None: all of them) with the `fresh` ones."""
    fts = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        if stale is None:
            SearchDocument.objects.all().delete()
            if fts:
                cursor.execute(_FTS_DELETE_ALL)
        else:
            ids = list(stale.values_list("pk", flat=True))
            SearchDocument.objects.filter(pk__in=ids).delete()
            if fts:
                _fts_delete(cursor, ids)
        for batch in _batches(fresh):
            SearchDocument.objects.bulk_create(batch)
            if fts:
                ids = [document.pk for document in batch]
                # A row left by a table emptied without us (a test's flush) under a reused id.
                _fts_delete(cursor, ids)
                cursor.executemany(
                    _FTS_INSERT,
                    [(document.pk, document.title, document.body) for document in batch],
                )


def index(
    *,
    recommendations: Iterable[int] = (),
    evaluations: Iterable[int] = (),
    sources: Iterable[int] = (),
    reports: Iterable[int] = (),
) -> None:
    """Write again the documents of what a write changed (ids): recommendations;
    evaluations, with their evidence; the evidence citing sources; everything of reports.
    Call it inside the write's transaction, after the write."""
    recommendations, evaluations = list(recommendations), list(evaluations)
    sources, reports = list(sources), list(reports)
    if not (recommendations or evaluations or sources or reports):
        return
    stale = SearchDocument.objects.filter(
        Q(kind=SearchKind.RECOMMENDATION, object_id__in=recommendations)
        | Q(kind__in=[SearchKind.EVALUATION, SearchKind.EVIDENCE], evaluation_id__in=evaluations)
        | Q(kind=SearchKind.EVIDENCE, evidence__source_id__in=sources)
        | Q(report_id__in=reports)
    )
    fresh = _documents(
        Q(pk__in=recommendations) | Q(report_id__in=reports),
        Q(pk__in=evaluations) | Q(recommendation__report_id__in=reports),
        Q(evaluation_id__in=evaluations)
        | Q(source_id__in=sources)
        | Q(evaluation__recommendation__report_id__in=reports),
    )
    _write(stale, fresh)


def rebuild() -> int:
    """Write every document again (the `rebuild_search_index` command); how many."""
    every = Q(pk__isnull=False)
    _write(None, _documents(every, every, every))
    if connection.vendor == "postgresql":
        # The table was replaced whole: the planner learns its new size now, not when
        # autovacuum next passes (a plan for an empty table scans a large one badly).
        with connection.cursor() as cursor:
            cursor.execute(_PG_ANALYZE)
    return SearchDocument.objects.count()


# --- Searching ------------------------------------------------------------------------------


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


_TSQUERY_TERM = re.compile(r"\w+")


def _matching(documents: QuerySet, words: tuple[str, ...]) -> QuerySet:
    """The documents with every word, and their engine's rank (`score`, higher first)."""
    vendor = connection.vendor
    if vendor == "postgresql":
        for word in words:
            documents = documents.filter(
                RawSQL(_PG_LIKE, [_like(word)], output_field=BooleanField())  # noqa: S611 -- fixed SQL, values are parameters
            )
        terms = [term for word in words for term in _TSQUERY_TERM.findall(word)]
        if not terms:
            return documents.annotate(score=Value(0.0, output_field=FloatField()))
        tsquery = " | ".join(f"'{term}':*" for term in terms)
        return documents.annotate(
            score=RawSQL(  # noqa: S611 -- fixed SQL, values are parameters
                _PG_RANK,
                [tsquery],
                output_field=FloatField(),
            )
        )
    if vendor == "sqlite":
        long_words = [word for word in words if len(word) >= TRIGRAM]
        for word in words:
            if len(word) < TRIGRAM:
                documents = documents.filter(
                    RawSQL(_SQLITE_LIKE, [_like(word)], output_field=BooleanField())  # noqa: S611 -- fixed SQL, values are parameters
                )
        if not long_words:
            return documents.annotate(score=Value(0.0, output_field=FloatField()))
        expression = " AND ".join('"{}"'.format(word.replace('"', '""')) for word in long_words)
        # Joined, not a subquery per row: one pass over the FTS5 index ranks every match.
        return documents.extra(  # noqa: S610 -- fixed SQL, the query is a parameter
            tables=[FTS_TABLE],
            where=[_FTS_JOIN, f"{FTS_TABLE} MATCH %s"],
            params=[expression],
            select={"score": _FTS_SCORE},
        )
    # Any other engine: the same meaning, by scanning.
    for word in words:
        documents = documents.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return documents.annotate(score=Value(0.0, output_field=FloatField()))


_KIND_ORDER = Case(
    When(kind=SearchKind.RECOMMENDATION, then=Value(0)),
    When(kind=SearchKind.EVALUATION, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def results(filters: RecommendationFilters, *, drafts_visible: bool) -> QuerySet[SearchDocument]:
    """The documents matching `filters.words`, among those of the recommendations the
    other filters keep, best first; drafts' only if `drafts_visible`."""
    documents = SearchDocument.objects.all()
    if not drafts_visible:
        documents = documents.filter(published=True)
    if filters.slugs or filters.due:
        kept = queries.with_current_grade(Recommendation.objects.all(), filters.as_of)
        documents = documents.filter(
            recommendation_id__in=kept.filter(filters.slug_condition()).values("pk")
        )
    documents = _matching(documents, filters.words)
    in_title = Q()
    for word in filters.words:
        in_title &= Q(title__icontains=word)
    tier = Case(When(in_title, then=Value(0)), default=Value(1), output_field=IntegerField())
    return documents.annotate(tier=tier, kind_order=_KIND_ORDER).order_by(
        "tier",
        "kind_order",
        "-score",
        "report__published_on",
        "report_id",
        "recommendation__position",
        "object_id",
    )


@dataclass
class Hit:
    """One result as readers and the API see it."""

    document: SearchDocument
    title_html: str
    snippet_html: str
    url: str

    @property
    def kind(self) -> str:
        return self.document.kind

    @property
    def object_id(self) -> int:
        return self.document.object_id

    @property
    def recommendation(self) -> Recommendation:
        return self.document.recommendation

    @property
    def evaluation_id(self) -> int | None:
        return self.document.evaluation_id

    @property
    def report_slug(self) -> str:
        return self.document.recommendation.report.slug

    @property
    def kind_label(self) -> str:
        return SearchKind(self.document.kind).label


def page(
    filters: RecommendationFilters, *, drafts_visible: bool, limit: int, offset: int
) -> tuple[int, list[Hit]]:
    """How many documents match, and the hits from `offset` on (at most `limit`).

    On PostgreSQL one query: the count is taken in the same pass over the matches as the
    page (a second query when the page is empty, to count). Elsewhere two, the count and
    the page (SQLite's FTS5 cannot rank under a window function). Then, only when nothing
    matched, one more to name a filter that names nothing (InvalidFilters)."""
    matching = results(filters, drafts_visible=drafts_visible)
    related = ("recommendation__report", "evaluation__evaluator", "evidence__source")
    if connection.vendor == "postgresql":
        documents = list(
            matching.annotate(matched=Window(Count("pk"))).select_related(*related)[
                offset : offset + limit
            ]
        )
        # An empty page: nothing matched, or the page is past the last match.
        past_the_end = not documents and offset
        count = documents[0].matched if documents else (matching.count() if past_the_end else 0)
    else:
        count = matching.count()
        documents = (
            list(matching.select_related(*related)[offset : offset + limit])
            if offset < count
            else []
        )
    if count == 0:
        check_known(filters)
    return count, [_hit(document, filters.words) for document in documents]


def _hit(document: SearchDocument, words: tuple[str, ...]) -> Hit:
    recommendation = document.recommendation
    url = reverse("recommendation", args=[recommendation.report.slug, recommendation.slug])
    if document.evaluation_id is not None:
        url += f"#evaluation-{document.evaluation_id}"
    return Hit(
        document=document,
        title_html=highlight(document.title or recommendation.code, words),
        snippet_html=snippet(document.body, words),
        url=url,
    )


# --- Snippets -------------------------------------------------------------------------------


def _pattern(words: Iterable[str]) -> re.Pattern | None:
    words = sorted({word for word in words if word}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


def highlight(text: str, words: Iterable[str]) -> str:
    """`text` as HTML: escaped, with each occurrence of a word in `<mark>`."""
    pattern = _pattern(words)
    if pattern is None:
        return html.escape(text)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(html.escape(text[last : match.start()]))
        pieces.append(f"<mark>{html.escape(match.group())}</mark>")
        last = match.end()
    pieces.append(html.escape(text[last:]))
    return "".join(pieces)


def snippet(text: str, words: Iterable[str], length: int = SNIPPET_LENGTH) -> str:
    """Up to `length` characters of `text` around its first match, as highlighted HTML,
    with "…" where text is left out."""
    text = " ".join(text.split())
    pattern = _pattern(words)
    found = pattern.search(text) if pattern is not None else None
    start = 0
    if found is not None and found.start() > length // 3:
        start = found.start() - length // 3
        space = text.find(" ", start, found.start())
        start = space + 1 if space != -1 else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    shown = highlight(text[start:end], words)
    return ("…" if start > 0 else "") + shown + ("…" if end < len(text) else "")
