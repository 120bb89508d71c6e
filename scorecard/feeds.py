"""Atom feeds of published grades and overdue recommendations: one for everything, one per
report.

An entry is a published evaluation: the grade it gives, the grade before it, the
evaluator, the narrative and the evidence, linked to the recommendation's page. Or it is a
recommendation becoming overdue (issue 17: its due date passed while its grade as of that
date did not count as done; tracker.deadlines), dated the day after its due date, a time of
the data, not of the request; it stays once it happened (a grade counting as done published
later does not take it out; a new due date is a new entry).

Ids are permanent (RFC 4287): `tag:` URIs that name the evaluation, or the recommendation
and the due date it missed, never the host name a request came in under; links use the
canonical site URL when one is configured. A feed and its entries in another language are
other feeds and entries (an id names one entry; a translation is another), so their ids
carry the language (`tag:…:ja/evaluation/12`); the English ones are those they always were.
"""

import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Max, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.dateformat import format as format_date
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html
from django.utils.translation import gettext

from scorecard.links import canonical, tag_uri
from scorecard.views import describe_change, get_report
from tracker import deadlines, queries
from tracker.markdown import render_markdown
from tracker.models import NOT_RATEABLE_LABEL, DueSetBy, Evaluation, Recommendation, Report

FEED_LENGTH = 50
# Who an overdue entry is by: no evaluator judged it, the calendar did.
SCORECARD_AUTHOR = "Alliance Scorecard"
# The site's feed before any evaluation exists has not changed since the epoch.
NOTHING_YET = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class _AtomFeed(Atom1Feed):
    """Atom whose `<updated>`, for a feed without entries, is a time of the data.

    Django's says "now", so an empty feed would seem to change on every request.
    """

    def latest_post_date(self) -> datetime.datetime:
        if self.items:
            return super().latest_post_date()
        return self.feed["empty_updated"]()


