"""Every write rule, in one place: the services, the import, the admin and the API ask here.

- **The matrix**: which role may do which operation to an object in which state. Roles come
  from `tracker.roles`; the operator (`user=None`: the shell, management commands) may do
  all a publisher may, and what only the scorecard files do (add recommendations, keep
  draft editions). States: `new` (not saved yet), `draft`, `published`, `frozen` (relied on
  by a published edition). A refusal is a `Refusal` with a sentence a person can read; it
  is about *who* (`PermissionDenied`, HTTP 403) or about *the object* (`ValidationError`
  keyed by field, HTTP 400), whoever asks.
- **What an edition freezes**: its evaluations whole; of their recommendations all but the
  topics; of the sources they cite all but the archived URL.
- **What publishing requires**: a narrative and at least one piece of evidence, kept while
  published; and a judgment: a grade, or the reason the recommendation is not rateable
  (exactly one, held by the database too).
- **The date bounds of an evaluation**: from its report's publication to today.
- **The URL identity of sources**: one source per normalised URL (`source_url_key`), held
  by a unique constraint on `Source.url_key`.
"""

import datetime
import enum
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Model, Q
from django.utils import timezone

from tracker import roles
from tracker.models import (
    Actor as ResponsibleActor,
)
from tracker.models import (
    Edition,
    EditionEntry,
    Evaluation,
    Evaluator,
    Grade,
    Recommendation,
    Report,
    Response,
    ResponsePosition,
    Source,
    Status,
)

Someone = User | AnonymousUser | None  # None: the operator (shell, management commands)


class Role(enum.IntEnum):
    """Who is acting, in order of what they may do: each may all that those below may."""

    ANONYMOUS = 0
    PARTNER = 1
    EDITOR = 2
    PUBLISHER = 3
    OPERATOR = 4

    @property
    def label(self) -> str:
        return self.name.lower()


def role_of(user: Someone) -> Role:
    if user is None:
        return Role.OPERATOR
    if roles.is_publisher(user):
        return Role.PUBLISHER
    if roles.is_editor(user):
        return Role.EDITOR
    if roles.is_partner(user):
        return Role.PARTNER
    return Role.ANONYMOUS


class State(enum.StrEnum):
    NEW = "new"
    DRAFT = "draft"
    PUBLISHED = "published"
    FROZEN = "frozen"


class Operation(enum.StrEnum):
    VIEW_EVALUATION = "view evaluation"
    CREATE_EVALUATION = "create evaluation"
    CHANGE_EVALUATION = "change evaluation"
    CITE_EVIDENCE = "cite evidence"
    CHANGE_EVIDENCE = "change evidence"
    REMOVE_EVIDENCE = "remove evidence"
    PUBLISH_EVALUATION = "publish evaluation"
    WITHDRAW_EVALUATION = "withdraw evaluation"
    DELETE_EVALUATION = "delete evaluation"
    CREATE_SOURCE = "create source"
    CHANGE_SOURCE = "change source"
    DELETE_SOURCE = "delete source"
    SAVE_EVALUATOR = "save evaluator"
    CREATE_RECOMMENDATION = "create recommendation"
    CHANGE_RECOMMENDATION = "change recommendation"
    DELETE_RECOMMENDATION = "delete recommendation"
    FREEZE_EDITION = "freeze edition"
    CHANGE_EDITION = "change edition"
    DELETE_EDITION = "delete edition"
    IMPORT_SCORECARD = "import scorecard"
    SAVE_ACTOR = "save actor"
    DELETE_ACTOR = "delete actor"
    # Responses (what the actor says): records like evaluations, never a grade.
    VIEW_RESPONSE = "view response"
    CREATE_RESPONSE = "create response"
    CHANGE_RESPONSE = "change response"
    PUBLISH_RESPONSE = "publish response"
    WITHDRAW_RESPONSE = "withdraw response"
    DELETE_RESPONSE = "delete response"


Op = Operation
S = State
ANYONE, EDITORS, PUBLISHERS, OPERATOR = Role.ANONYMOUS, Role.EDITOR, Role.PUBLISHER, Role.OPERATOR
NOBODY = None

