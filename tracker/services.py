"""Write operations on the record. Each is one transaction: it happens whole or not at all.

The admin, the API and the management commands all write through these functions, so the
rules (what a grade may be, what publishing requires, what an edition freezes) hold
whichever door a change comes through. Errors are `ValidationError`s keyed by field name.
"""

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tracker import queries
from tracker.models import (
    Edition,
    EditionEntry,
    Evaluation,
    EvidenceLink,
    Grade,
    Recommendation,
    Report,
    Source,
    Stance,
    Status,
)

# Fields of an evaluation an editor may change; the rest are kept by the services.
EDITABLE_EVALUATION_FIELDS = (
    "grade",
    "wording",
    "narrative",
    "as_of",
    "evaluator",
    "publication",
)


class StaleVersionError(ValidationError):
    """Someone else saved the evaluation since this editor loaded it."""

    def __init__(self, current: Evaluation, expected_version: int):
        self.current = current
        self.expected_version = expected_version
        super().__init__(
            {
                "version": (
                    f"Someone else changed this evaluation since you opened it "
                    f"(you had version {expected_version}, it is now version "
                    f"{current.version}). Nothing was saved; reload to see their changes."
                )
            },
            code="stale",
        )


def relied_on_by_edition(evaluation: Evaluation) -> Edition | None:
    """The first published edition that freezes this evaluation, if any."""
    entry = (
        EditionEntry.objects.filter(evaluation=evaluation, edition__status=Status.PUBLISHED)
        .select_related("edition")
        .first()
    )
    return entry.edition if entry else None


def _check_evaluation_fields(
    recommendation: Recommendation, grade: Grade, as_of: datetime.date
) -> None:
    errors: dict[str, str] = {}
    report = recommendation.report
    if grade.scale_id != report.grade_scale_id:
        errors["grade"] = (
            f"“{grade.label}” is not on the grade scale of {report.short_name}; "
            f"choose a grade of “{report.grade_scale.name}”."
        )
    if as_of > timezone.localdate():
        errors["as_of"] = "The date an evaluation speaks for cannot be in the future."
    if errors:
        raise ValidationError(errors)


def _add_evidence(evaluation: Evaluation, evidence: Iterable[Mapping[str, Any]]) -> None:
    start = evaluation.evidence.count()
    for offset, item in enumerate(evidence):
        stance = item.get("stance", Stance.SUPPORTS)
        if stance not in Stance.values:
            raise ValidationError({"evidence": f"Unknown stance “{stance}”."})
        source = item["source"]
        if evaluation.evidence.filter(source=source).exists():
            raise ValidationError({"evidence": f"“{source}” is already cited by this evaluation."})
        EvidenceLink.objects.create(
            evaluation=evaluation,
            source=source,
            stance=stance,
            quote=item.get("quote", ""),
            page=item.get("page", ""),
            position=start + offset,
        )


@transaction.atomic
def record_evaluation(
    *,
    recommendation: Recommendation,
    evaluator,
    grade: Grade,
    as_of: datetime.date,
    wording: str = "",
    narrative: str = "",
    publication: Source | None = None,
    author=None,
    evidence: Iterable[Mapping[str, Any]] = (),
) -> Evaluation:
    """Log a new draft evaluation, with its evidence."""
    _check_evaluation_fields(recommendation, grade, as_of)
    if Evaluation.objects.filter(
        recommendation=recommendation, evaluator=evaluator, as_of=as_of
    ).exists():
        raise ValidationError(
            {
                "as_of": (
                    f"{evaluator} already has an evaluation of {recommendation.code} "
                    f"as of {as_of}; edit that one, or choose another date."
                )
            }
        )
    evaluation = Evaluation(
        recommendation=recommendation,
        evaluator=evaluator,
        grade=grade,
        as_of=as_of,
        wording=wording,
        narrative=narrative,
        publication=publication,
        author=author,
        status=Status.DRAFT,
    )
    evaluation.full_clean()
    evaluation._history_user = author
    evaluation.save()
    _add_evidence(evaluation, evidence)
    return evaluation


