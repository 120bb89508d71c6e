"""What the values of a write must be: what publishing requires, the date bounds, the URL
identity of sources, unique names, the problems of an evaluation's, a response's, an
edition's, an actor's and a due date's values, and who manages webhooks. Part of
`tracker.rules` (ask it there); the matrix and what an edition freezes are in its
`__init__`.
"""

import datetime
import urllib.parse

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker.models import (
    Actor as ResponsibleActor,
)
from tracker.models import (
    Edition,
    Evaluation,
    Evaluator,
    Grade,
    Recommendation,
    Report,
    Response,
    ResponsePosition,
    Source,
)
from tracker.rules import Role, Someone, role_of  # (defined before this module is read)

# What publishing requires -------------------------------------------------------------------

# A judgment is a grade, or the reason the recommendation cannot be graded: never both,
# never neither (a draft too: the constraint `evaluation_grade_or_not_rateable`).
JUDGMENT_NEEDED = _(
    "Choose a grade, or say in “not rateable reason” why this recommendation cannot be "
    "graded (too vague, no information)."
)
JUDGMENT_TWICE = _(
    "An evaluation either grades the recommendation or says why it cannot be graded: "
    "clear the grade or the not rateable reason."
)


def judgment_problems(*, grade: Grade | None, not_rateable_reason: str) -> dict[str, str]:
    """What is wrong with an evaluation's judgment (empty when it has exactly one)."""
    reason = (not_rateable_reason or "").strip()
    if grade is None and not reason:
        return {"grade": str(JUDGMENT_NEEDED)}
    if grade is not None and reason:
        return {"not_rateable_reason": str(JUDGMENT_TWICE)}
    return {}