# The matrix: for each operation and state of the object, the least role that may do it
# (NOBODY: no one, whoever they are). A state missing from an operation's row cannot occur.
MATRIX: dict[Operation, dict[State, Role | None]] = {
    Op.VIEW_EVALUATION: {S.DRAFT: EDITORS, S.PUBLISHED: ANYONE, S.FROZEN: ANYONE},
    Op.CREATE_EVALUATION: {S.NEW: EDITORS},
    Op.CHANGE_EVALUATION: {S.DRAFT: EDITORS, S.PUBLISHED: PUBLISHERS, S.FROZEN: NOBODY},
    Op.CITE_EVIDENCE: {S.DRAFT: EDITORS, S.PUBLISHED: PUBLISHERS, S.FROZEN: NOBODY},
    Op.CHANGE_EVIDENCE: {S.DRAFT: EDITORS, S.PUBLISHED: PUBLISHERS, S.FROZEN: NOBODY},
    Op.REMOVE_EVIDENCE: {S.DRAFT: EDITORS, S.PUBLISHED: PUBLISHERS, S.FROZEN: NOBODY},
    Op.PUBLISH_EVALUATION: {S.DRAFT: PUBLISHERS, S.PUBLISHED: NOBODY, S.FROZEN: NOBODY},
    Op.WITHDRAW_EVALUATION: {S.DRAFT: NOBODY, S.PUBLISHED: PUBLISHERS, S.FROZEN: NOBODY},
    Op.DELETE_EVALUATION: {S.DRAFT: EDITORS, S.PUBLISHED: NOBODY, S.FROZEN: NOBODY},
    # Sources and recommendations are public from the start: "published" or "frozen".
    # A frozen one may still change in the fields an edition does not freeze.
    Op.CREATE_SOURCE: {S.NEW: EDITORS},
    Op.CHANGE_SOURCE: {S.PUBLISHED: EDITORS, S.FROZEN: EDITORS},
    Op.DELETE_SOURCE: {S.PUBLISHED: PUBLISHERS, S.FROZEN: NOBODY},
    Op.SAVE_EVALUATOR: {S.NEW: EDITORS, S.PUBLISHED: EDITORS},
    Op.CREATE_RECOMMENDATION: {S.NEW: OPERATOR},
    Op.CHANGE_RECOMMENDATION: {S.PUBLISHED: EDITORS, S.FROZEN: EDITORS},
    Op.DELETE_RECOMMENDATION: {S.PUBLISHED: OPERATOR, S.FROZEN: NOBODY},
    Op.FREEZE_EDITION: {S.NEW: PUBLISHERS},
    Op.CHANGE_EDITION: {S.DRAFT: OPERATOR, S.PUBLISHED: NOBODY},
    Op.DELETE_EDITION: {S.DRAFT: PUBLISHERS, S.PUBLISHED: NOBODY},
    # An import publishes evaluations and freezes editions, as its files say.
    Op.IMPORT_SCORECARD: {S.NEW: PUBLISHERS},
    # Actors (issue 17) are reference data like evaluators: editors add and correct them;
    # a publisher deletes one that no recommendation names (the database refuses the rest).
    Op.SAVE_ACTOR: {S.NEW: EDITORS, S.PUBLISHED: EDITORS},
    Op.DELETE_ACTOR: {S.PUBLISHED: PUBLISHERS},
    # Responses follow the evaluations' rows: drafts for editors, publication for publishers,
    # frozen once a published edition relies on them (RESPONSE_FREEZES).
    Op.VIEW_RESPONSE: {S.DRAFT: EDITORS, S.PUBLISHED: ANYONE, S.FROZEN: ANYONE},
    Op.CREATE_RESPONSE: {S.NEW: EDITORS},
    Op.CHANGE_RESPONSE: {S.DRAFT: EDITORS, S.PUBLISHED: PUBLISHERS, S.FROZEN: NOBODY},
    Op.PUBLISH_RESPONSE: {S.DRAFT: PUBLISHERS, S.PUBLISHED: NOBODY, S.FROZEN: NOBODY},
    Op.WITHDRAW_RESPONSE: {S.DRAFT: NOBODY, S.PUBLISHED: PUBLISHERS, S.FROZEN: NOBODY},
    Op.DELETE_RESPONSE: {S.DRAFT: EDITORS, S.PUBLISHED: NOBODY, S.FROZEN: NOBODY},
}

