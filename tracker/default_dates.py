"""What a new evaluation or edition is dated when the editor leaves its date empty.

What an editor most often means, read from the record (the scorecard files follow it too):

- an evaluation that appeared in a publication speaks for the publication's date;
- without one, an evaluator grades a report in rounds (a review) whose evaluations share
  one date: the date of the evaluation of that report the evaluator logged last;
- an edition freezes a round of grades: the latest date among the report's published
  evaluations.

Failing these, today. The forms say so in their help texts (tracker/forms.py).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from tracker.models import Evaluation, Evaluator, Report, Source


@dataclass(frozen=True)
class DefaultDate:
    date: datetime.date
    reason: str  # how it was chosen, in an editor's words


def evaluation_as_of(
    *, report: Report, evaluator: Evaluator | None = None, publication: Source | None = None
) -> DefaultDate:
    """The date a new evaluation of a recommendation of `report` speaks for, unless told."""
    if publication is not None and publication.published_on is not None:
        return DefaultDate(
            publication.published_on,
            gettext("the date of “%(title)s”") % {"title": publication.title},
        )
    if evaluator is not None:
        latest = (
            Evaluation.objects.filter(recommendation__report=report, evaluator=evaluator)
            .order_by("-created_at", "-id")
            .values_list("as_of", flat=True)
            .first()
        )
        if latest is not None:
            return DefaultDate(
                latest,
                gettext("the date of the evaluation of %(report)s %(evaluator)s logged last")
                % {"report": report.short_name, "evaluator": evaluator},
            )
    return DefaultDate(timezone.localdate(), gettext("today"))


def edition_as_of(report: Report) -> DefaultDate:
    """The date whose grades a new edition of `report` freezes, unless told."""
    latest = (
        Evaluation.objects.published()
        .filter(recommendation__report=report)
        .aggregate(latest=Max("as_of"))["latest"]
    )
    if latest is not None:
        return DefaultDate(
            latest,
            gettext("the latest date of the published evaluations of %(report)s")
            % {"report": report.short_name},
        )
    return DefaultDate(timezone.localdate(), gettext("today"))
