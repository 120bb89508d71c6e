"""The e-mails readers get: what each says, as plain text and HTML, with its links.

Links are absolute on the canonical site (DJANGO_SITE_URL, as the feeds' are): an e-mail has
no request to take a host from. Every e-mail carries the RFC 8058 one-click unsubscribe
(`List-Unsubscribe` with an https URL, `List-Unsubscribe-Post`) and a link to manage the
address's subscriptions.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from tracker import subscriptions
from tracker.models import GradeNotice, NoticeKind, Subscription

# Where links point when no canonical site is configured (development only).
DEVELOPMENT_SITE = "http://localhost:8000"


def site_url(path: str) -> str:
    return (settings.SITE_URL or DEVELOPMENT_SITE) + path


@dataclass(frozen=True)
class Change:
    """One released grade as an e-mail tells it."""

    code: str
    title: str
    report: str
    corrected: bool
    before: str | None
    after: str
    evaluator: str
    as_of: object
    url: str

    @property
    def summary(self) -> str:
        if self.before is None:
            return f"graded {self.after}"
        if self.before == self.after:
            return f"still {self.after}"
        return f"{self.before} → {self.after}"


def change(notice: GradeNotice) -> Change:
    evaluation = notice.evaluation
    recommendation = evaluation.recommendation
    path = reverse("recommendation", args=[recommendation.report.slug, recommendation.slug])
    return Change(
        code=recommendation.code,
        title=recommendation.title,
        report=recommendation.report.short_name,
        corrected=notice.kind == NoticeKind.CHANGED,
        before=notice.previous_grade.label if notice.previous_grade else None,
        # A not-rateable evaluation has no grade: what the pages' badge says instead.
        after=evaluation.grade.label if evaluation.grade_id else "Not rateable",
        evaluator=evaluation.evaluator.name,
        as_of=evaluation.as_of,
        url=site_url(f"{path}#evaluation-{evaluation.pk}"),
    )


def compose(*, to: str, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    unsubscribe = site_url(
        reverse("follow-unsubscribe", args=[subscriptions.unsubscribe_token(to)])
    )
    context = {
        **context,
        "unsubscribe_url": unsubscribe,
        "manage_url": site_url(reverse("follow-manage", args=[subscriptions.manage_token(to)])),
        "site_url": site_url("/"),
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"tracker/mail/{template}.txt", context),
        to=[to],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string(f"tracker/mail/{template}.html", context), "text/html"
    )
    return message


def confirmation(to: str, pending: list[Subscription]) -> EmailMultiAlternatives:
    token = subscriptions.confirmation_token(to, [s.pk for s in pending])
    return compose(
        to=to,
        subject="Confirm: follow grades on the Alliance Scorecard",
        template="confirm",
        context={
            "scopes": [s.scope_name for s in pending],
            "confirm_url": site_url(reverse("follow-confirm", args=[token])),
            "days": subscriptions.CONFIRMATION_MAX_AGE.days,
        },
    )


def _subject(changes: list[Change]) -> str:
    if len(changes) == 1:
        only = changes[0]
        return f"{only.code} {only.title}: {only.summary}"
    return f"{len(changes)} grades published on the Alliance Scorecard"


def round_message(to: str, notices: list[GradeNotice]) -> EmailMultiAlternatives:
    changes = [change(notice) for notice in notices]
    return compose(
        to=to, subject=_subject(changes), template="changes", context={"changes": changes}
    )


def digest(to: str, frequency_label: str, notices: list[GradeNotice]) -> EmailMultiAlternatives:
    changes = [change(notice) for notice in notices]
    return compose(
        to=to,
        subject=f"{frequency_label}: {len(changes)} grade{'s' if len(changes) != 1 else ''} "
        "published on the Alliance Scorecard",
        template="changes",
        context={"changes": changes, "digest": frequency_label},
    )
