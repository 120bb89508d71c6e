"""The data's state: when anything a response shows last changed, and a token for it.

Every page and API response is a function of the code, the URL, who asks, the language and
the data. ETags, Last-Modified and the response cache (scorecard/response_cache.py) stand for
"the data" with the `DataState` read here, once per request, in one query.

What moves the state:

- every model any response shows carries an indexed `updated_at` (`auto_now`): reports,
  areas, grade scales, grades, topics, evaluators, recommendations, links between them,
  evaluations, evidence, sources, editions and edition entries, and translations. Writes that bypass
  `save()` (`QuerySet.update`, `bulk_update`) set it themselves: the services'
  optimistic-locking UPDATEs and the import's batched writer do;
- deletions leave a row in the audit history (django-simple-history) of evaluations,
  evidence, recommendations (with their topics), sources and editions, so the latest
  `history_date` of those tables moves (translations too: deleted by an editor, or with
  the object they translate). The other models are never deleted by any path
  (reference data is read-only in the admin and the import deletes nothing); an edition's
  entries are only replaced in a draft, which touches the edition.

- the passing of days moves it where a due state changes (issue 17): a recommendation turns
  "due soon" and then "overdue" on a day no write happens. The state carries the latest
  such moment up to today (tracker.deadlines: the latest due date already passed, and the
  latest that is already within the "due soon" window), two more index look-ups; a day that
  changes nobody's due state changes nothing, so caches keep their 304s.

Drafts move the state too: a needless revalidation, never a stale answer. A state read
before a response is made can only be older than the data the response shows, never newer,
so a response stored under it is at worst served once more than needed, never stale.

The state a request read is also the key of what a process keeps of texts read all day (the
published translations, tracker.translations): `serving(request)` (a middleware, around each
request) lets such readers find it without a query of their own.
"""

import contextlib
import datetime
import hashlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tracker import deadlines

# Every model a response shows (the order is the token's; add new ones at the end).
SHOWN_MODELS = (
    "Evaluation",
    "EvidenceLink",
    "Recommendation",
    "Source",
    "Edition",
    "EditionEntry",
    "Report",
    "Area",
    "GradeScale",
    "Grade",
    "Topic",
    "Evaluator",
    "RecommendationLink",
    # Actors (issue 17): who a recommendation names moves with the recommendation's own
    # `updated_at`, which every path that changes its actors touches.
    "Actor",
    # Responses (issue 17): what the actor says, on the recommendation page, API, exports.
    "Response",
    "ResponseSource",
    # Translations (issue 15): the texts of the pages in another language.
    "Translation",
)
# Those whose deletions the audit history records.
HISTORIED_MODELS = (
    "Evaluation",
    "EvidenceLink",
    "Recommendation",
    "Source",
    "Edition",
    "Actor",
    "Response",
    "ResponseSource",
    "Translation",
)


@dataclass(frozen=True)
class DataState:
    """When the record last changed, and a token that changes whenever it does."""

    last_modified: datetime.datetime | None
    token: str
    # A token of the translations' own moments (their latest change and deletion): what is
    # kept of them stays good while it stays the same, whatever else is written.
    translations: str = ""


def _latest(model: type[Model], field_name: str) -> QuerySet:
    # The newest value by a backward step through the column's index. `MAX(col)` reads the
    # same index, but PostgreSQL plans each MAX twice (as an aggregate and as this), which
    # made planning the eighteen of them three times as long as running them. (The columns
    # are NOT NULL, so the first row is the MAX: PostgreSQL sorts NULLs first when DESC.)
    return model.objects.order_by(f"-{field_name}").values(field_name)[:1]


def _parts() -> list[QuerySet]:
    model = apps.get_model
    parts = [_latest(model("tracker", name), "updated_at") for name in SHOWN_MODELS]
    # (The registry, not `Model.history`, which builds a manager class on every access.)
    parts += [
        _latest(model("tracker", f"Historical{name}"), "history_date") for name in HISTORIED_MODELS
    ]
    return parts


# The query's SQL, compiled once per database: building and compiling a union of twenty-four
# parts costs more than running it. Plain SQL with parameters, so any pooler can carry it.
_SQL: dict[str, tuple[str, tuple]] = {}


