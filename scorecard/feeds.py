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

In another language an entry's texts are the published translations (issue 15), all of a
feed's read in one query: each translated part of a summary carries its `lang` and the kind
of translation with the original beside it; a text without translation is the original,
marked `lang="en"` and 原文（英語）; the categories carry their `xml:lang`. The English feed is
what it always was, and reads nothing more.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Max, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.dateformat import format as format_date
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from scorecard.links import canonical, tag_uri
from scorecard.templatetags.scorecard_translations import kind_mark, original_note
from scorecard.views import describe_change, get_report
from tracker import deadlines, queries, translations
from tracker.markdown import render_markdown
from tracker.models import (
    NOT_RATEABLE_LABEL,
    DueSetBy,
    Evaluation,
    Grade,
    Recommendation,
    Report,
)
from tracker.translation_models import original_language

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

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        # In another language, the categories with the language each is in (Django's
        # writes them without; the English feed keeps Django's).
        for term, language in item.get("categories_in", ()):
            handler.addQuickElement("category", "", {"term": term, "xml:lang": language})


@dataclass
class _Subject:
    """What a feed is of (a report, or everything) and its entries, read (with their
    translations) before the feed's title is written."""

    report: Report | None
    events: list


def _text(obj, field: str) -> tuple[SafeString, SafeString]:
    """A short text of an entry as HTML, and the note that follows it: in the original
    language the text alone; else the translation (with its kind and the original) or the
    original marked as such."""
    original = getattr(obj, field, "") or ""
    if translations.in_original_language() or not original:
        return conditional_escape(original), SafeString("")
    english = original_language()
    found = translations.translation_of(obj, field)
    if found is None:
        return (
            format_html('<span lang="{}">{}</span>', english, original),
            format_html(" <small>{}</small>", original_note()),
        )
    note = format_html(
        gettext("({kind}; original: {original})"),
        kind=kind_mark(found, original),
        original=format_html('<span lang="{}">{}</span>', english, original),
    )
    return (
        format_html('<span lang="{}">{}</span>', found.language, found.text),
        format_html(" <small>{}</small>", note),
    )


def _shown(obj, field: str) -> SafeString:
    """A short text and its note together (where nothing comes between them)."""
    text, note = _text(obj, field)
    return format_html("{}{}", text, note)


def _narrative(evaluation: Evaluation) -> SafeString:
    """The narrative (sanitized Markdown): in another language its translation with the
    kind and the original below it, or the original marked as such."""
    original = evaluation.narrative or ""
    html = render_markdown(original)
    if translations.in_original_language() or not original:
        return html
    english = original_language()
    found = translations.translation_of(evaluation, "narrative")
    if found is None:
        return format_html(
            '<div lang="{}">{}</div><p><small>{}</small></p>', english, html, original_note()
        )
    return format_html(
        '<div lang="{}">{}</div><p><small>{}</small></p><div lang="{}">{}</div>',
        found.language,
        render_markdown(found.text),
        format_html(gettext("{kind}. The original:"), kind=kind_mark(found, original)),
        english,
        html,
    )


def _attach_translations(report: Report | None, events: list) -> None:
    """The published translations of every text the feed and its entries show, in one
    query (none in the original language)."""
    if translations.in_original_language():
        return
    objects: list = [report]
    for event in events:
        if isinstance(event, Recommendation):
            objects += [event, event.report]
            if event.due_grade_id is not None:
                # Its grade on its due date, as the query named it.
                event.due_grade = Grade(pk=event.due_grade_id, label=event.due_grade_label)
                objects.append(event.due_grade)
            continue
        recommendation = event.recommendation
        objects += [event, event.grade, recommendation, recommendation.report]
        objects += event.evidence.all()
        if event.previous_grade_id is not None:
            # The grade before, as the query named it (its id and label).
            event.previous_grade = Grade(
                pk=event.previous_grade_id, label=event.previous_grade_label
            )
            objects.append(event.previous_grade)
    translations.attach(objects)