# Why a role below the one the matrix asks for is refused.
_ONLY_EDITORS = "Only editors and publishers can change evaluations."
ROLE_REASONS: dict[Operation, str] = {
    Op.VIEW_EVALUATION: "Drafts are seen by editors and publishers only.",
    Op.CREATE_EVALUATION: _ONLY_EDITORS,
    Op.CHANGE_EVALUATION: _ONLY_EDITORS,
    Op.CITE_EVIDENCE: _ONLY_EDITORS,
    Op.CHANGE_EVIDENCE: _ONLY_EDITORS,
    Op.REMOVE_EVIDENCE: _ONLY_EDITORS,
    Op.PUBLISH_EVALUATION: "Only publishers can publish evaluations.",
    Op.WITHDRAW_EVALUATION: "Only publishers can withdraw evaluations to draft.",
    Op.DELETE_EVALUATION: _ONLY_EDITORS,
    Op.CREATE_SOURCE: "Only editors and publishers can add sources.",
    Op.CHANGE_SOURCE: "Only editors and publishers can correct sources.",
    Op.DELETE_SOURCE: "Only publishers can delete sources.",
    Op.SAVE_EVALUATOR: "Only editors and publishers can add or correct evaluators.",
    Op.CREATE_RECOMMENDATION: (
        "Recommendations come from the report's scorecard file; import it to add them."
    ),
    Op.CHANGE_RECOMMENDATION: "Only editors and publishers can correct recommendations.",
    Op.DELETE_RECOMMENDATION: (
        "Recommendations come from the report's scorecard file; they are not deleted here."
    ),
    Op.FREEZE_EDITION: "Only publishers can freeze editions.",
    Op.CHANGE_EDITION: (
        "An edition is frozen as it is; a draft edition changes only through its report's "
        "scorecard file."
    ),
    Op.DELETE_EDITION: "Only publishers can delete editions.",
    Op.IMPORT_SCORECARD: "Only publishers can import scorecard files.",
    Op.SAVE_ACTOR: "Only editors and publishers can add or correct actors.",
    Op.DELETE_ACTOR: "Only publishers can delete actors.",
    Op.VIEW_RESPONSE: "Drafts are seen by editors and publishers only.",
    Op.CREATE_RESPONSE: "Only editors and publishers can record responses.",
    Op.CHANGE_RESPONSE: "Only editors and publishers can change responses.",
    Op.PUBLISH_RESPONSE: "Only publishers can publish responses.",
    Op.WITHDRAW_RESPONSE: "Only publishers can withdraw responses to draft.",
    Op.DELETE_RESPONSE: "Only editors and publishers can delete draft responses.",
}

_PUBLISHED_NEEDS_PUBLISHER = (
    "This evaluation is published: only a publisher can change it, or withdraw it to draft "
    "so that you can."
)
# Why an editor (who may work on drafts) is refused an object in this state.
STATE_ROLE_REASONS: dict[tuple[Operation, State], str] = {
    (Op.CHANGE_RESPONSE, S.PUBLISHED): (
        "This response is published: only a publisher can change it, or withdraw it to draft "
        "so that you can."
    ),
    (Op.CHANGE_EVALUATION, S.PUBLISHED): _PUBLISHED_NEEDS_PUBLISHER,
    (Op.CITE_EVIDENCE, S.PUBLISHED): _PUBLISHED_NEEDS_PUBLISHER,
    (Op.CHANGE_EVIDENCE, S.PUBLISHED): _PUBLISHED_NEEDS_PUBLISHER,
    (Op.REMOVE_EVIDENCE, S.PUBLISHED): _PUBLISHED_NEEDS_PUBLISHER,
}

