"""Full-text search across every report: recommendations, evaluations, and evidence with
its source. One document per thing found (`SearchDocument`), written only by `index`,
which every write service and the import call; `rebuild` writes them all again. The hits
as readers and the API see them (titles, snippets, translations): tracker/search_hits.py.

What matches (one meaning on every engine, and the `q` filter's meaning of a word): a
document matches when every word of the query appears in it, in any case, each word
anywhere in its title or its body or in their published translations (issue 15), also
inside longer words (`defen` finds `defense`, `防衛` finds `日本の防衛政策` and the
recommendation whose Japanese title is `ミサイル防衛協力の拡大`). Draft translations are
not in the documents: they match for no one. The engines only find it faster:

- PostgreSQL: `ILIKE` on the text, answered from a pg_trgm GIN index; ranked with
  `ts_rank` over the generated, GIN-indexed `search_vector` (prefix terms);
- SQLite: an FTS5 table with the trigram tokenizer, for words of three characters or
  more (shorter words are looked for with LIKE); ranked with `bm25` (title ×10).

Order: documents with every word in their title first (a recommendation's code and
title, an evaluation's grade wording, a source's title, or a translation of the title);
within each, recommendations
before evaluations before evidence; then by the engine's rank; then in report order.
"""

import itertools
import re
from collections.abc import Iterable, Iterator

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    FloatField,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL

from tracker import queries, translations
from tracker.filters import RecommendationFilters, check_known
from tracker.models import (
    Evaluation,
    EvidenceLink,
    Recommendation,
    SearchDocument,
    SearchKind,
    Status,
    Translation,
)
from tracker.search_hits import (  # noqa: F401 -- highlight and snippet: the search's API
    Hit,
    evidence_body,
    highlight,
    hit,
    snippet,
)
from tracker.translation_models import original_language, translation_languages

FTS_TABLE = "tracker_searchdocument_fts"
TABLE = SearchDocument._meta.db_table
BATCH = 2000
TRIGRAM = 3  # characters: FTS5's trigram index finds words at least this long

Q_DESCRIPTION = (
    "Words, separated by spaces (required): a result matches when every word appears, in "
    "any case, in its title or its text, each word also inside longer words (`defen` "
    "matches `defense`; text without spaces between words, such as Japanese, is found by "
    "any part of it). Searched: recommendations (code, title, verbatim text), evaluations "
    "(grade wording, narrative) and evidence (quote, and the source's title, author, "
    "publisher and citation), and the published translations of those titles, texts, "
    "wordings, narratives and quotes (`防衛` finds the recommendations whose Japanese "
    "title or text has it); draft translations are not searched. At most 200 characters."
)


# --- Writing the documents ------------------------------------------------------------------


# A document's columns, in the order `document_rows` gives them (and COPY writes them).
COLUMNS = (
    "kind",
    "object_id",
    "report_id",
    "recommendation_id",
    "evaluation_id",
    "evidence_id",
    "published",
    "title",
    "body",
    "translated_title",
    "translated_body",
)

# The translated fields whose published translations a document of each kind holds: in
# its title, in its body (the migration 0018 fills existing documents the same way).
TITLE_TRANSLATED = {"recommendation": ("title",), "evaluation": ("wording",), "evidencelink": ()}
BODY_TRANSLATED = {
    "recommendation": ("text",),
    "evaluation": ("narrative",),
    "evidencelink": ("quote",),
}


def _translations(model_name: str) -> dict[str, Subquery]:
    """The published translations of a model's texts a document holds, as annotations
    (`translated_<field>_<language>`) of a queryset of that model: read in the same query."""
    annotations = {}
    # By content type id, not a join on its name: then each row's translations are found
    # in the (content type, object) index. Joined by name, PostgreSQL read the translations
    # over for every row: 80 s for the 70,000 documents of 10,000 recommendations.
    content_type = ContentType.objects.get_by_natural_key("tracker", model_name)
    for field in TITLE_TRANSLATED[model_name] + BODY_TRANSLATED[model_name]:
        for language in translation_languages():
            annotations[f"translated_{field}_{language}"] = Subquery(
                Translation.objects.published()
                .filter(
                    content_type_id=content_type.pk,
                    object_id=OuterRef("pk"),
                    field=field,
                    language=language,
                )
                .order_by()
                .values("text")[:1]
            )
    return annotations


