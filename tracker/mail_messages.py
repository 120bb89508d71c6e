"""The e-mails readers get: what each says, as plain text and HTML, with its links.

Links are absolute on the canonical site (DJANGO_SITE_URL, as the feeds' are): an e-mail has
no request to take a host from. Every e-mail carries the RFC 8058 one-click unsubscribe
(`List-Unsubscribe` with an https URL, `List-Unsubscribe-Post`) and a link to manage the
address's subscriptions.

Each e-mail is written in the language its reader subscribed in (Subscription.language):
everything about it, subject included, is rendered inside `translation.override`.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from tracker import subscriptions
from tracker.models import Frequency, GradeNotice, NoticeKind, Subscription

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
            return gettext("graded %(grade)s") % {"grade": self.after}
        if self.before == self.after:
            return gettext("still %(grade)s") % {"grade": self.after}
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
        after=evaluation.grade.label if evaluation.grade_id else gettext("Not rateable"),
        evaluator=evaluation.evaluator.name,
        as_of=evaluation.as_of,
        url=site_url(f"{path}#evaluation-{evaluation.pk}"),
    )


def compose(*, to: str, subject: str, template: str, context: dict) -> EmailMultiAlternatives:
    """The e-mail, rendered in the active language (the callers' `translation.override`)."""
    unsubscribe = site_url(
        reverse("follow-unsubscribe", args=[subscriptions.unsubscribe_token(to)])
    )
    context = {
        **context,
        # As the pages write a date: "January 1, 2010", 2010年1月1日.
        "date_format": pgettext("date in an e-mail", "F j, Y"),
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
    """In the language of the latest of them (the one the reader asked in last)."""
    token = subscriptions.confirmation_token(to, [s.pk for s in pending])
    with translation.override(max(pending, key=lambda s: s.pk).language):
        return compose(
            to=to,
            subject=gettext("Confirm: follow grades on the Alliance Scorecard"),
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
    return gettext("%(count)d grades published on the Alliance Scorecard") % {"count": len(changes)}


def round_message(
    to: str, notices: list[GradeNotice], language: str = "en"
) -> EmailMultiAlternatives:
    with translation.override(language):
        changes = [change(notice) for notice in notices]
        return compose(
            to=to, subject=_subject(changes), template="changes", context={"changes": changes}
        )


DIGEST_NAMES = {Frequency.DAILY: _("Daily digest"), Frequency.WEEKLY: _("Weekly digest")}


def digest(
    to: str, frequency: str, notices: list[GradeNotice], language: str = "en"
) -> EmailMultiAlternatives:
    with translation.override(language):
        changes = [change(notice) for notice in notices]
        name = str(DIGEST_NAMES[frequency])
        subject = translation.ngettext(
            "%(digest)s: %(count)d grade published on the Alliance Scorecard",
            "%(digest)s: %(count)d grades published on the Alliance Scorecard",
            len(changes),
        ) % {"digest": name, "count": len(changes)}
        return compose(
            to=to,
            subject=subject,
            template="changes",
            context={"changes": changes, "digest": name},
        )