_FROZEN_EVALUATION = (
    "This evaluation is frozen in the published edition “{edition}”, which never changes. "
    "To correct it, log a new evaluation."
)
_PUBLISHED_NOT_DELETED = (
    "A published evaluation cannot be deleted: readers may have cited it. Withdraw it to "
    "draft first, or log a new evaluation to correct it."
)
_FROZEN_RESPONSE = (
    "This response is frozen in the published edition “{edition}”, which never changes. "
    "To correct it, record a new response."
)
_PUBLISHED_RESPONSE_NOT_DELETED = (
    "A published response cannot be deleted: readers may have cited it. Withdraw it to draft first."
)
# Why nobody may do this to an object in this state: (the field it is about, the reason).
STATE_REASONS: dict[tuple[Operation, State], tuple[str, str]] = {
    (Op.CHANGE_EVALUATION, S.FROZEN): (NON_FIELD_ERRORS, _FROZEN_EVALUATION),
    (Op.CITE_EVIDENCE, S.FROZEN): ("evidence", _FROZEN_EVALUATION),
    (Op.CHANGE_EVIDENCE, S.FROZEN): ("evidence", _FROZEN_EVALUATION),
    (Op.REMOVE_EVIDENCE, S.FROZEN): ("evidence", _FROZEN_EVALUATION),
    (Op.PUBLISH_EVALUATION, S.PUBLISHED): ("status", "This evaluation is already published."),
    (Op.PUBLISH_EVALUATION, S.FROZEN): ("status", "This evaluation is already published."),
    (Op.WITHDRAW_EVALUATION, S.DRAFT): ("status", "This evaluation is not published."),
    (Op.WITHDRAW_EVALUATION, S.FROZEN): (
        "status",
        "This evaluation is frozen in the published edition “{edition}” and cannot be withdrawn.",
    ),
    (Op.DELETE_EVALUATION, S.PUBLISHED): ("status", _PUBLISHED_NOT_DELETED),
    (Op.DELETE_EVALUATION, S.FROZEN): ("status", _PUBLISHED_NOT_DELETED),
    (Op.DELETE_SOURCE, S.FROZEN): (
        NON_FIELD_ERRORS,
        "“{name}” is cited in the published edition “{edition}”; it cannot be deleted.",
    ),
    (Op.DELETE_RECOMMENDATION, S.FROZEN): (
        NON_FIELD_ERRORS,
        "This recommendation is part of the published edition “{edition}”, which never changes.",
    ),
    (Op.CHANGE_EDITION, S.PUBLISHED): (
        NON_FIELD_ERRORS,
        "“{name}” is published: published editions never change. Freeze a new edition instead.",
    ),
    (Op.DELETE_EDITION, S.PUBLISHED): (
        NON_FIELD_ERRORS,
        "“{name}” is published: published editions never change and cannot be deleted, "
        "because readers cite them. Freeze a new edition instead.",
    ),
    (Op.CHANGE_RESPONSE, S.FROZEN): (NON_FIELD_ERRORS, _FROZEN_RESPONSE),
    (Op.PUBLISH_RESPONSE, S.PUBLISHED): ("status", "This response is already published."),
    (Op.PUBLISH_RESPONSE, S.FROZEN): ("status", "This response is already published."),
    (Op.WITHDRAW_RESPONSE, S.DRAFT): ("status", "This response is not published."),
    (Op.WITHDRAW_RESPONSE, S.FROZEN): ("status", _FROZEN_RESPONSE),
    (Op.DELETE_RESPONSE, S.PUBLISHED): ("status", _PUBLISHED_RESPONSE_NOT_DELETED),
    (Op.DELETE_RESPONSE, S.FROZEN): ("status", _PUBLISHED_RESPONSE_NOT_DELETED),
}


@dataclass(frozen=True)
class Refusal:
    """Why an operation is refused: about who asks (403) or about the object (400)."""

    reason: str
    about_role: bool
    field: str = NON_FIELD_ERRORS

    def error(self) -> PermissionDenied | ValidationError:
        if self.about_role:
            return PermissionDenied(self.reason)
        return ValidationError({self.field: self.reason}, code="refused")


# What an edition freezes ----------------------------------------------------------------

# The fields of an evaluation the services change on request; the rest they keep.
EVALUATION_FIELDS = (
    "grade",
    "not_rateable_reason",
    "wording",
    "narrative",
    "as_of",
    "evaluator",
    "publication",
)
EVIDENCE_FIELDS = ("source", "stance", "quote", "page")
SOURCE_FIELDS = (
    "title",
    "key",
    "kind",
    "author",
    "publisher",
    "published_on",
    "url",
    "archived_url",
    "citation",
)
# A frozen evaluation's source may still gain an archived copy: that keeps its links working
# without changing what the edition says.
SOURCE_FIELDS_OPEN_WHEN_FROZEN = ("archived_url",)
SOURCE_FIELDS_FROZEN = tuple(f for f in SOURCE_FIELDS if f not in SOURCE_FIELDS_OPEN_WHEN_FROZEN)
# Topics classify a recommendation for finding it; they are not part of what an edition says.
# Its actors are (who was asked to act), so an edition freezes them. A due date is not: it
# is what "overdue" is measured against today, and editors may set one later (see
# `due_date_problems`).
RECOMMENDATION_FIELDS = ("area", "code", "position", "title", "text", "due_on", "due_set_by")
DUE_DATE_FIELDS = ("due_on", "due_set_by")
RECOMMENDATION_FIELDS_FROZEN = (
    *(f for f in RECOMMENDATION_FIELDS if f not in DUE_DATE_FIELDS),
    "actors",
)
EDITION_FIELDS_FROZEN = ("name", "description", "as_of", "status", "published_at", "entries")
# A response is frozen whole by a published edition of its report that was published after
# it and speaks for its date or later (edition_freezing_response): the edition showed it.
RESPONSE_FIELDS = ("actor", "position", "statement", "said_on")
RESPONSE_SOURCE_FIELDS = ("source", "quote", "page")
RESPONSE_FREEZES = RESPONSE_FIELDS