def _translated(row: dict, model_name: str) -> tuple[str, str]:
    """A document's translated title and body: one line per translation, by language."""

    def joined(fields: tuple[str, ...]) -> str:
        texts = (
            row[f"translated_{field}_{language}"]
            for language in translation_languages()
            for field in fields
        )
        return "\n".join(text for text in texts if text)

    return joined(TITLE_TRANSLATED[model_name]), joined(BODY_TRANSLATED[model_name])


def document_rows(recommendations: Q, evaluations: Q, evidence: Q) -> Iterator[tuple]:
    """The documents of the recommendations, evaluations and evidence links chosen, as
    rows of COLUMNS: what a document holds is said here alone, for `index` and
    `search_bulk.index_bulk` alike."""
    for row in (
        Recommendation.objects.filter(recommendations)
        .order_by("pk")
        .values("pk", "report_id", "code", "title", "text", **_translations("recommendation"))
        .iterator(chunk_size=BATCH)
    ):
        yield (
            SearchKind.RECOMMENDATION.value,
            row["pk"],
            row["report_id"],
            row["pk"],
            None,
            None,
            True,
            f"{row['code']} {row['title']}",
            row["text"],
            *_translated(row, "recommendation"),
        )
    for row in (
        Evaluation.objects.filter(evaluations)
        .order_by("pk")
        .values(
            "pk",
            "recommendation_id",
            "recommendation__report_id",
            "status",
            "wording",
            "narrative",
            **_translations("evaluation"),
        )
        .iterator(chunk_size=BATCH)
    ):
        yield (
            SearchKind.EVALUATION.value,
            row["pk"],
            row["recommendation__report_id"],
            row["recommendation_id"],
            row["pk"],
            None,
            row["status"] == Status.PUBLISHED,
            row["wording"],
            row["narrative"],
            *_translated(row, "evaluation"),
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
            **_translations("evidencelink"),
        )
        .iterator(chunk_size=BATCH)
    ):
        yield (
            SearchKind.EVIDENCE.value,
            row["pk"],
            row["evaluation__recommendation__report_id"],
            row["evaluation__recommendation_id"],
            row["evaluation_id"],
            row["pk"],
            row["evaluation__status"] == Status.PUBLISHED,
            row["source__title"],
            evidence_body(row),
            *_translated(row, "evidencelink"),
        )


def _documents(recommendations: Q, evaluations: Q, evidence: Q) -> Iterator[SearchDocument]:
    """The documents of the recommendations, evaluations and evidence links chosen."""
    for row in document_rows(recommendations, evaluations, evidence):
        yield SearchDocument(**dict(zip(COLUMNS, row, strict=True)))


def batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# The SQL of the FTS5 table's upkeep and of the matching, fixed: only values are parameters.
_FTS_DELETE_ALL = f"DELETE FROM {FTS_TABLE}"  # noqa: S608 -- fixed names, values are parameters
_FTS_DELETE = f"DELETE FROM {FTS_TABLE} WHERE rowid IN "  # noqa: S608 -- fixed names, values are parameters
_FTS_COLUMNS = "rowid, title, body, translated_title, translated_body"
_FTS_INSERT = f"INSERT INTO {FTS_TABLE} ({_FTS_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608 -- fixed names, values are parameters
_TEXT = (
    f'("{TABLE}"."title" || \' \' || "{TABLE}"."body" || \' \' || "{TABLE}"."translated_title"'
    f' || \' \' || "{TABLE}"."translated_body")'
)
_PG_LIKE = f"{_TEXT} ILIKE %s"
_PG_RANK = f'ts_rank("{TABLE}"."search_vector", to_tsquery(\'simple\', %s))'
_SQLITE_LIKE = f"{_TEXT} LIKE %s ESCAPE '\\'"
_FTS_JOIN = f'{FTS_TABLE}.rowid = "{TABLE}"."id"'
_FTS_SCORE = f"-bm25({FTS_TABLE}, 10.0, 1.0, 10.0, 1.0)"
PG_ANALYZE = f'ANALYZE "{TABLE}"'


