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

Every reason is marked for translation (lazily, at import) and made a sentence in the
language of the request when a refusal is made (`refusal`, `_fill`): a `Refusal` always
holds a plain string.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Model, Q
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import roles
from tracker.models import (
    Edition,
    EditionEntry,
    Evaluation,
    EvidenceLink,
    Recommendation,
    Response,
    Source,
    Status,
    Translation,
)

Someone = User | AnonymousUser | None  # None: the operator (shell, management commands)
StrOrPromise = str | Promise  # a reason: marked for translation, translated when refused


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
    # Translations (issue 15): reviewed like evaluations; frozen with what an edition froze.
    SAVE_TRANSLATION = "save translation"
    PUBLISH_TRANSLATION = "publish translation"
    DELETE_TRANSLATION = "delete translation"


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
    # Translations: an editor drafts, a publisher publishes; a published one changes only by
    # a publisher, and not at all once the text it translates is frozen in an edition.
    Op.SAVE_TRANSLATION: {
        S.NEW: EDITORS,
        S.DRAFT: EDITORS,
        S.PUBLISHED: PUBLISHERS,
        S.FROZEN: NOBODY,
    },
    Op.PUBLISH_TRANSLATION: {S.DRAFT: PUBLISHERS, S.PUBLISHED: NOBODY, S.FROZEN: NOBODY},
    Op.DELETE_TRANSLATION: {S.DRAFT: EDITORS, S.PUBLISHED: PUBLISHERS, S.FROZEN: NOBODY},
}

# Why a role below the one the matrix asks for is refused.
_ONLY_EDITORS = _("Only editors and publishers can change evaluations.")
ROLE_REASONS: dict[Operation, StrOrPromise] = {
    Op.VIEW_EVALUATION: _("Drafts are seen by editors and publishers only."),
    Op.CREATE_EVALUATION: _ONLY_EDITORS,
    Op.CHANGE_EVALUATION: _ONLY_EDITORS,
    Op.CITE_EVIDENCE: _ONLY_EDITORS,
    Op.CHANGE_EVIDENCE: _ONLY_EDITORS,
    Op.REMOVE_EVIDENCE: _ONLY_EDITORS,
    Op.PUBLISH_EVALUATION: _("Only publishers can publish evaluations."),
    Op.WITHDRAW_EVALUATION: _("Only publishers can withdraw evaluations to draft."),
    Op.DELETE_EVALUATION: _ONLY_EDITORS,
    Op.CREATE_SOURCE: _("Only editors and publishers can add sources."),
    Op.CHANGE_SOURCE: _("Only editors and publishers can correct sources."),
    Op.DELETE_SOURCE: _("Only publishers can delete sources."),
    Op.SAVE_EVALUATOR: _("Only editors and publishers can add or correct evaluators."),
    Op.CREATE_RECOMMENDATION: (
        _("Recommendations come from the report's scorecard file; import it to add them.")
    ),
    Op.CHANGE_RECOMMENDATION: _("Only editors and publishers can correct recommendations."),
    Op.DELETE_RECOMMENDATION: (
        _("Recommendations come from the report's scorecard file; they are not deleted here.")
    ),
    Op.FREEZE_EDITION: _("Only publishers can freeze editions."),
    Op.CHANGE_EDITION: (
        _(
            "An edition is frozen as it is; a draft edition changes only through its report's "
            "scorecard file."
        )
    ),
    Op.DELETE_EDITION: _("Only publishers can delete editions."),
    Op.IMPORT_SCORECARD: _("Only publishers can import scorecard files."),
    Op.SAVE_ACTOR: _("Only editors and publishers can add or correct actors."),
    Op.DELETE_ACTOR: _("Only publishers can delete actors."),
    Op.VIEW_RESPONSE: _("Drafts are seen by editors and publishers only."),
    Op.CREATE_RESPONSE: _("Only editors and publishers can record responses."),
    Op.CHANGE_RESPONSE: _("Only editors and publishers can change responses."),
    Op.PUBLISH_RESPONSE: _("Only publishers can publish responses."),
    Op.WITHDRAW_RESPONSE: _("Only publishers can withdraw responses to draft."),
    Op.DELETE_RESPONSE: _("Only editors and publishers can delete draft responses."),
    Op.SAVE_TRANSLATION: _("Only editors and publishers can translate."),
    Op.PUBLISH_TRANSLATION: _("Only publishers can publish translations."),
    Op.DELETE_TRANSLATION: _("Only editors and publishers can delete translations."),
}

