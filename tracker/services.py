"""Write operations on the record. Each is one transaction: it happens whole or not at all.

The admin, the API and the management commands all write through these functions, so the
rules (what a grade may be, what publishing requires, what an edition freezes) hold
whichever door a change comes through. Errors are `ValidationError`s keyed by field name.
"""

import datetime
import os
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from tracker import interchange, queries
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
    SourceKind,
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
    errors = evaluation_field_problems(recommendation=recommendation, grade=grade, as_of=as_of)
    if errors:
        raise ValidationError(errors)


def evaluation_field_problems(
    *,
    recommendation: Recommendation,
    grade: Grade,
    as_of: datetime.date,
    evaluator: Evaluator | None = None,
    evaluation: Evaluation | None = None,
) -> dict[str, str]:
    """What is wrong with this grade and date for this recommendation (empty when nothing).

    Given the evaluator, also whether it already judged the recommendation as of that date
    (in an evaluation other than `evaluation`, the one being edited).
    """
    errors: dict[str, str] = {}
    if evaluator is not None:
        others = Evaluation.objects.filter(
            recommendation=recommendation, evaluator=evaluator, as_of=as_of
        )
        if evaluation is not None and evaluation.pk is not None:
            others = others.exclude(pk=evaluation.pk)
        if others.exists():
            errors["as_of"] = _duplicate_message(recommendation, evaluator, as_of)
    report = recommendation.report
    if grade.scale_id != report.grade_scale_id:
        errors["grade"] = (
            f"“{grade.label}” is not on the grade scale of {report.short_name}; "
            f"choose a grade of “{report.grade_scale.name}”."
        )
    if as_of > timezone.localdate():
        errors["as_of"] = "The date an evaluation speaks for cannot be in the future."
    return errors


def _duplicate_message(recommendation: Recommendation, evaluator, as_of: datetime.date) -> str:
    return (
        f"{evaluator} already has an evaluation of {recommendation.code} "
        f"as of {as_of}; edit that one, or choose another date."
    )


def _add_evidence(evaluation: Evaluation, evidence: Iterable[Mapping[str, Any]], user=None) -> None:
    """Cite sources. An item names a `source`, or a `new_source` (fields of a Source to add)."""
    last = evaluation.evidence.order_by("-position").values_list("position", flat=True).first()
    start = 0 if last is None else last + 1
    for offset, item in enumerate(evidence):
        stance = item.get("stance", Stance.SUPPORTS)
        if stance not in Stance.values:
            raise ValidationError({"evidence": f"Unknown stance “{stance}”."})
        if item.get("new_source") is not None:
            source = create_source(**item["new_source"], user=user)
        else:
            source = item["source"]
        if evaluation.evidence.filter(source=source).exists():
            raise ValidationError({"evidence": f"“{source}” is already cited by this evaluation."})
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
        raise ValidationError({"as_of": _duplicate_message(recommendation, evaluator, as_of)})
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
    _add_evidence(evaluation, evidence, author)
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
    _record_history(evaluation, user, date=now)
    return evaluation


def _check_still_publishable(evaluation: Evaluation) -> None:
    """What publishing required, a published evaluation keeps."""
    kept = {
        "narrative": "A published evaluation keeps its narrative; withdraw it to draft first.",
        "evidence": (
            "A published evaluation keeps at least one piece of evidence; cite another "
            "source before removing this one, or withdraw it to draft first."
        ),
    }
    problems = publication_problems(evaluation)
    if problems:
        raise ValidationError({name: kept[name] for name in problems})


EDITABLE_EVIDENCE_FIELDS = ("source", "stance", "quote", "page")


def _revise_evidence(
    evaluation: Evaluation, removed: set[int], changes: Mapping[int, Mapping[str, Any]], user
) -> None:
    links = evaluation.evidence.in_bulk(removed | set(changes))
    if len(links) != len(removed | set(changes)):
        raise ValidationError(
            {"evidence": "Evidence you edited is no longer cited by this evaluation; reload it."}
        )
    for pk in removed:
        links[pk]._history_user = user
        links[pk].delete()
    for pk, fields in changes.items():
        if pk in removed:
            continue
        unknown = set(fields) - set(EDITABLE_EVIDENCE_FIELDS)
        if unknown:
            raise ValidationError({"evidence": f"Evidence fields {sorted(unknown)} cannot change."})
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
    edition = relied_on_by_edition(evaluation)
    if edition is not None:
        raise ValidationError(
            {"evidence": f"This evaluation is frozen in the edition “{edition.name}”."}
        )
    now = timezone.now()
    _add_evidence(evaluation, evidence, user)
    Evaluation.objects.filter(pk=evaluation.pk).update(version=F("version") + 1, updated_at=now)
    evaluation.refresh_from_db()
    _record_history(evaluation, user, "Evidence added", date=now)
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
    problems = publication_problems(evaluation)
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
            raise ValidationError({"status": "This evaluation is already published."})
        raise StaleVersionError(current, expected_version)
    evaluation.refresh_from_db()
    _record_history(evaluation, user, "Published")
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
    _record_history(evaluation, user, "Withdrawn to draft")
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
    # Each entry keeps a copy of its evaluator: what the edition shows of it is forever.
    EditionEntry.objects.bulk_create(
        EditionEntry.freezing(edition=edition, evaluation=evaluation)
        for evaluation in grades.values()
    )
    return edition