@transaction.atomic
def update_evaluation(
    *, evaluation: Evaluation, expected_version: int, changes: Mapping[str, Any], user=None
) -> Evaluation:
    """Change an evaluation, refusing if anyone saved it since `expected_version`.

    The version check and the write are one UPDATE, so two editors saving at the same
    moment cannot both succeed.
    """
    unknown = set(changes) - set(EDITABLE_EVALUATION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    edition = relied_on_by_edition(evaluation)
    if edition is not None:
        raise ValidationError(
            {
                "__all__": (
                    f"This evaluation is frozen in the published edition “{edition.name}” "
                    f"and cannot change. Log a new evaluation to correct it."
                )
            }
        )
    candidate = Evaluation.objects.get(pk=evaluation.pk)
    for name, value in changes.items():
        setattr(candidate, name, value)
    _check_evaluation_fields(candidate.recommendation, candidate.grade, candidate.as_of)
    candidate.full_clean(exclude=["version"])

    columns = {
        (f"{name}_id" if name in {"grade", "evaluator", "publication"} else name): (
            getattr(candidate, f"{name}_id")
            if name in {"grade", "evaluator", "publication"}
            else getattr(candidate, name)
        )
        for name in changes
    }
    updated = Evaluation.objects.filter(pk=evaluation.pk, version=expected_version).update(
        **columns, version=F("version") + 1, updated_at=timezone.now()
    )
    if updated == 0:
        raise StaleVersionError(Evaluation.objects.get(pk=evaluation.pk), expected_version)
    evaluation.refresh_from_db()
    _record_history(evaluation, user)
    return evaluation


def _record_history(evaluation: Evaluation, user) -> None:
    """History for writes made with UPDATE (which skips the model's save hooks)."""
    Evaluation.history.bulk_history_create([evaluation], update=True, default_user=user)


@transaction.atomic
def add_evidence(
    *, evaluation: Evaluation, evidence: Iterable[Mapping[str, Any]], user=None
) -> Evaluation:
    """Cite more sources on an evaluation that no published edition relies on."""
    edition = relied_on_by_edition(evaluation)
    if edition is not None:
        raise ValidationError(
            {"evidence": f"This evaluation is frozen in the edition “{edition.name}”."}
        )
    _add_evidence(evaluation, evidence)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )
    evaluation.refresh_from_db()
    _record_history(evaluation, user)
    return evaluation


def publication_problems(evaluation: Evaluation) -> dict[str, str]:
    """Why an evaluation may not be published yet (empty when it may)."""
    problems = {}
    if not evaluation.narrative.strip():
        problems["narrative"] = "Write the narrative before publishing: say why this grade."
    if not evaluation.evidence.exists():
        problems["evidence"] = (
            "Cite at least one source before publishing: every published grade "
            "shows the evidence behind it."
        )
    return problems


@transaction.atomic
def publish_evaluation(*, evaluation: Evaluation, user=None, published_at=None) -> Evaluation:
    """Make a draft public. Requires a narrative and at least one piece of evidence."""
    problems = publication_problems(evaluation)
    if problems:
        raise ValidationError(problems)
    updated = Evaluation.objects.filter(pk=evaluation.pk, status=Status.DRAFT).update(
        status=Status.PUBLISHED,
        published_at=published_at or timezone.now(),
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if updated == 0:
        raise ValidationError({"status": "This evaluation is already published."})
    evaluation.refresh_from_db()
    _record_history(evaluation, user)
    return evaluation


@transaction.atomic
def unpublish_evaluation(*, evaluation: Evaluation, user=None) -> Evaluation:
    """Withdraw a published evaluation to draft, unless an edition relies on it."""
    edition = relied_on_by_edition(evaluation)
    if edition is not None:
        raise ValidationError(
            {
                "status": (
                    f"This evaluation is frozen in the published edition “{edition.name}” "
                    f"and cannot be withdrawn."
                )
            }
        )
    updated = Evaluation.objects.filter(pk=evaluation.pk, status=Status.PUBLISHED).update(
        status=Status.DRAFT,
        published_at=None,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if updated == 0:
        raise ValidationError({"status": "This evaluation is not published."})
    evaluation.refresh_from_db()
    _record_history(evaluation, user)
    return evaluation


@transaction.atomic
def delete_evaluation(*, evaluation: Evaluation, user=None) -> None:
    """Delete a draft. Published evaluations are history: withdraw them instead."""
    if evaluation.status == Status.PUBLISHED:
        raise ValidationError(
            {"status": "A published evaluation cannot be deleted; withdraw it to draft first."}
        )
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
) -> Edition:
    """Freeze the report's published grades as of a date into a named, published edition."""
    errors = {}
    if as_of > timezone.localdate():
        errors["as_of"] = "An edition cannot speak for a date in the future."
    if Edition.objects.filter(slug=slug).exists():
        errors["slug"] = f"An edition called “{slug}” already exists."
    if errors:
        raise ValidationError(errors)
    grades = queries.current_grades(report, as_of)
    if not grades:
        raise ValidationError(
            {"as_of": f"{report.short_name} has no published grades as of {as_of} to freeze."}
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
    edition.full_clean()
    edition._history_user = user
    edition.save()
    EditionEntry.objects.bulk_create(
        EditionEntry(edition=edition, recommendation_id=rec_id, evaluation=evaluation)
        for rec_id, evaluation in grades.items()
    )
    return edition