def edition_freezing_evaluation(evaluation: Evaluation) -> Edition | None:
    """The first published edition that freezes this evaluation, if any."""
    entry = (
        EditionEntry.objects.filter(evaluation=evaluation, edition__status=Status.PUBLISHED)
        .select_related("edition")
        .order_by("edition__published_at", "edition_id")
        .first()
    )
    return entry.edition if entry else None


def edition_freezing_source(source: Source) -> Edition | None:
    """A published edition that freezes an evaluation citing (or published in) the source."""
    return (
        Edition.objects.filter(status=Status.PUBLISHED)
        .filter(
            Q(entries__evaluation__evidence__source=source)
            | Q(entries__evaluation__publication=source)
        )
        .order_by("published_at", "pk")
        .first()
    )


def edition_freezing_recommendation(recommendation: Recommendation) -> Edition | None:
    return (
        Edition.objects.filter(status=Status.PUBLISHED, entries__recommendation=recommendation)
        .order_by("published_at", "pk")
        .first()
    )


def edition_freezing_response(response: Response) -> Edition | None:
    """What an edition freezes of responses (RESPONSE_FREEZES): a published edition of the
    response's report, published after the response and speaking for its date or later."""
    if not response.is_published:
        return None
    return (
        Edition.objects.filter(
            status=Status.PUBLISHED,
            report__recommendations=response.recommendation_id,
            as_of__gte=response.said_on,
            published_at__gte=response.published_at,
        )
        .order_by("published_at", "pk")
        .first()
    )


_FREEZERS = {
    Response: edition_freezing_response,
    Evaluation: edition_freezing_evaluation,
    Source: edition_freezing_source,
    Recommendation: edition_freezing_recommendation,
}


def frozen_in(obj: Model | None, *, fresh: bool = False) -> Edition | None:
    """The published edition that freezes this object, if any.

    Remembered on the object for the pages that ask several times (the admin's forms);
    `fresh` asks the database again, as a write does inside its transaction.
    """
    if obj is None or obj.pk is None or type(obj) not in _FREEZERS:
        return None
    if fresh or not hasattr(obj, "_frozen_in"):
        obj._frozen_in = _FREEZERS[type(obj)](obj)
    return obj._frozen_in


def state_of(obj: Model | None, *, fresh: bool = False) -> State:
    if obj is None or obj.pk is None:
        return State.NEW
    if isinstance(obj, Edition):
        return State.PUBLISHED if obj.is_published else State.DRAFT
    if frozen_in(obj, fresh=fresh) is not None:
        return State.FROZEN
    if isinstance(obj, Evaluation | Response):
        return State.PUBLISHED if obj.is_published else State.DRAFT
    return State.PUBLISHED  # sources, recommendations, evaluators: public when saved


# Asking the matrix ------------------------------------------------------------------------


def refusal(
    user: Someone,
    operation: Operation,
    obj: Model | None = None,
    *,
    state: State | None = None,
    fresh: bool = False,
) -> Refusal | None:
    """Why `user` may not do `operation` to `obj` (in `state`, if given); None when they may."""
    state = state or state_of(obj, fresh=fresh)
    least = MATRIX[operation][state]
    role = role_of(user)
    if least is not None and role >= least:
        return None
    if least is None:
        field, reason = STATE_REASONS[(operation, state)]
        return Refusal(_fill(reason, obj), about_role=False, field=field)
    if role >= Role.EDITOR and (operation, state) in STATE_ROLE_REASONS:
        return Refusal(_fill(STATE_ROLE_REASONS[(operation, state)], obj), about_role=True)
    return Refusal(ROLE_REASONS[operation], about_role=True)


def _fill(reason: str, obj: Model | None) -> str:
    edition = frozen_in(obj) if obj is not None and not isinstance(obj, Edition) else None
    name = getattr(obj, "name", None) or getattr(obj, "title", None) or str(obj)
    return reason.format(edition=edition.name if edition else "", name=name)


