"""Write operations on the record. Each is one transaction: it happens whole or not at all.

The admin, the API and the management commands all write through these functions, and each
asks `tracker.rules` whether the acting `user` may (`user=None` is the operator: the shell
and management commands). A refusal about who asks is a `PermissionDenied` with its reason;
one about the data is a `ValidationError` keyed by field name. A rule the database holds
(one evaluation per evaluator and date, one source per URL, unique edition slugs and names)
is refused the same way when two writers race for it, never with an `IntegrityError`.
"""

import datetime
import os
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from tracker import events, interchange, mail_tasks, queries, rules, search
from tracker.models import (
    Edition,
    EditionEntry,
    Evaluation,
    Evaluator,
    EvidenceLink,
    Grade,
    Recommendation,
    Report,
    Source,
    Stance,
    Status,
)
from tracker.rules import Operation

# Fields of an evaluation an editor may change; the rest are kept by the services.
EDITABLE_EVALUATION_FIELDS = rules.EVALUATION_FIELDS


class StaleVersionError(ValidationError):
    """Someone else saved the evaluation since this editor loaded it."""

    def __init__(self, current: Evaluation, expected_version: int):
        self.current = current
        self.expected_version = expected_version
        super().__init__(
            {
                "version": gettext(
                    "Someone else changed this evaluation since you opened it "
                    "(you had version %(expected)s, it is now version "
                    "%(current)s). Nothing was saved; reload to see their changes."
                )
                % {"expected": expected_version, "current": current.version}
            },
            code="stale",
        )


def _check_evaluation_fields(
    recommendation: Recommendation,
    grade: Grade | None,
    as_of: datetime.date,
    not_rateable_reason: str = "",
) -> None:
    errors = rules.evaluation_field_problems(
        recommendation=recommendation,
        grade=grade,
        as_of=as_of,
        not_rateable_reason=not_rateable_reason,
    )
    if errors:
        raise ValidationError(errors)


def _add_evidence(evaluation: Evaluation, evidence: Iterable[Mapping[str, Any]], user=None) -> None:
    """Cite sources. An item names a `source`, or a `new_source` (fields of a Source to add)."""
    last = evaluation.evidence.order_by("-position").values_list("position", flat=True).first()
    start = 0 if last is None else last + 1
    for offset, item in enumerate(evidence):
        stance = item.get("stance", Stance.SUPPORTS)
        if stance not in Stance.values:
            raise ValidationError(
                {"evidence": gettext("Unknown stance “%(stance)s”.") % {"stance": stance}}
            )
        if item.get("new_source") is not None:
            source = create_source(**item["new_source"], user=user)
        else:
            source = item["source"]
        if evaluation.evidence.filter(source=source).exists():
            raise ValidationError(
                {
                    "evidence": gettext("“%(source)s” is already cited by this evaluation.")
                    % {"source": source}
                }
            )
        link = EvidenceLink(
            evaluation=evaluation,
            source=source,
            stance=stance,
            quote=item.get("quote", ""),
            page=item.get("page", ""),
            position=start + offset,
        )
        link._history_user = user
        link.save()


@transaction.atomic
def record_evaluation(
    *,
    recommendation: Recommendation,
    evaluator,
    grade: Grade | None = None,
    as_of: datetime.date,
    not_rateable_reason: str = "",
    wording: str = "",
    narrative: str = "",
    publication: Source | None = None,
    author=None,
    evidence: Iterable[Mapping[str, Any]] = (),
) -> Evaluation:
    """Log a new draft evaluation, with its evidence. `author` is the acting user.

    Its judgment is a `grade`, or (without one) the `not_rateable_reason` why the
    recommendation cannot be graded (tracker.rules.judgment_problems).
    """
    rules.check(author, Operation.CREATE_EVALUATION)
    if evidence:
        rules.check(author, Operation.CITE_EVIDENCE, state=rules.State.DRAFT)
    not_rateable_reason = not_rateable_reason.strip()
    _check_evaluation_fields(recommendation, grade, as_of, not_rateable_reason)
    duplicate = ValidationError(
        {"as_of": rules.duplicate_evaluation_message(recommendation, evaluator, as_of)},
        code="duplicate",
    )
    if Evaluation.objects.filter(
        recommendation=recommendation, evaluator=evaluator, as_of=as_of
    ).exists():
        raise duplicate
    evaluation = Evaluation(
        recommendation=recommendation,
        evaluator=evaluator,
        grade=grade,
        not_rateable_reason=not_rateable_reason,
        as_of=as_of,
        wording=wording,
        narrative=narrative,
        publication=publication,
        author=author,
        status=Status.DRAFT,
    )
    evaluation.full_clean(validate_constraints=False)
    evaluation._history_user = author
    try:
        # Two identical requests at once both pass the check above; the database's
        # constraint lets one in, and the other is refused as the check would have.
        with transaction.atomic():
            evaluation.save()
    except IntegrityError:
        raise duplicate from None
    _add_evidence(evaluation, evidence, author)
    search.index(evaluations=[evaluation.pk])
    return evaluation