def source_with_url(url: str, *, exclude: Source | None = None) -> Source | None:
    """The source already on file at this URL (a trailing slash aside), if any."""
    url = (url or "").strip()
    if not url:
        return None
    bare = url.rstrip("/")
    sources = Source.objects.filter(url__in={url, bare, bare + "/"})
    if exclude is not None:
        sources = sources.exclude(pk=exclude.pk)
    return sources.order_by("pk").first()


def _duplicate_url_error(existing: Source) -> ValidationError:
    return ValidationError(
        {
            "url": (
                f"This URL is already on file as “{existing.title}” ({existing.key}); "
                f"cite that source instead of adding it again."
            )
        },
        code="duplicate",
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
    existing = source_with_url(url)
    if existing is not None:
        raise _duplicate_url_error(existing)
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
    source.full_clean()
    source._history_user = user
    source.save()
    return source


def edition_relying_on_source(source: Source) -> Edition | None:
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


# A frozen evaluation's source may still gain an archived copy: that keeps its links working
# without changing what the edition says.
SOURCE_FIELDS_OPEN_WHEN_FROZEN = ("archived_url",)


@transaction.atomic
def update_source(*, source: Source, changes: Mapping[str, Any], user=None) -> Source:
    """Correct a source. Sources cited in a published edition only gain archived URLs."""
    source = Source.objects.select_for_update().get(pk=source.pk)
    changed = {name: value for name, value in changes.items() if getattr(source, name) != value}
    frozen = set(changed) - set(SOURCE_FIELDS_OPEN_WHEN_FROZEN)
    if frozen:
        edition = edition_relying_on_source(source)
        if edition is not None:
            raise ValidationError(
                dict.fromkeys(
                    sorted(frozen),
                    f"This source is cited in the published edition “{edition.name}”, "
                    f"which never changes; only its archived URL can still be added.",
                )
            )
    if "url" in changed:
        existing = source_with_url(changed["url"], exclude=source)
        if existing is not None:
            raise _duplicate_url_error(existing)
    for name, value in changed.items():
        setattr(source, name, value)
    source.full_clean()
    if changed:
        source._history_user = user
        source.save(update_fields=[*changed, "updated_at"])
    return source


@transaction.atomic
def delete_source(*, source: Source, user=None) -> None:
    """Delete a source nothing cites."""
    if source.evidence.exists() or source.published_evaluations.exists():
        raise ValidationError(
            {"__all__": f"“{source.title}” is cited by evaluations; it cannot be deleted."}
        )
    source._history_user = user
    source.delete()


def edition_relying_on_recommendation(recommendation: Recommendation) -> Edition | None:
    return (
        Edition.objects.filter(status=Status.PUBLISHED, entries__recommendation=recommendation)
        .order_by("published_at")
        .first()
    )


# Topics classify a recommendation for finding it; they are not part of what an edition says.
RECOMMENDATION_FIELDS = ("area", "code", "position", "title", "text", "actor")


@transaction.atomic
def update_recommendation(
    *,
    recommendation: Recommendation,
    changes: Mapping[str, Any],
    topics: Iterable | None = None,
    user=None,
) -> Recommendation:
    """Correct a recommendation; one frozen in a published edition may only be re-topicked."""
    unknown = set(changes) - set(RECOMMENDATION_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    recommendation = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    changed = {n: v for n, v in changes.items() if getattr(recommendation, n) != v}
    if changed:
        edition = edition_relying_on_recommendation(recommendation)
        if edition is not None:
            raise ValidationError(
                dict.fromkeys(
                    sorted(changed),
                    f"This recommendation is part of the published edition “{edition.name}”, "
                    f"which never changes.",
                )
            )
    if "area" in changed and changed["area"].report_id != recommendation.report_id:
        raise ValidationError({"area": "Choose an area of the recommendation's own report."})
    for name, value in changed.items():
        setattr(recommendation, name, value)
    recommendation.full_clean()
    recommendation._history_user = user
    if changed:
        recommendation.save(update_fields=[*changed, "updated_at"])
    if topics is not None and set(topics) != set(recommendation.topics.all()):
        recommendation.topics.set(topics)
    return recommendation


@transaction.atomic
def save_evaluator(*, evaluator: Evaluator, user=None) -> Evaluator:
    """Add or correct an evaluator (a person or organization whose judgments we record)."""
    evaluator.full_clean()
    evaluator.save()
    return evaluator


@transaction.atomic
def delete_edition(*, edition: Edition, user=None) -> None:
    """Delete a draft edition. Published editions are cited by readers and never go away."""
    if Edition.objects.filter(pk=edition.pk, status=Status.PUBLISHED).exists():
        raise ValidationError(
            {
                "__all__": (
                    f"“{edition.name}” is published: published editions never change and "
                    f"cannot be deleted. Later corrections become new evaluations."
                )
            }
        )
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
    return interchange.import_files(files=files, user=user, progress=progress, dry_run=dry_run)


def export_scorecard(*, report: Report) -> str:
    """The report's scorecard in the interchange format; the same data gives the same text."""
    return interchange.export_report(report)