def allows(user: Someone, operation: Operation, obj: Model | None = None, **kwargs) -> bool:
    return refusal(user, operation, obj, **kwargs) is None


def check(user: Someone, operation: Operation, obj: Model | None = None, **kwargs) -> None:
    """Raise the refusal (PermissionDenied or ValidationError) unless `user` may."""
    refused = refusal(user, operation, obj, **kwargs)
    if refused is not None:
        raise refused.error()


def may(user: Someone, operation: Operation, obj: Model | None = None) -> bool:
    """With an object, `allows`; without one, whether the role may in some state (as the
    admin asks `has_change_permission(request, obj=None)`, to show a list or a button)."""
    if obj is None and State.NEW not in MATRIX[operation]:
        return role_may_ever(user, operation)
    return allows(user, operation, obj)


def role_may_ever(user: Someone, operation: Operation) -> bool:
    """Whether the user's role may do this in some state (a button worth showing)."""
    role = role_of(user)
    return any(least is not None and role >= least for least in MATRIX[operation].values())


def check_fields(user: Someone, operation: Operation, obj: Model, changed: Iterable[str]) -> None:
    """Refuse a change to fields the object's published edition freezes, naming each one."""
    check(user, operation, obj, fresh=True)
    edition = frozen_in(obj)
    if edition is None:
        return
    frozen = {
        Op.CHANGE_SOURCE: (
            SOURCE_FIELDS_FROZEN,
            "This source is cited in the published edition “{edition}”, which never "
            "changes; only its archived URL can still be added.",
        ),
        Op.CHANGE_RECOMMENDATION: (
            RECOMMENDATION_FIELDS_FROZEN,
            "This recommendation is part of the published edition “{edition}”, which never "
            "changes.",
        ),
    }
    fields, reason = frozen[operation]
    refused = sorted(set(changed) & set(fields))
    if refused:
        raise ValidationError(
            dict.fromkeys(refused, reason.format(edition=edition.name)), code="frozen"
        )


# What publishing requires -------------------------------------------------------------------

# A judgment is a grade, or the reason the recommendation cannot be graded: never both,
# never neither (a draft too: the constraint `evaluation_grade_or_not_rateable`).
JUDGMENT_NEEDED = (
    "Choose a grade, or say in “not rateable reason” why this recommendation cannot be "
    "graded (too vague, no information)."
)
JUDGMENT_TWICE = (
    "An evaluation either grades the recommendation or says why it cannot be graded: "
    "clear the grade or the not rateable reason."
)


def judgment_problems(*, grade: Grade | None, not_rateable_reason: str) -> dict[str, str]:
    """What is wrong with an evaluation's judgment (empty when it has exactly one)."""
    reason = (not_rateable_reason or "").strip()
    if grade is None and not reason:
        return {"grade": JUDGMENT_NEEDED}
    if grade is not None and reason:
        return {"not_rateable_reason": JUDGMENT_TWICE}
    return {}


PUBLICATION_REQUIRES = {
    "narrative": "Write the narrative before publishing: say why this grade.",
    "evidence": (
        "Cite at least one source before publishing: every published grade shows the "
        "evidence behind it."
    ),
}
PUBLISHED_KEEPS = {
    "narrative": "A published evaluation keeps its narrative; withdraw it to draft first.",
    "evidence": (
        "A published evaluation keeps at least one piece of evidence; cite another source "
        "before removing this one, or withdraw it to draft first."
    ),
}


def missing_for_publication(*, narrative: str, evidence_count: int) -> list[str]:
    """What an evaluation lacks to be published: a subset of PUBLICATION_REQUIRES' keys."""
    missing = []
    if not narrative.strip():
        missing.append("narrative")
    if evidence_count < 1:
        missing.append("evidence")
    return missing


def publication_problems(evaluation: Evaluation) -> dict[str, str]:
    """Why an evaluation may not be published yet (empty when it may)."""
    missing = missing_for_publication(
        narrative=evaluation.narrative,
        evidence_count=1 if evaluation.pk and evaluation.evidence.exists() else 0,
    )
    return {name: PUBLICATION_REQUIRES[name] for name in missing}


# What publishing a response requires: the statement, and where it was said.
RESPONSE_PUBLICATION_REQUIRES = {
    "statement": "Quote what the actor says it did before publishing the response.",
    "sources": (
        "Cite at least one source before publishing: a response shows where the actor said so."
    ),
}