@transaction.atomic
def update_evaluation(
    *,
    evaluation: Evaluation,
    expected_version: int,
    changes: Mapping[str, Any],
    user=None,
    new_evidence: Iterable[Mapping[str, Any]] = (),
    evidence_changes: Mapping[int, Mapping[str, Any]] | None = None,
    removed_evidence: Iterable[int] = (),
) -> Evaluation:
    """Change an evaluation, refusing if anyone saved it since `expected_version`.

    The version check and the write are one UPDATE, so two editors saving at the same
    moment cannot both succeed. Its evidence may change in the same write: links removed
    (by id), links changed (id → new `source`, `stance`, `quote`, `page`) and new evidence
    (items as for `record_evaluation`).
    """
    unknown = set(changes) - set(EDITABLE_EVALUATION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, gettext("This field cannot be changed here.")))
    candidate = Evaluation.objects.get(pk=evaluation.pk)
    # Asked of the evaluation as it is now, not as the caller loaded it.
    rules.check(user, Operation.CHANGE_EVALUATION, candidate, fresh=True)
    for asked, operation in (
        (new_evidence, Operation.CITE_EVIDENCE),
        (evidence_changes, Operation.CHANGE_EVIDENCE),
        (removed_evidence, Operation.REMOVE_EVIDENCE),
    ):
        if asked:
            rules.check(user, operation, candidate)
    grade_before = candidate.grade_id  # followers are told when a public grade changes
    for name, value in changes.items():
        setattr(candidate, name, value.strip() if name == "not_rateable_reason" else value)
    _check_evaluation_fields(
        candidate.recommendation, candidate.grade, candidate.as_of, candidate.not_rateable_reason
    )
    candidate.full_clean(exclude=["version"])

    columns = {
        (f"{name}_id" if name in {"grade", "evaluator", "publication"} else name): (
            getattr(candidate, f"{name}_id")
            if name in {"grade", "evaluator", "publication"}
            else getattr(candidate, name)
        )
        for name in changes
    }
    now = timezone.now()
    updated = Evaluation.objects.filter(pk=evaluation.pk, version=expected_version).update(
        **columns, version=F("version") + 1, updated_at=now
    )
    if updated == 0:
        raise StaleVersionError(Evaluation.objects.get(pk=evaluation.pk), expected_version)
    evaluation.refresh_from_db()
    _revise_evidence(evaluation, set(removed_evidence), evidence_changes or {}, user)
    _add_evidence(evaluation, new_evidence, user)
    if evaluation.is_published:
        _check_still_publishable(evaluation)
        events.evaluation_changed(evaluation)
    _record_history(evaluation, user, date=now)
    search.index(evaluations=[evaluation.pk])
    if evaluation.is_published and evaluation.grade_id != grade_before:
        transaction.on_commit(lambda: mail_tasks.corrected(evaluation, grade_before))
    return evaluation


def _check_still_publishable(evaluation: Evaluation) -> None:
    """What publishing required, a published evaluation keeps."""
    problems = rules.publication_problems(evaluation)
    if problems:
        raise ValidationError({name: rules.PUBLISHED_KEEPS[name] for name in problems})


EDITABLE_EVIDENCE_FIELDS = rules.EVIDENCE_FIELDS