def feed_tag(specific: str) -> str:
    """The permanent id of a feed or an entry in the active language: English's as it
    always was, another language's with the language before it."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE:
        return tag_uri(specific)
    return tag_uri(f"{language}/{specific}")


class GradeChangesFeed(Feed):
    feed_type = _AtomFeed

    def get_object(self, request, report: str | None = None) -> Report | None:
        return get_report(report) if report is not None else None

    def feed_guid(self, report: Report | None) -> str:
        return feed_tag(f"report/{report.slug}/feed" if report else "feed")

    def feed_extra_kwargs(self, report: Report | None) -> dict:
        # Asked for only when the feed has no entry: no query otherwise.
        return {"empty_updated": lambda: _last_change(report)}

    def title(self, report: Report | None) -> str:
        if report is None:
            return gettext("Alliance Scorecard: published grades")
        return gettext("Alliance Scorecard: %(report)s grades") % {"report": report.short_name}

    def subtitle(self, report: Report | None) -> str:
        if report is None:
            return gettext(
                "Each grade published for every report, with its evidence, and each "
                "recommendation that became overdue, newest first."
            )
        return gettext(
            "Each grade published for %(report)s, with its evidence, and each recommendation"
            " that became overdue, newest first."
        ) % {"report": report.title}

    def link(self, report: Report | None) -> str:
        path = reverse("report", args=[report.slug]) if report else reverse("home")
        return canonical(path)

    def feed_url(self, report: Report | None) -> str:
        path = reverse("report-feed", args=[report.slug]) if report else reverse("feed")
        return canonical(path)

    def items(self, report: Report | None) -> list[Evaluation | Recommendation]:
        """The latest FEED_LENGTH events: published grades and recommendations that became
        overdue, newest first."""
        overdue = queries.overdue_recommendations(report=report, limit=FEED_LENGTH)
        evaluations = self._grade_changes(report)
        events = [*evaluations, *overdue]
        events.sort(key=self.item_pubdate, reverse=True)
        return events[:FEED_LENGTH]

    def _grade_changes(self, report: Report | None) -> list[Evaluation]:
        evaluations = queries.grade_changes(report=report, limit=FEED_LENGTH)
        prefetch_related_objects(evaluations, queries.evidence_prefetch())
        for evaluation in evaluations:
            evaluation.change = describe_change(
                evaluation.previous_grade_score,
                None if evaluation.is_not_rateable else evaluation.grade.score,
                evaluation.previous_judged,
            )
        return evaluations

    def item_title(self, evaluation: Evaluation | Recommendation) -> str:
        if isinstance(evaluation, Recommendation):
            return gettext("%(code)s overdue (due %(due)s, not done)") % {
                "code": evaluation.code,
                "due": evaluation.due_on.isoformat(),
            }
        words = {
            "code": evaluation.recommendation.code,
            "grade": evaluation.judgment_label,
            "previous": evaluation.previous_grade_label or NOT_RATEABLE_LABEL,
            "date": evaluation.as_of.isoformat(),
        }
        if evaluation.change == "not rateable":
            return gettext("%(code)s judged not rateable (as of %(date)s)") % words
        if evaluation.change == "graded":
            return gettext(
                "%(code)s graded %(grade)s, previously not rateable (as of %(date)s)"
            ) % (words)
        if evaluation.change == "first graded":
            return gettext("%(code)s graded %(grade)s (as of %(date)s)") % words
        if evaluation.change == "unchanged":
            return gettext("%(code)s still %(grade)s (as of %(date)s)") % words
        if evaluation.change == "raised":
            return gettext("%(code)s raised to %(grade)s from %(previous)s (as of %(date)s)") % (
                words
            )
        return gettext("%(code)s lowered to %(grade)s from %(previous)s (as of %(date)s)") % words

    def item_description(self, evaluation: Evaluation | Recommendation) -> str:
        if isinstance(evaluation, Recommendation):
            return _overdue_description(evaluation)
        return render_to_string(
            "scorecard/feed_entry.html",
            {
                "evaluation": evaluation,
                "narrative": render_markdown(evaluation.narrative),
            },
        )

    def item_link(self, evaluation: Evaluation | Recommendation) -> str:
        if isinstance(evaluation, Recommendation):
            path = reverse("recommendation", args=[evaluation.report.slug, evaluation.slug])
            return canonical(path)
        recommendation = evaluation.recommendation
        path = reverse("recommendation", args=[recommendation.report.slug, recommendation.slug])
        return canonical(f"{path}#evaluation-{evaluation.pk}")

    def item_guid(self, evaluation: Evaluation | Recommendation) -> str:
        if isinstance(evaluation, Recommendation):
            # The due date is part of the event: a new date missed is a new entry.
            return feed_tag(f"recommendation/{evaluation.pk}/overdue/{evaluation.due_on}")
        return feed_tag(f"evaluation/{evaluation.pk}")

    item_guid_is_permalink = False

    def item_pubdate(self, evaluation: Evaluation | Recommendation) -> datetime.datetime:
        if isinstance(evaluation, Recommendation):
            return deadlines.overdue_since(evaluation.due_on)
        return evaluation.published_at

    def item_updateddate(self, evaluation: Evaluation | Recommendation) -> datetime.datetime:
        if isinstance(evaluation, Recommendation):
            return deadlines.overdue_since(evaluation.due_on)
        return max(evaluation.updated_at, evaluation.published_at)

    def item_author_name(self, evaluation: Evaluation | Recommendation) -> str:
        if isinstance(evaluation, Recommendation):
            return SCORECARD_AUTHOR
        return evaluation.evaluator.name

    def item_categories(self, evaluation: Evaluation | Recommendation) -> list[str]:
        if isinstance(evaluation, Recommendation):
            return ["overdue", evaluation.report.short_name]
        return [evaluation.judgment_label, evaluation.recommendation.report.short_name]


def _overdue_description(recommendation: Recommendation) -> str:
    whose = (
        gettext("the report's date")
        if recommendation.due_set_by == DueSetBy.REPORT
        else gettext("set by the editors")
    )
    grade = recommendation.due_grade_label
    standing = (
        gettext("its grade on that date, %(grade)s, did not count as done") % {"grade": grade}
        if grade
        else gettext("it had no grade that counts as done")
    )
    due = format_html(
        gettext("Due on {due} ({whose}); {standing}."),
        due=format_date(recommendation.due_on, gettext("F j, Y")),
        whose=whose,
        standing=standing,
    )
    return format_html("<p>{title}</p><p>{due}</p>", title=recommendation.title, due=due)


def _last_change(report: Report | None) -> datetime.datetime:
    """When the evaluations an empty feed draws from last changed (a withdrawal is a change).

    Before any evaluation exists: the report's publication date, or the epoch for the
    site's feed. Either way a time of the data, the same on every request.
    """
    evaluations = Evaluation.objects.all()
    if report is not None:
        evaluations = evaluations.filter(recommendation__report=report)
    latest = evaluations.aggregate(latest=Max("updated_at"))["latest"]
    if latest is not None:
        return latest
    if report is not None:
        return datetime.datetime.combine(report.published_on, datetime.time(), datetime.UTC)
    return NOTHING_YET