def response_publication_problems(response: Response) -> dict[str, str]:
    """Why a response may not be published yet (empty when it may)."""
    missing = []
    if not response.statement.strip():
        missing.append("statement")
    if not (response.pk and response.sources.exists()):
        missing.append("sources")
    return {name: RESPONSE_PUBLICATION_REQUIRES[name] for name in missing}


def response_field_problems(
    *,
    recommendation: Recommendation,
    actor: ResponsibleActor | None,
    position: str,
    said_on: datetime.date,
    response: Response | None = None,
) -> dict[str, str]:
    """What is wrong with a response's values (empty when nothing): a known position, a
    date from the report's publication to today, one response per actor and date."""
    errors: dict[str, str] = {}
    if position not in ResponsePosition.values:
        errors["position"] = (
            f"“{position}” is not a position; choose one of: {', '.join(ResponsePosition.values)}."
        )
    report = recommendation.report
    if said_on > timezone.localdate():
        errors["said_on"] = "A response cannot be dated in the future."
    elif said_on < report.published_on:
        errors["said_on"] = (
            f"A response to a recommendation cannot be dated before its report was published "
            f"({report.short_name}, {report.published_on.isoformat()})."
        )
    if actor is not None and "said_on" not in errors:
        others = Response.objects.filter(
            recommendation=recommendation, actor=actor, said_on=said_on
        )
        if response is not None and response.pk is not None:
            others = others.exclude(pk=response.pk)
        if others.exists():
            errors["said_on"] = (
                f"{actor} already has a response to {recommendation.code} dated {said_on}; "
                f"edit that one, or choose another date."
            )
    return errors


# The date bounds ----------------------------------------------------------------------------


def evaluation_date_bounds(
    published_on: datetime.date | None,
) -> tuple[datetime.date, datetime.date]:
    """The dates an evaluation of a report published on `published_on` may speak for."""
    return published_on or datetime.date.min, timezone.localdate()


def evaluation_date_problem(as_of: datetime.date, report: Report | None) -> str | None:
    """What is wrong with this date for an evaluation of the report (None when nothing).

    Without the report (not chosen yet), only the upper bound can be checked.
    """
    earliest, latest = evaluation_date_bounds(report.published_on if report else None)
    if as_of > latest:
        return "The date an evaluation speaks for cannot be in the future."
    if report is not None and as_of < earliest:
        return (
            f"The date an evaluation speaks for cannot be before its report was published "
            f"({report.short_name}, {earliest.isoformat()})."
        )
    return None


def edition_date_problem(as_of: datetime.date, report: Report) -> str | None:
    if as_of > timezone.localdate():
        return "An edition cannot speak for a date in the future."
    if as_of < report.published_on:
        return (
            f"An edition cannot speak for a date before its report was published "
            f"({report.short_name}, {report.published_on.isoformat()})."
        )
    return None


# The URL identity of sources ------------------------------------------------------------


def source_url_key(url: str) -> str:
    """The identity of a source's URL: two URLs with the same key are the same page.

    Surrounding spaces and trailing slashes do not count, nor the case of the scheme and
    the host name. Empty for no URL (any number of sources may have none).
    """
    url = (url or "").strip()
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme and parts.netloc:
        url = urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(), *parts[2:]))
    return url.rstrip("/")


def source_with_url(url: str, *, exclude: Source | None = None) -> Source | None:
    """The source already on file at this URL (by `source_url_key`), if any."""
    key = source_url_key(url)
    if not key:
        return None
    sources = Source.objects.filter(url_key=key)
    if exclude is not None and exclude.pk is not None:
        sources = sources.exclude(pk=exclude.pk)
    return sources.order_by("pk").first()


def duplicate_url_message(existing: Source) -> str:
    return (
        f"This URL is already on file as “{existing.title}” ({existing.key}); cite that "
        f"source instead of adding it again."
    )


# Names ------------------------------------------------------------------------------------


def duplicate_edition_name_message(report: Report, name: str) -> str:
    return (
        f"{report.short_name} already has an edition called “{name}”; give this one a name "
        f"readers can tell apart."
    )


def duplicate_evaluation_message(recommendation: Recommendation, evaluator, as_of) -> str:
    return (
        f"{evaluator} already has an evaluation of {recommendation.code} as of {as_of}; "
        f"edit that one, or choose another date."
    )


# What is wrong with the values of a write ----------------------------------------------