PUBLICATION_REQUIRES = {
    "narrative": _("Write the narrative before publishing: say why this grade."),
    "evidence": (
        _(
            "Cite at least one source before publishing: every published grade shows the "
            "evidence behind it."
        )
    ),
}
PUBLISHED_KEEPS = {
    "narrative": _("A published evaluation keeps its narrative; withdraw it to draft first."),
    "evidence": (
        _(
            "A published evaluation keeps at least one piece of evidence; cite another source "
            "before removing this one, or withdraw it to draft first."
        )
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
    return {name: str(PUBLICATION_REQUIRES[name]) for name in missing}


# What publishing a response requires: the statement, and where it was said.
RESPONSE_PUBLICATION_REQUIRES = {
    "statement": _("Quote what the actor says it did before publishing the response."),
    "sources": (
        _("Cite at least one source before publishing: a response shows where the actor said so.")
    ),
}


def response_publication_problems(response: Response) -> dict[str, str]:
    """Why a response may not be published yet (empty when it may)."""
    missing = []
    if not response.statement.strip():
        missing.append("statement")
    if not (response.pk and response.sources.exists()):
        missing.append("sources")
    return {name: str(RESPONSE_PUBLICATION_REQUIRES[name]) for name in missing}


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
        errors["position"] = gettext(
            "“%(position)s” is not a position; choose one of: %(positions)s."
        ) % {"position": position, "positions": ", ".join(ResponsePosition.values)}
    report = recommendation.report
    if said_on > timezone.localdate():
        errors["said_on"] = gettext("A response cannot be dated in the future.")
    elif said_on < report.published_on:
        errors["said_on"] = gettext(
            "A response to a recommendation cannot be dated before its report was published "
            "(%(report)s, %(date)s)."
        ) % {"report": report.short_name, "date": report.published_on.isoformat()}
    if actor is not None and "said_on" not in errors:
        others = Response.objects.filter(
            recommendation=recommendation, actor=actor, said_on=said_on
        )
        if response is not None and response.pk is not None:
            others = others.exclude(pk=response.pk)
        if others.exists():
            errors["said_on"] = gettext(
                "%(actor)s already has a response to %(code)s dated %(date)s; "
                "edit that one, or choose another date."
            ) % {"actor": actor, "code": recommendation.code, "date": said_on}
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
        return gettext("The date an evaluation speaks for cannot be in the future.")
    if report is not None and as_of < earliest:
        return gettext(
            "The date an evaluation speaks for cannot be before its report was published "
            "(%(report)s, %(date)s)."
        ) % {"report": report.short_name, "date": earliest.isoformat()}
    return None


def edition_date_problem(as_of: datetime.date, report: Report) -> str | None:
    if as_of > timezone.localdate():
        return gettext("An edition cannot speak for a date in the future.")
    if as_of < report.published_on:
        return gettext(
            "An edition cannot speak for a date before its report was published "
            "(%(report)s, %(date)s)."
        ) % {"report": report.short_name, "date": report.published_on.isoformat()}
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
    return gettext(
        "This URL is already on file as “%(title)s” (%(key)s); cite that "
        "source instead of adding it again."
    ) % {"title": existing.title, "key": existing.key}


# Names ------------------------------------------------------------------------------------


def duplicate_edition_name_message(report: Report, name: str) -> str:
    return gettext(
        "%(report)s already has an edition called “%(name)s”; give this one a name "
        "readers can tell apart."
    ) % {"report": report.short_name, "name": name}


def duplicate_evaluation_message(recommendation: Recommendation, evaluator, as_of) -> str:
    return gettext(
        "%(evaluator)s already has an evaluation of %(code)s as of %(date)s; "
        "edit that one, or choose another date."
    ) % {"evaluator": evaluator, "code": recommendation.code, "date": as_of}


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
        errors["grade"] = gettext(
            "“%(grade)s” is not on the grade scale of %(report)s; choose a grade of “%(scale)s”."
        ) % {"grade": grade.label, "report": report.short_name, "scale": report.grade_scale.name}
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
        errors["slug"] = gettext("An edition called “%(slug)s” already exists.") % {"slug": slug}
    if Edition.objects.filter(report=report, name=name).exists():
        errors["name"] = duplicate_edition_name_message(report, name)
    return errors


# --- Webhook endpoints (issue 16) ------------------------------------------------------------
# Partners, editors and publishers manage webhook endpoints of their own (and the operator
# any); nobody sees or changes another's, not even a publisher: an endpoint holds its
# owner's secret.

WEBHOOK_ROLE_REASON = _("Only partners, editors and publishers can manage webhooks.")
WEBHOOK_NOT_YOURS = _("There is no webhook endpoint {pk} of yours.")


def may_manage_webhooks(user: Someone) -> bool:
    return role_of(user) >= Role.PARTNER


def check_manage_webhooks(user: Someone) -> None:
    if not may_manage_webhooks(user):
        raise PermissionDenied(str(WEBHOOK_ROLE_REASON))


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
                return gettext("An actor cannot be its own parent.")
            return gettext("“%(parent)s” is within “%(actor)s”; it cannot also be its parent.") % {
                "parent": parent,
                "actor": actor,
            }
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
            problems["due_set_by"] = gettext(
                "Give the due date too, or leave whose date it is empty."
            )
        return problems
    if not due_set_by:
        problems["due_set_by"] = gettext(
            "Say whose date it is: the report's own deadline, or one the editors set."
        )
    if due_on < report.published_on:
        problems["due_on"] = gettext(
            "The report was published on %(date)s; nothing it asks can be due before that."
        ) % {"date": report.published_on.isoformat()}
    return problems


def translation_problems(
    *, target: Model | None, field: str, language: str, text: str, kind: str
) -> dict[str, str]:
    """What is wrong with a translation's values, every field at once (empty: nothing)."""
    from tracker.translation_models import (
        TRANSLATABLE_FIELDS,
        TranslationKind,
        translation_languages,
    )

    problems: dict[str, str] = {}
    if target is None or target.pk is None:
        problems["target"] = gettext("Translate a text that is saved already.")
    else:
        fields = TRANSLATABLE_FIELDS.get(target._meta.label_lower, ())
        if field not in fields:
            offered = ", ".join(fields) or gettext("none")
            problems["field"] = gettext(
                "“%(field)s” cannot be translated here; these can: %(offered)s."
            ) % {"field": field, "offered": offered}
        elif not (getattr(target, field, "") or "").strip():
            problems["field"] = gettext("The original is empty: there is nothing to translate.")
    if language not in translation_languages():
        offered = ", ".join(translation_languages())
        problems["language"] = gettext(
            "“%(language)s” is not a language texts are translated into (%(offered)s)."
        ) % {"language": language, "offered": offered}
    if not text.strip():
        problems["text"] = gettext("Write the translation.")
    elif "\x00" in text:
        problems["text"] = gettext("The translation contains a NUL character.")
    if kind not in TranslationKind.values:
        problems["kind"] = gettext("Choose official, editors or machine.")
    return problems