def _sql(alias: str) -> tuple[str, tuple]:
    """One row of scalar subqueries, in the order of SHOWN_MODELS then HISTORIED_MODELS
    (each NULL while its table is empty), then the two due dates (`_due_parts`, whose two
    parameters, the day, come last and are not included)."""
    if alias not in _SQL:
        compiled = [part.query.get_compiler(alias).as_sql() for part in _parts()]
        due = [part.query.get_compiler(alias).as_sql()[0] for part in _due_parts()]
        sql = "SELECT " + ", ".join(
            f"({part_sql})" for part_sql in [*(c for c, _ in compiled), *due]
        )
        _SQL[alias] = (sql, tuple(param for _, params in compiled for param in params))
    return _SQL[alias]


def _due_parts() -> list[QuerySet]:
    # The latest due date already passed, and the latest already due soon: placeholders
    # for the day, given on each call (see `_due_params`).
    recommendations = apps.get_model("tracker", "Recommendation").objects
    day = datetime.date.min
    return [
        recommendations.filter(due_on__lt=day).order_by("-due_on").values("due_on")[:1],
        recommendations.filter(due_on__lte=day).order_by("-due_on").values("due_on")[:1],
    ]


def _due_params(alias: str, today: datetime.date) -> tuple:
    adapt = connections[alias].ops.adapt_datefield_value
    return (adapt(today), adapt(today + datetime.timedelta(days=deadlines.DUE_SOON_DAYS)))


def _due_moments(values: list) -> list[datetime.datetime | None]:
    """When, by the two due dates read, a due state last changed."""
    passed, soon = (parse_date(v) if isinstance(v, str) else v for v in values)
    return [
        deadlines.overdue_since(passed) if passed else None,
        deadlines.soon_since(soon) if soon else None,
    ]


def _aware(value: datetime.datetime | str | None) -> datetime.datetime | None:
    """A moment read by raw SQL: SQLite returns text in UTC, PostgreSQL a datetime."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def data_state() -> DataState:
    """The state of everything any response shows, in one query of index look-ups."""
    alias = router.db_for_read(apps.get_model("tracker", "Evaluation"))
    sql, params = _sql(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params + _due_params(alias, deadlines.current_date()))
        row = list(cursor.fetchone())
    moments = [_aware(value) for value in row[:-2]] + _due_moments(row[-2:])
    known = [moment for moment in moments if moment is not None]
    return DataState(
        last_modified=max(known) if known else None,
        token=_token(moments),
        translations=_token([moments[i] for i in _TRANSLATION_MOMENTS]),
    )


def _token(moments: list[datetime.datetime | None]) -> str:
    joined = "|".join(moment.isoformat() if moment else "-" for moment in moments)
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


# Where the translations' moments are in the state's row.
_TRANSLATION_MOMENTS = (
    SHOWN_MODELS.index("Translation"),
    len(SHOWN_MODELS) + HISTORIED_MODELS.index("Translation"),
)


def state_for(request: HttpRequest) -> DataState:
    """The data's state for this request: read on first use, then the same for the rest of
    it (ETag, Last-Modified and the response cache's key must agree).

    Accepts a DRF Request too; the memo lives on the Django request underneath.
    """
    request = getattr(request, "_request", request)
    state = getattr(request, "_scorecard_data_state", None)
    if state is None:
        state = request._scorecard_data_state = data_state()
    return state


# The request being answered in this thread or task, set around it by `serving`.
_serving: ContextVar[HttpRequest | None] = ContextVar("serving", default=None)


@contextlib.contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    """While `request` is answered, `state_read_by_serving()` finds the state it read."""
    token = _serving.set(request)
    try:
        yield
    finally:
        _serving.reset(token)


def state_read_by_serving() -> DataState | None:
    """The data's state the request being answered has read (for its ETag and cache key),
    or None: outside a request, or before it read one (then nobody reads it for it)."""
    request = _serving.get()
    return getattr(request, "_scorecard_data_state", None) if request is not None else None


def usable_last_modified(state: DataState, now: datetime.datetime) -> datetime.datetime | None:
    """The state's last change, to the second, once that second is over.

    HTTP dates have whole seconds. A Last-Modified handed out during the second it names
    could validate a copy that a change later in that same second made stale, so it is only
    given once the second has passed (RFC 9110, 8.8.2.2: such a date would be weak).
    """
    changed = state.last_modified
    if changed is None:
        return None
    whole = changed.replace(microsecond=0)
    return whole if now >= whole + datetime.timedelta(seconds=1) else None