def _revise_evidence(
    evaluation: Evaluation, removed: set[int], changes: Mapping[int, Mapping[str, Any]], user
) -> None:
    links = evaluation.evidence.in_bulk(removed | set(changes))
    if len(links) != len(removed | set(changes)):
        raise ValidationError(
            {
                "evidence": gettext(
                    "Evidence you edited is no longer cited by this evaluation; reload it."
                )
            }
        )
    for pk in removed:
        links[pk]._history_user = user
        links[pk].delete()
    for pk, fields in changes.items():
        if pk in removed:
            continue
        unknown = set(fields) - set(EDITABLE_EVIDENCE_FIELDS)
        if unknown:
            raise ValidationError(
                {
                    "evidence": gettext("Evidence fields %(fields)s cannot change.")
                    % {"fields": sorted(unknown)}
                }
            )
        link = links[pk]
        for name, value in fields.items():
            setattr(link, name, value)
        link.full_clean()
        link._history_user = user
        link.save(update_fields=[*fields, "updated_at"])


def _record_history(evaluation: Evaluation, user, reason: str = "", date=None) -> None:
    """History for writes made with UPDATE (which skips the model's save hooks).

    Dated when the write began (`date`), so evidence changed by the same write is recorded
    after its version, never before it: "what changed since version N" is then a date range.
    """
    Evaluation.history.bulk_history_create(
        [evaluation],
        update=True,
        default_user=user,
        default_change_reason=reason,
        default_date=date,
    )


@transaction.atomic
def add_evidence(
    *, evaluation: Evaluation, evidence: Iterable[Mapping[str, Any]], user=None
) -> Evaluation:
    """Cite more sources on an evaluation that no published edition relies on."""
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    rules.check(user, Operation.CITE_EVIDENCE, evaluation, fresh=True)
    now = timezone.now()
    _add_evidence(evaluation, evidence, user)
    Evaluation.objects.filter(pk=evaluation.pk).update(version=F("version") + 1, updated_at=now)
    evaluation.refresh_from_db()
    _record_history(evaluation, user, "Evidence added", date=now)
    search.index(evaluations=[evaluation.pk])
    if evaluation.is_published:
        events.evaluation_changed(evaluation)
    return evaluation