_PUBLISHED_NEEDS_PUBLISHER = _(
    "This evaluation is published: only a publisher can change it, or withdraw it to draft "
    "so that you can."
)
# Why an editor (who may work on drafts) is refused an object in this state.
STATE_ROLE_REASONS: dict[tuple[Operation, State], StrOrPromise] = {
    (Op.CHANGE_RESPONSE, S.PUBLISHED): (
        _(
            "This response is published: only a publisher can change it, or withdraw it to draft "
            "so that you can."
        )
    ),
    (Op.CHANGE_EVALUATION, S.PUBLISHED): _PUBLISHED_NEEDS_PUBLISHER,
    (Op.CITE_EVIDENCE, S.PUBLISHED): _PUBLISHED_NEEDS_PUBLISHER,
    (Op.CHANGE_EVIDENCE, S.PUBLISHED): _PUBLISHED_NEEDS_PUBLISHER,
    (Op.REMOVE_EVIDENCE, S.PUBLISHED): _PUBLISHED_NEEDS_PUBLISHER,
    (Op.SAVE_TRANSLATION, S.PUBLISHED): (
        _("This translation is published: only a publisher can change it.")
    ),
    (Op.DELETE_TRANSLATION, S.PUBLISHED): (
        _("This translation is published: only a publisher can delete it.")
    ),
}

