"""Announcing that recommendations became overdue (issue 17): a `recommendation.overdue`
webhook event and an e-mail to the recommendation's followers, once per recommendation and
due date.

Nothing is written at the moment a due date passes, so something must look: the command
`manage.py announce_overdue` (cron, once a day or more often) or the worker's task
`announce_overdue_task` runs `announce()`, which finds the events of the rule
(tracker.deadlines: `overdue_events`) that have no `OverdueEvent` yet, records one for each
with its webhook event in the outbox (one transaction), then e-mails the followers of what
is not mailed yet. The unique constraint on (recommendation, due date) makes a second run,
or two at once, announce nothing twice. Drafts never count: the rule reads published grades
only, and the payload is the public API's.

Every confirmed follower of the recommendation (of it, of its report, or of everything) is
told, whatever the frequency of their grade e-mails, in one e-mail per address per run.
"""

import datetime
from dataclasses import dataclass

from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy
from django_tasks import task

from tracker import deadlines, events, mail_messages, subscriptions
from tracker.models import DueSetBy, OverdueEvent, Recommendation, Subscription


def unannounced(today: datetime.date | None = None):
    """The overdue events of the rule not announced yet, oldest due date first."""
    announced = OverdueEvent.objects.filter(
        recommendation=OuterRef("pk"), due_on=OuterRef("due_on")
    )
    return (
        deadlines.overdue_events(today)
        .filter(~Exists(announced))
        .order_by("due_on", "id")
        .values_list("pk", "due_on")
    )


@transaction.atomic
def record_events(*, today: datetime.date | None = None) -> list[OverdueEvent]:
    """Record each overdue event not announced yet, with its webhook event (the outbox);
    the ones recorded by this call. One that another run recorded meanwhile is skipped."""
    now = timezone.now()
    recorded = []
    for recommendation_id, due_on in unannounced(today):
        try:
            with transaction.atomic():
                event = OverdueEvent.objects.create(
                    recommendation_id=recommendation_id, due_on=due_on, announced_at=now
                )
        except IntegrityError:  # another run announced it first
            continue
        events.recommendation_overdue(recommendation_id)
        recorded.append(event)
    return recorded


@dataclass(frozen=True)
class OverdueNotice:
    """One recommendation become overdue, as an e-mail tells it."""

    code: str
    title: str
    report: str
    due_on: datetime.date
    whose: str
    grade: str | None  # its grade on the due date; None when it had none that day
    url: str


def _notice(event: OverdueEvent, grade_labels: dict[int, str | None]) -> OverdueNotice:
    recommendation = event.recommendation
    path = reverse("recommendation", args=[recommendation.report.slug, recommendation.slug])
    # Lazy: rendered in the reader's language, inside message()'s translation.override.
    whose = (
        gettext_lazy("the report's date")
        if recommendation.due_set_by == DueSetBy.REPORT
        else gettext_lazy("set by the editors")
    )
    return OverdueNotice(
        code=recommendation.code,
        title=recommendation.title,
        report=recommendation.report.short_name,
        due_on=event.due_on,
        whose=whose,
        grade=grade_labels.get(recommendation.pk),
        url=mail_messages.site_url(path),
    )


def _followers(recommendations: list[Recommendation]) -> list[Subscription]:
    return list(
        Subscription.objects.filter(confirmed_at__isnull=False).filter(
            subscriptions.following(recommendations)
        )
    )


def message(
    to: str, notices: list[OverdueNotice], language: str = "en"
) -> mail.EmailMultiAlternatives:
    """The e-mail of `notices`, in the language the reader subscribed in."""
    with translation.override(language):
        if len(notices) == 1:
            only = notices[0]
            subject = gettext("%(code)s %(title)s: overdue (due %(date)s)") % {
                "code": only.code,
                "title": only.title,
                "date": only.due_on.isoformat(),
            }
        else:
            subject = gettext("%(count)d recommendations overdue on the Alliance Scorecard") % {
                "count": len(notices)
            }
        return mail_messages.compose(
            to=to, subject=subject, template="overdue", context={"notices": notices}
        )


def send_mail() -> int:
    """E-mail the followers of every announced event not mailed yet: one e-mail per
    address; how many were sent. Events are marked mailed first (at most once: a failed
    send is not repeated to those who got it)."""
    now = timezone.now()
    with transaction.atomic():
        waiting = list(
            OverdueEvent.objects.select_for_update()
            .filter(mailed_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not waiting:
            return 0
        OverdueEvent.objects.filter(pk__in=waiting, mailed_at__isnull=True).update(mailed_at=now)
    told = list(
        OverdueEvent.objects.filter(pk__in=waiting)
        .select_related("recommendation__report")
        .order_by("due_on", "recommendation__report__published_on", "recommendation__position")
    )
    recommendations = [event.recommendation for event in told]
    labels = dict(
        deadlines.overdue_events()
        .filter(pk__in=[r.pk for r in recommendations])
        .values_list("pk", "due_grade_label")
    )
    by_address: dict[str, list[OverdueNotice]] = {}
    # One e-mail per address, in the language of its latest subscription (as the rounds).
    followers = sorted(_followers(recommendations), key=lambda s: s.pk)
    language_of = {subscription.email: subscription.language for subscription in followers}
    for subscription in followers:
        for event in told:
            if subscriptions.follows(subscription, event.recommendation):
                notices = by_address.setdefault(subscription.email, [])
                notice = _notice(event, labels)
                if notice not in notices:
                    notices.append(notice)
    messages = [
        message(email, notices, language_of[email]) for email, notices in sorted(by_address.items())
    ]
    if not messages:
        return 0
    with mail.get_connection() as connection:
        return connection.send_messages(messages) or 0


def announce(*, today: datetime.date | None = None) -> tuple[int, int]:
    """Record and send what became overdue: (events announced, e-mails sent)."""
    recorded = record_events(today=today)
    return len(recorded), send_mail()


@task()
def announce_overdue_task() -> int:
    """The worker's way to run `announce()`; how many events it announced."""
    return announce()[0]