def evaluation_field_problems(
    *,
    recommendation: Recommendation,
    grade: Grade | None,
    as_of: datetime.date,
    not_rateable_reason: str = "",
    evaluator: Evaluator | None = None,
    evaluation: Evaluation | None = None,
) -> dict[str, str]:
    """What is wrong with this grade (or reason it is not rateable) and date for this
    recommendation (empty when nothing).

    Given the evaluator, also whether it already judged the recommendation as of that date
    (in an evaluation other than `evaluation`, the one being edited).
    """
    errors: dict[str, str] = judgment_problems(grade=grade, not_rateable_reason=not_rateable_reason)
    if evaluator is not None:
        others = Evaluation.objects.filter(
            recommendation=recommendation, evaluator=evaluator, as_of=as_of
        )
        if evaluation is not None and evaluation.pk is not None:
            others = others.exclude(pk=evaluation.pk)
        if others.exists():
            errors["as_of"] = duplicate_evaluation_message(recommendation, evaluator, as_of)
    report = recommendation.report
    if grade is not None and grade.scale_id != report.grade_scale_id:
        errors["grade"] = (
            f"“{grade.label}” is not on the grade scale of {report.short_name}; "
            f"choose a grade of “{report.grade_scale.name}”."
        )
    date_problem = evaluation_date_problem(as_of, report)
    if date_problem is not None:
        errors["as_of"] = date_problem
    return errors


def edition_problems(
    *, report: Report, slug: str, name: str, as_of: datetime.date
) -> dict[str, str]:
    """What stops an edition being frozen under this slug, name and date (empty: nothing)."""
    errors = {}
    date_problem = edition_date_problem(as_of, report)
    if date_problem is not None:
        errors["as_of"] = date_problem
    if Edition.objects.filter(slug=slug).exists():
        errors["slug"] = f"An edition called “{slug}” already exists."
    if Edition.objects.filter(report=report, name=name).exists():
        errors["name"] = duplicate_edition_name_message(report, name)
    return errors


# --- Webhook endpoints (issue 16) ------------------------------------------------------------
# Partners, editors and publishers manage webhook endpoints of their own (and the operator
# any); nobody sees or changes another's, not even a publisher: an endpoint holds its
# owner's secret.

WEBHOOK_ROLE_REASON = "Only partners, editors and publishers can manage webhooks."
WEBHOOK_NOT_YOURS = "There is no webhook endpoint {pk} of yours."


def may_manage_webhooks(user: Someone) -> bool:
    return role_of(user) >= Role.PARTNER


def check_manage_webhooks(user: Someone) -> None:
    if not may_manage_webhooks(user):
        raise PermissionDenied(WEBHOOK_ROLE_REASON)


def webhook_endpoint_visible(user: Someone, endpoint: Model) -> bool:
    """Whether `user` may see and manage `endpoint` (a WebhookEndpoint)."""
    return user is None or (may_manage_webhooks(user) and endpoint.owner_id == user.pk)


# Actors and due dates (issue 17) -----------------------------------------------------------


def actor_parent_problem(actor: Model, parent: Model | None) -> str | None:
    """Why `parent` cannot be `actor`'s parent (itself, or a body within it), or None.

    The database refuses an actor as its own parent; a longer loop (Japan within its own
    ministry) is refused here, by walking up from `parent` (one query per level).
    """
    if parent is None or actor.pk is None:
        return None
    seen: set[int] = set()
    step = parent
    while step is not None and step.pk not in seen:
        if step.pk == actor.pk:
            if step is parent:
                return "An actor cannot be its own parent."
            return f"“{parent}” is within “{actor}”; it cannot also be its parent."
        seen.add(step.pk)
        step = step.parent
    return None


def due_date_problems(
    *, due_on: datetime.date | None, due_set_by: str, report: Report
) -> dict[str, str]:
    """What is wrong with a recommendation's due date, by field (empty: nothing).

    A date says whose it is (the report's own deadline, or the editors'), and nothing is due
    before the report asked for it.
    """
    problems = {}
    if due_on is None:
        if due_set_by:
            problems["due_set_by"] = "Give the due date too, or leave whose date it is empty."
        return problems
    if not due_set_by:
        problems["due_set_by"] = (
            "Say whose date it is: the report's own deadline, or one the editors set."
        )
    if due_on < report.published_on:
        problems["due_on"] = (
            f"The report was published on {report.published_on.isoformat()}; nothing it "
            f"asks can be due before that."
        )
    return problems