_FROZEN_EVALUATION = _(
    "This evaluation is frozen in the published edition “{edition}”, which never changes. "
    "To correct it, log a new evaluation."
)
_PUBLISHED_NOT_DELETED = _(
    "A published evaluation cannot be deleted: readers may have cited it. Withdraw it to "
    "draft first, or log a new evaluation to correct it."
)
_FROZEN_RESPONSE = _(
    "This response is frozen in the published edition “{edition}”, which never changes. "
    "To correct it, record a new response."
)
_PUBLISHED_RESPONSE_NOT_DELETED = _(
    "A published response cannot be deleted: readers may have cited it. Withdraw it to draft first."
)
_FROZEN_TRANSLATION = _(
    "This translation is frozen with the text it translates in the published edition "
    "“{edition}”, which never changes in any language."
)
# Why nobody may do this to an object in this state: (the field it is about, the reason).
STATE_REASONS: dict[tuple[Operation, State], tuple[str, StrOrPromise]] = {
    (Op.CHANGE_EVALUATION, S.FROZEN): (NON_FIELD_ERRORS, _FROZEN_EVALUATION),
    (Op.CITE_EVIDENCE, S.FROZEN): ("evidence", _FROZEN_EVALUATION),
    (Op.CHANGE_EVIDENCE, S.FROZEN): ("evidence", _FROZEN_EVALUATION),
    (Op.REMOVE_EVIDENCE, S.FROZEN): ("evidence", _FROZEN_EVALUATION),
    (Op.PUBLISH_EVALUATION, S.PUBLISHED): ("status", _("This evaluation is already published.")),
    (Op.PUBLISH_EVALUATION, S.FROZEN): ("status", _("This evaluation is already published.")),
    (Op.WITHDRAW_EVALUATION, S.DRAFT): ("status", _("This evaluation is not published.")),
    (Op.WITHDRAW_EVALUATION, S.FROZEN): (
        "status",
        _(
            "This evaluation is frozen in the published edition “{edition}” and cannot be "
            "withdrawn."
        ),
    ),
    (Op.DELETE_EVALUATION, S.PUBLISHED): ("status", _PUBLISHED_NOT_DELETED),
    (Op.DELETE_EVALUATION, S.FROZEN): ("status", _PUBLISHED_NOT_DELETED),
    (Op.DELETE_SOURCE, S.FROZEN): (
        NON_FIELD_ERRORS,
        _("“{name}” is cited in the published edition “{edition}”; it cannot be deleted."),
    ),
    (Op.DELETE_RECOMMENDATION, S.FROZEN): (
        NON_FIELD_ERRORS,
        _("This recommendation is part of the published edition “{edition}”, which never changes."),
    ),
    (Op.CHANGE_EDITION, S.PUBLISHED): (
        NON_FIELD_ERRORS,
        _("“{name}” is published: published editions never change. Freeze a new edition instead."),
    ),
    (Op.DELETE_EDITION, S.PUBLISHED): (
        NON_FIELD_ERRORS,
        _(
            "“{name}” is published: published editions never change and cannot be deleted, "
            "because readers cite them. Freeze a new edition instead."
        ),
    ),
    (Op.CHANGE_RESPONSE, S.FROZEN): (NON_FIELD_ERRORS, _FROZEN_RESPONSE),
    (Op.PUBLISH_RESPONSE, S.PUBLISHED): ("status", _("This response is already published.")),
    (Op.PUBLISH_RESPONSE, S.FROZEN): ("status", _("This response is already published.")),
    (Op.WITHDRAW_RESPONSE, S.DRAFT): ("status", _("This response is not published.")),
    (Op.WITHDRAW_RESPONSE, S.FROZEN): ("status", _FROZEN_RESPONSE),
    (Op.DELETE_RESPONSE, S.PUBLISHED): ("status", _PUBLISHED_RESPONSE_NOT_DELETED),
    (Op.DELETE_RESPONSE, S.FROZEN): ("status", _PUBLISHED_RESPONSE_NOT_DELETED),
    (Op.SAVE_TRANSLATION, S.FROZEN): ("text", _FROZEN_TRANSLATION),
    (Op.PUBLISH_TRANSLATION, S.PUBLISHED): ("status", _("This translation is already published.")),
    (Op.PUBLISH_TRANSLATION, S.FROZEN): ("status", _("This translation is already published.")),
    (Op.DELETE_TRANSLATION, S.FROZEN): (NON_FIELD_ERRORS, _FROZEN_TRANSLATION),
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
    if isinstance(obj, Translation):
        return _translation_frozen_in(obj, fresh=fresh)
    if obj is None or obj.pk is None or type(obj) not in _FREEZERS:
        return None
    if fresh or not hasattr(obj, "_frozen_in"):
        obj._frozen_in = _FREEZERS[type(obj)](obj)
    return obj._frozen_in


def _translation_frozen_in(translation: Translation, *, fresh: bool) -> Edition | None:
    """The edition that froze this translation: one that freezes the text it translates (a
    field an edition froze, or a published edition's own name) and was published after the
    translation was, so the edition shows it. A draft, or a translation published after the
    edition, is not part of it and may still change."""
    target = translation.target
    if not translation.is_published or target is None:
        return None
    if isinstance(target, Edition):
        edition = target if target.is_published else None
    else:
        if isinstance(target, EvidenceLink):
            target = target.evaluation
        if isinstance(target, Recommendation) and translation.field not in (
            RECOMMENDATION_FIELDS_FROZEN
        ):
            return None
        edition = frozen_in(target, fresh=fresh)
    if edition is None or edition.published_at < translation.published_at:
        return None
    return edition


def state_of(obj: Model | None, *, fresh: bool = False) -> State:
    if obj is None or obj.pk is None:
        return State.NEW
    if isinstance(obj, Edition):
        return State.PUBLISHED if obj.is_published else State.DRAFT
    if frozen_in(obj, fresh=fresh) is not None:
        return State.FROZEN
    if isinstance(obj, Evaluation | Response | Translation):
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
    return Refusal(str(ROLE_REASONS[operation]), about_role=True)


def _fill(reason: StrOrPromise, obj: Model | None) -> str:
    edition = frozen_in(obj) if obj is not None and not isinstance(obj, Edition) else None
    name = getattr(obj, "name", None) or getattr(obj, "title", None) or str(obj)
    # Translated now, in the language of the request, then filled in.
    return str(reason).format(edition=edition.name if edition else "", name=name)


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
            gettext(
                "This source is cited in the published edition “{edition}”, which never "
                "changes; only its archived URL can still be added."
            ),
        ),
        Op.CHANGE_RECOMMENDATION: (
            RECOMMENDATION_FIELDS_FROZEN,
            gettext(
                "This recommendation is part of the published edition “{edition}”, which never "
                "changes."
            ),
        ),
    }
    fields, reason = frozen[operation]
    refused = sorted(set(changed) & set(fields))
    if refused:
        raise ValidationError(
            dict.fromkeys(refused, reason.format(edition=edition.name)), code="frozen"
        )


# What the values of a write must be (tracker/rules/values.py), asked through this module.
from tracker.rules.values import (  # noqa: E402, F401
    JUDGMENT_NEEDED,
    JUDGMENT_TWICE,
    PUBLICATION_REQUIRES,
    PUBLISHED_KEEPS,
    RESPONSE_PUBLICATION_REQUIRES,
    WEBHOOK_NOT_YOURS,
    WEBHOOK_ROLE_REASON,
    actor_parent_problem,
    check_manage_webhooks,
    due_date_problems,
    duplicate_edition_name_message,
    duplicate_evaluation_message,
    duplicate_url_message,
    edition_date_problem,
    edition_problems,
    evaluation_date_bounds,
    evaluation_date_problem,
    evaluation_field_problems,
    judgment_problems,
    may_manage_webhooks,
    missing_for_publication,
    publication_problems,
    response_field_problems,
    response_publication_problems,
    source_url_key,
    source_with_url,
    translation_problems,
    webhook_endpoint_visible,
)