@transaction.atomic
def publish_evaluation(
    *,
    evaluation: Evaluation,
    user=None,
    published_at=None,
    expected_version: int | None = None,
) -> Evaluation:
    """Make a draft public. Requires a narrative and at least one piece of evidence.

    With `expected_version`, refuses (StaleVersionError) if the draft changed since the
    publisher read it, so nobody publishes words they have not seen.
    """
    evaluation.refresh_from_db()
    rules.check(user, Operation.PUBLISH_EVALUATION, evaluation, fresh=True)
    problems = rules.publication_problems(evaluation)
    if problems:
        raise ValidationError(problems)
    drafts = Evaluation.objects.filter(pk=evaluation.pk, status=Status.DRAFT)
    if expected_version is not None:
        drafts = drafts.filter(version=expected_version)
    updated = drafts.update(
        status=Status.PUBLISHED,
        published_at=published_at or timezone.now(),
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if updated == 0:
        current = Evaluation.objects.get(pk=evaluation.pk)
        if current.status == Status.PUBLISHED:
            raise ValidationError({"status": gettext("This evaluation is already published.")})
        raise StaleVersionError(current, expected_version)
    evaluation.refresh_from_db()
    _record_history(evaluation, user, "Published")
    search.index(evaluations=[evaluation.pk])
    events.evaluation_published(evaluation)
    transaction.on_commit(lambda: mail_tasks.released(evaluation))  # e-mail to followers
    return evaluation


@transaction.atomic
def unpublish_evaluation(*, evaluation: Evaluation, user=None) -> Evaluation:
    """Withdraw a published evaluation to draft, unless an edition relies on it."""
    evaluation.refresh_from_db()
    rules.check(user, Operation.WITHDRAW_EVALUATION, evaluation, fresh=True)
    updated = Evaluation.objects.filter(pk=evaluation.pk, status=Status.PUBLISHED).update(
        status=Status.DRAFT,
        published_at=None,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if updated == 0:
        raise ValidationError({"status": gettext("This evaluation is not published.")})
    evaluation.refresh_from_db()
    _record_history(evaluation, user, "Withdrawn to draft")
    search.index(evaluations=[evaluation.pk])
    events.evaluation_withdrawn(evaluation)
    return evaluation


@transaction.atomic
def delete_evaluation(*, evaluation: Evaluation, user=None) -> None:
    """Delete a draft. Published evaluations are history: withdraw them instead."""
    evaluation.refresh_from_db()
    rules.check(user, Operation.DELETE_EVALUATION, evaluation, fresh=True)
    evaluation._history_user = user
    evaluation.delete()


@transaction.atomic
def publish_edition(
    *,
    report: Report,
    slug: str,
    name: str,
    as_of: datetime.date,
    description: str = "",
    user=None,
    published_at: datetime.datetime | None = None,
    expected_grades: int | None = None,
) -> Edition:
    """Freeze the report's published grades as of a date into a named, published edition.

    With `expected_grades` (how many the publisher was shown), refuses if that many grades
    are no longer what would be frozen, so nobody freezes what they have not seen.
    """
    rules.check(user, Operation.FREEZE_EDITION)
    errors = rules.edition_problems(report=report, slug=slug, name=name, as_of=as_of)
    if errors:
        raise ValidationError(errors)
    grades = queries.current_grades(report, as_of)
    if not grades:
        raise ValidationError(
            {
                "as_of": gettext("%(report)s has no published grades as of %(date)s to freeze.")
                % {"report": report.short_name, "date": as_of}
            }
        )
    if expected_grades is not None and expected_grades != len(grades):
        raise ValidationError(
            {
                "as_of": gettext(
                    "The grades to freeze changed since you checked them (%(then)s "
                    "then, %(now)s now); nothing was frozen. Check them again."
                )
                % {"then": expected_grades, "now": len(grades)}
            }
        )
    edition = Edition(
        report=report,
        slug=slug,
        name=name,
        description=description,
        as_of=as_of,
        status=Status.PUBLISHED,
        published_at=published_at or timezone.now(),
    )
    edition.full_clean(validate_constraints=False)
    edition._history_user = user
    try:
        # Two publishers freezing at once both pass the checks above; the database's
        # constraints let one in, and the other is refused as the checks would have.
        with transaction.atomic():
            edition.save()
    except IntegrityError:
        raise ValidationError(
            rules.edition_problems(report=report, slug=slug, name=name, as_of=as_of)
            or {
                "slug": gettext(
                    "Another edition was frozen under this slug or name just now; reload."
                )
            }
        ) from None
    # Each entry keeps a copy of its evaluator, grade and recommendation: what the edition
    # shows of them is forever.
    EditionEntry.objects.bulk_create(
        EditionEntry.freezing(edition=edition, evaluation=evaluation)
        for evaluation in grades.values()
    )
    EditionEntry.objects.filter(edition=edition).snapshot_shown()
    events.edition_published(edition)
    return edition


@transaction.atomic
def save_evaluator(*, evaluator: Evaluator, user=None) -> Evaluator:
    """Add or correct an evaluator (a person or organization whose judgments we record)."""
    rules.check(user, Operation.SAVE_EVALUATOR, evaluator)
    evaluator.full_clean()
    evaluator.save()
    return evaluator


@transaction.atomic
def delete_edition(*, edition: Edition, user=None) -> None:
    """Delete a draft edition. Published editions are cited by readers and never go away."""
    edition.refresh_from_db()
    rules.check(user, Operation.DELETE_EDITION, edition)
    edition._history_user = user
    edition.delete()


def import_scorecard(
    *,
    files: Iterable[str | os.PathLike],
    user=None,
    progress: interchange.Progress | None = None,
    dry_run: bool = False,
) -> interchange.ImportResult:
    """Import scorecard files (docs/interchange-format.md): all of them, or nothing.

    Every file is checked completely, against the others and the database, before anything
    is written; the write is one transaction, and importing the same files again changes
    nothing. Raises `interchange.ScorecardFileError` (a ValidationError) listing every
    problem as `file:line: path: problem`. `progress(step, done, total)` hears how far a
    large import has got.
    """
    rules.check(user, Operation.IMPORT_SCORECARD)
    return interchange.import_files(files=files, user=user, progress=progress, dry_run=dry_run)


def export_scorecard(*, report: Report) -> str:
    """The report's scorecard in the interchange format; the same data gives the same text."""
    return interchange.export_report(report)


# Writes of the reference data (sources, recommendations, actors).
from tracker.services.reference import (  # noqa: E402, F401
    DuplicateSourceError,
    StaleSourceError,
    create_source,
    delete_actor,
    delete_source,
    save_actor,
    update_recommendation,
    update_source,
)

# Writes of translations (issue 15).
from tracker.services.translations import (  # noqa: E402, F401
    delete_translation,
    publish_translation,
    save_translation,
)
