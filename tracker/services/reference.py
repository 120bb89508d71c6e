"""Writes of the reference data: sources, recommendations and actors. Part of
`tracker.services` (call them there); each is one transaction and asks `tracker.rules`.
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext

from tracker import rules, search
from tracker.models import (
    Actor,
    Recommendation,
    Source,
    SourceKind,
)
from tracker.rules import Operation


class DuplicateSourceError(ValidationError):
    """The URL is already on file as `existing` (tracker.rules, the URL identity)."""

    def __init__(self, existing: Source):
        self.existing = existing
        super().__init__({"url": rules.duplicate_url_message(existing)})


class StaleSourceError(ValidationError):
    """Someone else saved the source since this editor read it."""

    def __init__(self, current: Source):
        self.current = current
        super().__init__(
            {
                "__all__": gettext(
                    "Someone else changed this source since you read it. Nothing was saved."
                )
            }
        )


def _unique_source_key(title: str) -> str:
    base = slugify(title)[:80].strip("-") or "source"
    taken = set(Source.objects.filter(key__startswith=base).values_list("key", flat=True))
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


@transaction.atomic
def create_source(
    *,
    title: str,
    url: str = "",
    archived_url: str = "",
    key: str = "",
    author: str = "",
    publisher: str = "",
    published_on: datetime.date | None = None,
    kind: str = SourceKind.OTHER,
    citation: str = "",
    user=None,
) -> Source:
    """Add a source; refused when its URL is already on file (cite that one instead)."""
    rules.check(user, Operation.CREATE_SOURCE)
    existing = rules.source_with_url(url)
    if existing is not None:
        raise DuplicateSourceError(existing)
    source = Source(
        key=key or _unique_source_key(title),
        title=title,
        url=url.strip(),
        archived_url=archived_url.strip(),
        author=author,
        publisher=publisher,
        published_on=published_on,
        kind=kind,
        citation=citation,
    )
    source.full_clean(validate_constraints=False)
    source._history_user = user
    _save_source(source)
    return source


def _save_source(source: Source, **save) -> None:
    """Save a source; another source saved at the same URL just now is a refusal."""
    try:
        with transaction.atomic():
            source.save(**save)
    except IntegrityError:
        existing = rules.source_with_url(source.url, exclude=source)
        if existing is not None:
            raise DuplicateSourceError(existing) from None
        if Source.objects.filter(key=source.key).exclude(pk=source.pk).exists():
            raise ValidationError(
                {
                    "key": gettext("The key “%(key)s” was taken just now; choose another.")
                    % {"key": source.key}
                },
                code="duplicate",
            ) from None
        raise


@transaction.atomic
def update_source(
    *,
    source: Source,
    changes: Mapping[str, Any],
    user=None,
    expected_updated_at: datetime.datetime | None = None,
) -> Source:
    """Correct a source. Sources cited in a published edition only gain archived URLs.

    With `expected_updated_at`, refuses (StaleSourceError) if the source was saved since."""
    source = Source.objects.select_for_update().get(pk=source.pk)
    if expected_updated_at is not None and source.updated_at != expected_updated_at:
        raise StaleSourceError(source)
    changed = {name: value for name, value in changes.items() if getattr(source, name) != value}
    rules.check_fields(user, Operation.CHANGE_SOURCE, source, changed)
    if "url" in changed:
        existing = rules.source_with_url(changed["url"], exclude=source)
        if existing is not None:
            raise DuplicateSourceError(existing)
    for name, value in changed.items():
        setattr(source, name, value)
    source.full_clean(validate_constraints=False)
    if changed:
        source._history_user = user
        _save_source(source, update_fields=[*changed, "updated_at"])
        search.index(sources=[source.pk])
    return source


@transaction.atomic
def delete_source(*, source: Source, user=None) -> None:
    """Delete a source nothing cites."""
    rules.check(user, Operation.DELETE_SOURCE, source, fresh=True)
    if source.evidence.exists() or source.published_evaluations.exists():
        raise ValidationError(
            {
                "__all__": gettext("“%(title)s” is cited by evaluations; it cannot be deleted.")
                % {"title": source.title}
            }
        )
    source._history_user = user
    source.delete()


@transaction.atomic
def update_recommendation(
    *,
    recommendation: Recommendation,
    changes: Mapping[str, Any],
    topics: Iterable | None = None,
    actors: Iterable | None = None,
    user=None,
) -> Recommendation:
    """Correct a recommendation; one frozen in a published edition may only be re-topicked
    (and given a due date). `actors`: who it names, when they change."""
    unknown = set(changes) - set(rules.RECOMMENDATION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, gettext("This field cannot be changed here.")))
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    changed = {n: v for n, v in changes.items() if getattr(recommendation, n) != v}
    actors = None if actors is None else set(actors)
    actors_changed = actors is not None and actors != set(recommendation.actors.all())
    rules.check_fields(
        user,
        Operation.CHANGE_RECOMMENDATION,
        recommendation,
        [*changed, *(["actors"] if actors_changed else [])],
    )
    if "area" in changed and changed["area"].report_id != recommendation.report_id:
        raise ValidationError(
            {"area": gettext("Choose an area of the recommendation's own report.")}
        )
    for name, value in changed.items():
        setattr(recommendation, name, value)
    if set(changed) & set(rules.DUE_DATE_FIELDS):
        problems = rules.due_date_problems(
            due_on=recommendation.due_on,
            due_set_by=recommendation.due_set_by,
            report=recommendation.report,
        )
        if problems:
            raise ValidationError(problems)
    recommendation.full_clean()
    recommendation._history_user = user
    if changed or actors_changed:
        # Who it names moves the data state with the recommendation (tracker.freshness).
        recommendation.save(update_fields=[*changed, "updated_at"])
        search.index(recommendations=[recommendation.pk])
    if topics is not None and set(topics) != set(recommendation.topics.all()):
        recommendation.topics.set(topics)
    if actors_changed:
        recommendation.actors.set(actors)
    return recommendation


@transaction.atomic
def save_actor(*, actor: Actor, user=None) -> Actor:
    """Add or correct an actor: a government, or a body within one (never within itself)."""
    rules.check(user, Operation.SAVE_ACTOR, actor)
    problem = rules.actor_parent_problem(actor, actor.parent)
    if problem:
        raise ValidationError({"parent": problem})
    actor.full_clean()
    actor._history_user = user
    actor.save()
    return actor


@transaction.atomic
def delete_actor(*, actor: Actor, user=None) -> None:
    """Delete an actor that no recommendation names and that has no bodies within it."""
    rules.check(user, Operation.DELETE_ACTOR, actor)
    if actor.recommendation_links.exists() or actor.children.exists():
        raise ValidationError(
            {
                NON_FIELD_ERRORS: gettext(
                    "“%(actor)s” is named by recommendations or has bodies within "
                    "it; take it off them first."
                )
                % {"actor": actor}
            }
        )
    actor._history_user = user
    actor.delete()