def _fts_delete(cursor, ids: list[int]) -> None:
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        cursor.execute(_FTS_DELETE + "(" + ",".join("%s" for _ in chunk) + ")", chunk)


def write_documents(
    stale: QuerySet[SearchDocument] | None, fresh: Iterable[SearchDocument]
) -> None:
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
        for batch in batches(fresh):
            SearchDocument.objects.bulk_create(batch)
            if fts:
                ids = [document.pk for document in batch]
                # A row left by a table emptied without us (a test's flush) under a reused id.
                _fts_delete(cursor, ids)
                cursor.executemany(
                    _FTS_INSERT,
                    [
                        (
                            document.pk,
                            document.title,
                            document.body,
                            document.translated_title,
                            document.translated_body,
                        )
                        for document in batch
                    ],
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
    write_documents(stale, fresh)


def index_translation_of(target: Model) -> None:
    """Write again the documents holding `target`'s texts after one of its translations
    was saved, published or deleted (tracker/services/translations.py), inside that
    write's transaction: a recommendation's; an evaluation's with its evidence; an
    evidence link's evaluation's (so its own). Other texts are not searched."""
    if isinstance(target, Recommendation):
        index(recommendations=[target.pk])
    elif isinstance(target, Evaluation):
        index(evaluations=[target.pk])
    elif isinstance(target, EvidenceLink):
        index(evaluations=[target.evaluation_id])


def rebuild() -> int:
    """Write every document again (the `rebuild_search_index` command); how many."""
    every = Q(pk__isnull=False)
    write_documents(None, _documents(every, every, every))
    if connection.vendor == "postgresql":
        # The table was replaced whole: the planner learns its new size now, not when
        # autovacuum next passes (a plan for an empty table scans a large one badly).
        with connection.cursor() as cursor:
            cursor.execute(PG_ANALYZE)
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
        documents = documents.filter(
            Q(title__icontains=word)
            | Q(body__icontains=word)
            | Q(translated_title__icontains=word)
            | Q(translated_body__icontains=word)
        )
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
        in_title &= Q(title__icontains=word) | Q(translated_title__icontains=word)
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


def page(
    filters: RecommendationFilters,
    *,
    drafts_visible: bool,
    limit: int,
    offset: int,
    also: Iterable[Model] = (),
) -> tuple[int, list[Hit]]:
    """How many documents match, and the hits from `offset` on (at most `limit`), in the
    active language (`tracker.search_hits.hit`).

    On PostgreSQL one query: the count is taken in the same pass over the matches as the
    page (a second query when the page is empty, to count). Elsewhere two, the count and
    the page (SQLite's FTS5 cannot rank under a window function). In another language
    than the originals', one more: the published translations of what the page shows
    (`tracker.translations.attach`), and of `also` (the page's other objects). Then, only
    when nothing matched, one more to name a filter that names nothing (InvalidFilters)."""
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
    language = translations.language_of_page()
    if language != original_language():
        translations.attach(
            itertools.chain(
                also,
                (
                    shown
                    for document in documents
                    for shown in (
                        document.recommendation,
                        document.recommendation.report,
                        document.evaluation,
                        document.evidence,
                    )
                ),
            ),
            language,
        )
    return count, [hit(document, filters.words, language) for document in documents]
