"""What the actor says: responses, written and read.

A response is the responsible party's own statement about a recommendation (its position,
what it says it did, when, where it said so). It is a record like an evaluation: a draft
until a publisher publishes it, with its history, frozen once a published edition relies on
it; every rule about it is in `tracker.rules` (the matrix's response rows,
`response_field_problems`, `RESPONSE_PUBLICATION_REQUIRES`). It is never a grade: pages show
it beside the evaluators' judgment (`claims_and_assessments`), never in its place.

Writes are keyword-only functions, one transaction each, as in `tracker.services`.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from tracker import rules
from tracker.models import (
    Actor,
    Evaluation,
    Recommendation,
    Response,
    ResponseSource,
    Status,
)
from tracker.rules import Operation

# --- Writes ----------------------------------------------------------------------------------


def _check_fields(response: Response) -> None:
    errors = rules.response_field_problems(
        recommendation=response.recommendation,
        actor=response.actor,
        position=response.position,
        said_on=response.said_on,
        response=response,
    )
    if errors:
        raise ValidationError(errors)


def _cite(response: Response, sources: Iterable[Mapping[str, Any]], user) -> None:
    """Add where the response was said: items naming a `source`, with `quote` and `page`."""
    last = response.sources.order_by("-position").values_list("position", flat=True).first()
    start = 0 if last is None else last + 1
    for offset, item in enumerate(sources):
        source = item["source"]
        if response.sources.filter(source=source).exists():
            raise ValidationError(
                {
                    "sources": gettext("“%(source)s” is already cited by this response.")
                    % {"source": source}
                }
            )
        link = ResponseSource(
            response=response,
            source=source,
            quote=item.get("quote", ""),
            page=item.get("page", ""),
            position=start + offset,
        )
        link.full_clean(exclude=["response"])
        link._history_user = user
        link.save()


def _history(response: Response, user, reason: str = "") -> None:
    """History for writes made with UPDATE (which skips the model's save hooks)."""
    Response.history.bulk_history_create(
        [response], update=True, default_user=user, default_change_reason=reason
    )


@transaction.atomic
def record_response(
    *,
    recommendation: Recommendation,
    actor: Actor,
    position: str,
    said_on: datetime.date,
    statement: str = "",
    sources: Iterable[Mapping[str, Any]] = (),
    author=None,
) -> Response:
    """Record a new draft response, with the sources where it was said."""
    rules.check(author, Operation.CREATE_RESPONSE)
    response = Response(
        recommendation=recommendation,
        actor=actor,
        position=position,
        said_on=said_on,
        statement=statement,
        author=author,
        status=Status.DRAFT,
    )
    _check_fields(response)
    response.full_clean(validate_constraints=False)
    response._history_user = author
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        # Two identical requests at once: the constraint lets one in; say what the check says.
        _check_fields(response)
        raise
    _cite(response, sources, author)
    return response


class StaleResponseError(ValidationError):
    def __init__(self, current: Response, expected_version: int):
        self.current = current
        super().__init__(
            {
                "version": gettext(
                    "Someone else changed this response since you opened it (you had version "
                    "%(expected)s, it is now version %(current)s). Nothing was "
                    "saved; reload to see their changes."
                )
                % {"expected": expected_version, "current": current.version}
            },
            code="stale",
        )


@transaction.atomic
def update_response(
    *,
    response: Response,
    expected_version: int,
    changes: Mapping[str, Any],
    new_sources: Iterable[Mapping[str, Any]] = (),
    user=None,
) -> Response:
    """Change a response, refusing if anyone saved it since `expected_version` (the check
    and the write are one UPDATE)."""
    unknown = set(changes) - set(rules.RESPONSE_FIELDS)
    if unknown:
        raise ValidationError(
            dict.fromkeys(sorted(unknown), gettext("This field cannot be changed here."))
        )
    candidate = Response.objects.select_related("recommendation__report").get(pk=response.pk)
    rules.check(user, Operation.CHANGE_RESPONSE, candidate, fresh=True)
    for name, value in changes.items():
        setattr(candidate, name, value)
    _check_fields(candidate)
    candidate.full_clean(exclude=["version"], validate_constraints=False)
    columns = {(f"{n}_id" if n == "actor" else n): getattr(candidate, n) for n in changes}
    if "actor" in changes:
        columns["actor_id"] = candidate.actor_id
    updated = Response.objects.filter(pk=response.pk, version=expected_version).update(
        **columns, version=F("version") + 1, updated_at=timezone.now()
    )
    if updated == 0:
        raise StaleResponseError(Response.objects.get(pk=response.pk), expected_version)
    response.refresh_from_db()
    _cite(response, new_sources, user)
    if response.is_published and rules.response_publication_problems(response):
        raise ValidationError(
            {
                "statement": gettext(
                    "A published response keeps its statement; withdraw it to draft first."
                )
            }
        )
    _history(response, user)
    return response


@transaction.atomic
def publish_response(*, response: Response, user=None, published_at=None) -> Response:
    """Make a draft response public: it needs its statement and a source."""
    response.refresh_from_db()
    rules.check(user, Operation.PUBLISH_RESPONSE, response, fresh=True)
    problems = rules.response_publication_problems(response)
    if problems:
        raise ValidationError(problems)
    updated = Response.objects.filter(pk=response.pk, status=Status.DRAFT).update(
        status=Status.PUBLISHED,
        published_at=published_at or timezone.now(),
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if updated == 0:
        raise ValidationError({"status": gettext("This response is already published.")})
    response.refresh_from_db()
    _history(response, user, "Published")
    return response


@transaction.atomic
def unpublish_response(*, response: Response, user=None) -> Response:
    """Withdraw a published response to draft, unless a published edition relies on it."""
    response.refresh_from_db()
    rules.check(user, Operation.WITHDRAW_RESPONSE, response, fresh=True)
    updated = Response.objects.filter(pk=response.pk, status=Status.PUBLISHED).update(
        status=Status.DRAFT, published_at=None, version=F("version") + 1, updated_at=timezone.now()
    )
    if updated == 0:
        raise ValidationError({"status": gettext("This response is not published.")})
    response.refresh_from_db()
    _history(response, user, "Withdrawn to draft")
    return response


@transaction.atomic
def delete_response(*, response: Response, user=None) -> None:
    """Delete a draft response. Published ones are history: withdraw them first."""
    response.refresh_from_db()
    rules.check(user, Operation.DELETE_RESPONSE, response, fresh=True)
    response._history_user = user
    response.delete()


# --- Reads -----------------------------------------------------------------------------------


def published_responses() -> QuerySet[Response]:
    """Published responses with their actor and recommendation, oldest first."""
    return (
        Response.objects.published()
        .select_related("actor", "recommendation__report")
        .order_by("said_on", "published_at", "id")
    )


def frozen_in(edition) -> QuerySet[Response]:
    """What a published edition froze of responses (`tracker.rules.edition_freezing_response`):
    the published responses to its report's recommendations said by its date and published
    before it, oldest first (in report order on one day). The rules keep each of them as it
    is, so the edition shows them as they were."""
    return (
        published_responses()
        .filter(
            recommendation__report_id=edition.report_id,
            said_on__lte=edition.as_of,
            published_at__lte=edition.published_at,
        )
        .order_by("said_on", "recommendation__position", "published_at", "id")
    )


def attach_frozen_responses(editions: Iterable) -> list:
    """Set `frozen_responses` on each edition: what it froze of responses (`frozen_in`),
    with their actors, recommendations and sources; none for a draft. Two queries per
    published edition with responses (one without): for an edition's own page or resource,
    as `tracker.queries.attach_current_evaluations` is for recommendations."""
    editions = list(editions)
    for edition in editions:
        edition.frozen_responses = (
            list(frozen_in(edition).prefetch_related(sources_prefetch()))
            if edition.is_published
            else []
        )
    return editions


def sources_prefetch() -> Prefetch:
    return Prefetch(
        "sources",
        queryset=ResponseSource.objects.select_related("source").order_by("position", "id"),
    )


def response_timeline(recommendation: Recommendation) -> list[Response]:
    """A recommendation's published responses, oldest first, with their sources (2 queries)."""
    return list(
        published_responses()
        .filter(recommendation=recommendation)
        .prefetch_related(sources_prefetch())
    )


@dataclass(frozen=True)
class Moment:
    """One step of "says — assessed": a response or an evaluation, in time order."""

    day: datetime.date
    response: Response | None = None
    evaluation: Evaluation | None = None

    @property
    def kind(self) -> str:
        return "says" if self.response is not None else "assessed"


def claims_and_assessments(
    responses: Iterable[Response], evaluations: Iterable[Evaluation]
) -> list[Moment]:
    """What the actor claimed and what the evaluators assessed, side by side in time
    ("says: accepted, 2001 — assessed: slow progress, 2004"); on one day, the claim first."""
    moments = [Moment(r.said_on, response=r) for r in responses]
    moments += [Moment(e.as_of, evaluation=e) for e in evaluations]
    return sorted(moments, key=lambda moment: (moment.day, moment.kind != "says"))


def responses_by_recommendation(
    report_id: int, *, as_of: datetime.date | None = None, edition=None
) -> dict[int, list[Response]]:
    """Recommendation id → its published responses, oldest first, with their sources, for
    a whole report (two queries). As of a date: those said by then; in an edition: those
    it froze (`tracker.rules.edition_freezing_response`)."""
    responses = published_responses().filter(recommendation__report_id=report_id)
    if edition is not None:
        responses = frozen_in(edition)
    elif as_of is not None:
        responses = responses.filter(said_on__lte=as_of)
    found: dict[int, list[Response]] = {}
    for response in responses.prefetch_related(sources_prefetch()):
        found.setdefault(response.recommendation_id, []).append(response)
    return found


@transaction.atomic
def add_sources(*, response: Response, sources: Iterable[Mapping[str, Any]], user=None) -> Response:
    """Cite more places where a response was said (as long as it may change)."""
    response = Response.objects.get(pk=response.pk)
    rules.check(user, Operation.CHANGE_RESPONSE, response, fresh=True)
    _cite(response, sources, user)
    Response.objects.filter(pk=response.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    response.refresh_from_db()
    _history(response, user, "Sources added")
    return response