def feed_tag(specific: str) -> str:
    """The permanent id of a feed or an entry in the active language: English's as it
    always was, another language's with the language before it."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE:
        return tag_uri(specific)
    return tag_uri(f"{language}/{specific}")


class GradeChangesFeed(Feed):
    feed_type = _AtomFeed

    def get_object(self, request, report: str | None = None) -> _Subject:
        found = get_report(report) if report is not None else None
        events = self._events(found)
        _attach_translations(found, events)
        return _Subject(found, events)

    def feed_guid(self, subject: _Subject) -> str:
        report = subject.report
        return feed_tag(f"report/{report.slug}/feed" if report else "feed")

    def feed_extra_kwargs(self, subject: _Subject) -> dict:
        # Asked for only when the feed has no entry: no query otherwise.
        return {"empty_updated": lambda: _last_change(subject.report)}

    def title(self, subject: _Subject) -> str:
        report = subject.report
        if report is None:
            return gettext("Alliance Scorecard: published grades")
        return gettext("Alliance Scorecard: %(report)s grades") % {
            "report": translations.text_of(report, "short_name")
        }

    def subtitle(self, subject: _Subject) -> str:
        report = subject.report
        if report is None:
            return gettext(
                "Each grade published for every report, with its evidence, and each "
                "recommendation that became overdue, newest first."
            )
        return gettext(
            "Each grade published for %(report)s, with its evidence, and each recommendation"
            " that became overdue, newest first."
        ) % {"report": translations.text_of(report, "title")}

    def link(self, subject: _Subject) -> str:
        report = subject.report
        path = reverse("report", args=[report.slug]) if report else reverse("home")
        return canonical(path)

    def feed_url(self, subject: _Subject) -> str:
        report = subject.report
        path = reverse("report-feed", args=[report.slug]) if report else reverse("feed")
        return canonical(path)

    def items(self, subject: _Subject) -> list[Evaluation | Recommendation]:
        return subject.events

    def _events(self, report: Report | None) -> list[Evaluation | Recommendation]:
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
            "grade": _judgment_text(evaluation),
            "previous": _previous_text(evaluation),
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
        recommendation = evaluation.recommendation
        wording, wording_note = _text(evaluation, "wording")
        for link in evaluation.evidence.all():
            link.feed_quote = _text(link, "quote")
        return render_to_string(
            "scorecard/feed_entry.html",
            {
                "evaluation": evaluation,
                "title": _shown(recommendation, "title"),
                "report_name": _shown(recommendation.report, "short_name"),
                "judgment": _judgment(evaluation),
                "previous": _previous(evaluation),
                "wording": wording,
                "wording_note": wording_note,
                "narrative": _narrative(evaluation),
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
        if not translations.in_original_language():
            return []  # written with their languages (item_extra_kwargs)
        if isinstance(evaluation, Recommendation):
            return ["overdue", evaluation.report.short_name]
        return [evaluation.judgment_label, evaluation.recommendation.report.short_name]

    def item_extra_kwargs(self, evaluation: Evaluation | Recommendation) -> dict:
        if translations.in_original_language():
            return {}
        if isinstance(evaluation, Recommendation):
            # "overdue" is a term for machines, the same in every language.
            terms = [("overdue", original_language()), _term(evaluation.report, "short_name")]
        else:
            report = evaluation.recommendation.report
            if evaluation.grade_id is None:
                judgment = (gettext("Not rateable"), translations.language_of_page())
            else:
                judgment = _term(evaluation.grade, "label")
            terms = [judgment, _term(report, "short_name")]
        return {"categories_in": terms}


def _term(obj, field: str) -> tuple[str, str]:
    """A category's term in the feed's language, and the language it is in."""
    found = translations.translation_of(obj, field)
    if found is None:
        return getattr(obj, field), original_language()
    return found.text, found.language


def _judgment_text(evaluation: Evaluation) -> str:
    """The grade's label in the feed's language (plain, for a title)."""
    if evaluation.grade_id is None:
        return evaluation.judgment_label
    return translations.text_of(evaluation.grade, "label")


def _previous_text(evaluation: Evaluation) -> str:
    previous = getattr(evaluation, "previous_grade", None)
    if previous is None:
        return evaluation.previous_grade_label or NOT_RATEABLE_LABEL
    return translations.text_of(previous, "label")


def _judgment(evaluation: Evaluation) -> SafeString:
    """The grade's label in the summary (with its note in another language)."""
    if evaluation.grade_id is None:
        return conditional_escape(evaluation.judgment_label)
    return _shown(evaluation.grade, "label")


def _previous(evaluation: Evaluation) -> SafeString:
    previous = getattr(evaluation, "previous_grade", None)
    if previous is None:
        return conditional_escape(evaluation.previous_grade_label or "")
    return _shown(previous, "label")


def _overdue_description(recommendation: Recommendation) -> str:
    whose = (
        gettext("the report's date")
        if recommendation.due_set_by == DueSetBy.REPORT
        else gettext("set by the editors")
    )
    grade = recommendation.due_grade_label
    if getattr(recommendation, "due_grade", None) is not None:
        grade = _shown(recommendation.due_grade, "label")
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
    return format_html("<p>{title}</p><p>{due}</p>", title=_shown(recommendation, "title"), due=due)


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
