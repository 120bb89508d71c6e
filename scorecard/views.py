"""Public pages: what the public reads and what newsrooms link to.

Every view reads through `tracker.queries`, shows published data only, and runs a fixed
number of SQL queries whatever the size of the data. Each is wrapped in `public`
(scorecard/public.py): cacheable by anyone, conditional (304 after one query), and kept in
the response cache while the data are unchanged.
"""

import datetime
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_safe

from scorecard import charts, paging
from scorecard.links import absolute_url
from scorecard.public import PUBLIC_MAX_AGE, BadParameter, NotFound, public
from scorecard.public import not_found as not_found  # handler404 names it here
from tracker import actors, deadlines, listings, queries, translations
from tracker import responses as actor_responses
from tracker.filters import (
    NOT_RATEABLE,
    SCORECARD_PARAMETERS,
    UNGRADED,
    RecommendationFilters,
    parse_filters,
)
from tracker.markdown import render_markdown
from tracker.models import (
    Edition,
    Evaluation,
    EvidenceLink,
    Grade,
    Recommendation,
    Report,
)
from tracker.report_filters import REPORT_PARAMETERS, parse_report_filters

# --- Parameters -----------------------------------------------------------------------------


def scorecard_filters(request: HttpRequest, report: Report) -> RecommendationFilters:
    """The filters of a report's page or export (tracker.filters: one meaning everywhere)."""
    return parse_filters(request.GET, accepted=SCORECARD_PARAMETERS, report=report)


def without_blank_parameters(request: HttpRequest, names: Iterable[str]) -> str | None:
    """The URL without the parameters of `names` left blank, or None when none is.

    A page's form sends every field, "All areas" as `area=`; the filters take an empty
    value for a mistake (it matches nothing), so the page sends the reader on to its
    permalink without them.
    """
    blank = [name for name in names if request.GET.get(name, "x").strip() == ""]
    if not blank:
        return None
    params = request.GET.copy()
    for name in blank:
        del params[name]
    return f"{request.path}?{params.urlencode()}" if params else request.path


def without_blank_filters(request: HttpRequest) -> str | None:
    """The scorecard's URL without the filters left blank (`without_blank_parameters`)."""
    return without_blank_parameters(request, (*SCORECARD_PARAMETERS, "page"))


def get_report(slug: str) -> Report:
    report = Report.objects.select_related("grade_scale").filter(slug=slug).first()
    if report is None:
        raise NotFound(gettext("There is no report “%(slug)s”.") % {"slug": slug})
    return report


def published_edition_for(report: Report, slug: str) -> Edition | None:
    """The published edition of this report called `slug` (BadParameter if there is none)."""
    if not slug:
        return None
    edition = queries.published_editions().filter(report=report, slug=slug).first()
    if edition is None:
        raise BadParameter(
            "edition",
            gettext("%(report)s has no published edition “%(slug)s”.")
            % {"report": report.short_name, "slug": slug},
        )
    return edition


# --- Shared pieces --------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """How many recommendations sit at each grade, best first, with the ungraded last."""

    segments: list[charts.Segment]

    @property
    def total(self) -> int:
        return sum(segment.count for segment in self.segments)

    @property
    def graded(self) -> int:
        return sum(segment.count for segment in self.segments if segment.grade is not None)

    @property
    def not_rateable(self) -> int:
        return sum(segment.count for segment in self.segments if segment.not_rateable)

    @property
    def present(self) -> list[charts.Segment]:
        return [segment for segment in self.segments if segment.count]

    @property
    def bar(self) -> str:
        return charts.distribution_bar(self.segments)


def distribution(grades: Sequence[Grade], counts: dict[int | str | None, int]) -> Distribution:
    """Each grade's count, best first; then the not rateable, then the not yet graded."""
    segments = [charts.Segment(grade, counts.get(grade.pk, 0)) for grade in grades]
    segments.append(charts.Segment(None, counts.get(NOT_RATEABLE, 0), not_rateable=True))
    segments.append(charts.Segment(None, counts.get(None, 0)))
    return Distribution(segments)


def _judgment_key(evaluation: Evaluation | None) -> int | str | None:
    """What `distribution` counts an evaluation under (tracker.queries.grade_distribution)."""
    if evaluation is None:
        return None
    return NOT_RATEABLE if evaluation.is_not_rateable else evaluation.grade_id


def count_grades(evaluations: Iterable[Evaluation | None]) -> dict[int | str | None, int]:
    return Counter(_judgment_key(evaluation) for evaluation in evaluations)


# --- Overview -------------------------------------------------------------------------------


@public
def home(request: HttpRequest) -> HttpResponse:
    permalink = without_blank_parameters(request, (*REPORT_PARAMETERS, "page"))
    if permalink is not None:
        return redirect(permalink)
    number, filters = paging.page_and_filters(
        request.GET, lambda: parse_report_filters(request.GET)
    )
    size = listings.REPORTS_PAGE_SIZE
    count, reports = listings.reports_page(filters, limit=size, offset=(number - 1) * size)
    if number > 1 and not reports:
        raise NotFound(gettext("There is no page %(number)s of the reports.") % {"number": number})
    pager = paging.Pager(number, count, size, request.path, filters.params())
    # The figures of this page's reports only: a page costs the same at 2 reports or 1,000.
    shown = [report.pk for report in reports]
    grades_by_scale: dict[int, list[Grade]] = {}
    for grade in Grade.objects.order_by("scale_id", "-score"):
        grades_by_scale.setdefault(grade.scale_id, []).append(grade)
    counts = queries.grade_distribution(
        Recommendation.objects.filter(report_id__in=shown), by="report"
    )
    last_published = queries.reports_last_published(shown)
    editions: dict[int, list[Edition]] = {}
    for edition in (
        queries.published_editions().filter(report_id__in=shown).order_by("as_of", "published_at")
    ):
        editions.setdefault(edition.report_id, []).append(edition)
    for report in reports:
        report.distribution = distribution(
            grades_by_scale.get(report.grade_scale_id, []), counts.get(report.pk, {})
        )
        report.last_published = last_published.get(report.pk)
        report.edition_list = editions.get(report.pk, [])
    changes = _describe_changes(queries.grade_changes(limit=8))
    translations.attach(
        [*reports, *(g for grades in grades_by_scale.values() for g in grades)]
        + [edition for report in reports for edition in report.edition_list]
        + [e for evaluation in changes for e in (evaluation.recommendation, evaluation.grade)]
    )
    return render(
        request,
        "scorecard/home.html",
        {
            "reports": reports,
            "changes": changes,
            "filters": filters,
            "pager": pager,
            # One page of reports and no filter: the page as it always looked, no form.
            "show_finder": pager.paged or filters.narrowing,
        },
    )


def _describe_changes(evaluations: Iterable[Evaluation]) -> list[Evaluation]:
    for evaluation in evaluations:
        evaluation.change = describe_change(
            evaluation.previous_grade_score, _score(evaluation), evaluation.previous_judged
        )
    return list(evaluations)


def _score(evaluation: Evaluation | None) -> int | None:
    return None if evaluation is None or evaluation.is_not_rateable else evaluation.grade.score


def describe_change(before: int | None, after: int | None, judged_before: bool = False) -> str:
    """'first graded', 'raised', 'lowered', 'unchanged' or 'not rateable', from the grade
    scores (None: no grade; `judged_before`: the one before was not rateable)."""
    if after is None:
        return "not rateable"
    if before is None and judged_before:
        return "graded"
    if before is None:
        return "first graded"
    if after > before:
        return "raised"
    if after < before:
        return "lowered"
    return "unchanged"


# --- A report's scorecard -------------------------------------------------------------------


@public
def report_scorecard(request: HttpRequest, report: str) -> HttpResponse:
    permalink = without_blank_filters(request)
    if permalink is not None:
        return redirect(permalink)
    report = get_report(report)
    grades = list(report.grade_scale.grades.order_by("-score"))

    def read_filters() -> tuple[RecommendationFilters, listings.ScorecardFigures]:
        filters = scorecard_filters(request, report)
        # The figures count every recommendation of the report, whichever page is shown.
        figures = listings.scorecard_figures(report, filters, grades)
        listings.check_filters_named_something(report, filters, figures)
        return filters, figures

    number, (filters, figures) = paging.page_and_filters(request.GET, read_filters)
    areas = list(report.areas.order_by("position"))
    size = listings.RECOMMENDATIONS_PAGE_SIZE
    pager = paging.Pager(
        number, figures.matching, size, request.path, filters.params(SCORECARD_PARAMETERS)
    )
    pager.check_found(
        gettext("There is no page %(number)s of %(report)s’s recommendations.")
        % {"number": number, "report": report.short_name}
    )
    page = listings.scorecard_page(report, filters, limit=size, offset=pager.offset)
    editions = list(queries.published_editions().filter(report=report).order_by("as_of"))
    sections = _scorecard_sections(areas, grades, figures, page, pager, filters)
    grade_counts = figures.grades
    # Each actor counts the recommendations addressed to it or to a body within it, as the
    # filter finds them (tracker.actors); two queries whatever the size.
    named = actors.recommendation_actors(report.recommendations.all())
    actor_tree = actors.ActorTree.read()
    actor_counts = actors.counts_within(actor_tree, named)
    unspecified = figures.total - len(named)
    due = figures.due
    translations.attach(
        [report, report.grade_scale, *grades, *areas, *editions]
        + [e for row in page.rows for e in (row, _grade_of(row.current_evaluation))]
    )
    export_query = urlencode(filters.params(SCORECARD_PARAMETERS))
    context = {
        "report": report,
        "description": render_markdown(report.description),
        "grades": grades,
        "areas": areas,
        "filters": filters,
        "sections": sections,
        "overall": distribution(grades, grade_counts),
        "shown_count": figures.matching,
        "total_count": figures.total,
        "pager": pager,
        "grade_options": [
            (grade.slug, translations.text_of(grade, "label"), grade_counts.get(grade.pk, 0))
            for grade in grades
        ]
        + [
            (NOT_RATEABLE, gettext("Not rateable"), grade_counts.get(NOT_RATEABLE, 0)),
            (UNGRADED, gettext("Not yet graded"), grade_counts.get(None, 0)),
        ],
        "actor_options": [
            (actor.slug, "— " * depth + actor.name, actor_counts[actor.pk])
            for actor, depth in actor_tree.in_order()
            if actor_counts.get(actor.pk)
        ]
        + ([(actors.UNSPECIFIED, gettext("Not specified"), unspecified)] if unspecified else []),
        "due_options": [
            (deadlines.OVERDUE, pgettext("due date", "Overdue"), due[deadlines.OVERDUE]),
            (
                deadlines.SOON,
                gettext("Due within %(days)s days") % {"days": deadlines.DUE_SOON_DAYS},
                due[deadlines.SOON],
            ),
        ],
        "topic_options": listings.topic_counts(report),
        "editions": editions,
        # The downloads take the same filters: what the reader sees is what they get.
        "export_query": f"?{export_query}" if export_query else "",
        "today": timezone.localdate(),
    }
    return render(request, "scorecard/report.html", context)


def _scorecard_sections(
    areas: list,
    grades: list[Grade],
    figures: listings.ScorecardFigures,
    page: listings.ScorecardPage,
    pager: paging.Pager,
    filters: RecommendationFilters,
) -> list[dict[str, Any]]:
    """The areas a page of the scorecard shows, in order, each with its rows on the page.

    The pages cut the list area by area: an area begun on an earlier page comes first,
    `continued`; an area without recommendations is shown where the list reaches it (on the
    first page before any, on the last after all). Filtered, only areas with matches show.
    """
    index = {area.pk: n for n, area in enumerate(areas)}
    if pager.number == 1 or page.before is None:
        low = 0
    elif page.rows and page.rows[0].area_id == page.before.area_id:
        low = index[page.before.area_id]
    else:
        low = index[page.before.area_id] + 1
    high = len(areas) - 1 if page.after is None else index[page.rows[-1].area_id]
    continued = page.before.area_id if page.before is not None else None
    sections = []
    for area in areas[low : high + 1]:
        rows = [row for row in page.rows if row.area_id == area.pk]
        if filters.narrowing and not rows:
            continue
        sections.append(
            {
                "area": area,
                "rows": rows,
                "shown": figures.matching_by_area.get(area.pk, 0),
                "continued": bool(rows) and area.pk == continued,
                "distribution": distribution(grades, figures.grades_by_area.get(area.pk, {})),
            }
        )
    return sections


def _grade_of(evaluation: Evaluation | None) -> Grade | None:
    return evaluation.grade if evaluation is not None else None


# --- One recommendation ---------------------------------------------------------------------


def _history_key(evaluation: Evaluation, now: datetime.datetime) -> tuple:
    # The order of grade_timeline (as_of, then publication); an unpublished preview counts
    # as published now, an unsaved one after every saved one.
    return (evaluation.as_of, evaluation.published_at or now, evaluation.pk or float("inf"))


def recommendation_page_context(
    recommendation: Recommendation,
    *,
    preview: Evaluation | None = None,
    preview_evidence: Iterable[EvidenceLink] | None = None,
) -> dict[str, Any]:
    """Everything `scorecard/recommendation.html` shows about a recommendation.

    With `preview` (an unsaved or draft evaluation, which must have a grade), the page shows
    it as if it were published, in its place in the history, and is bannered "Preview — not
    published". The preview's evidence is read from the database when it is saved;
    for an unsaved one pass `preview_evidence` (unsaved EvidenceLink objects with sources).
    Responses showing a preview must not be cached publicly (`Cache-Control: private`).
    """
    report = recommendation.report
    grades = list(report.grade_scale.grades.order_by("-score"))
    timeline = queries.grade_timeline(recommendation)
    for evaluation in timeline:
        evaluation.evidence_list = list(evaluation.evidence.all())
        evaluation.is_preview = False
    if preview is not None:
        if preview.pk is not None:
            evidence = list(preview.evidence.select_related("source").order_by("position", "id"))
        else:
            evidence = list(preview_evidence or [])
        preview.evidence_list = evidence
        preview.is_preview = True
        now = timezone.now()
        timeline = [e for e in timeline if preview.pk is None or e.pk != preview.pk]
        timeline.append(preview)
        timeline.sort(key=lambda evaluation: _history_key(evaluation, now))

    # Evaluators in the order they first graded it; each keeps its marker on every page.
    evaluators: dict[int | None, Any] = {}
    latest_by_evaluator: dict[int | None, Evaluation] = {}
    previous = None
    for evaluation in timeline:
        evaluators.setdefault(evaluation.evaluator_id, evaluation.evaluator)
        evaluation.change = describe_change(
            _score(previous), _score(evaluation), previous is not None
        )
        evaluation.previous = previous
        evaluation.narrative_html = render_markdown(evaluation.narrative)
        latest_by_evaluator[evaluation.evaluator_id] = evaluation
        previous = evaluation
    markers = charts.evaluator_markers(evaluators)
    for evaluation in timeline:
        evaluation.marker_index = markers[evaluation.evaluator_id]
        evaluation.marker = charts.marker_svg(
            evaluation.marker_index, charts.judgment_fill(evaluation)
        )

    # What the actor says (tracker.responses), beside what the evaluators assessed.
    responses = actor_responses.response_timeline(recommendation)
    for response in responses:
        response.statement_html = render_markdown(response.statement)
        response.source_list = list(response.sources.all())
    claims = actor_responses.claims_and_assessments(responses, timeline) if responses else []

    current = timeline[-1] if timeline else None
    chart = (
        charts.grade_history_chart(
            timeline, grades, start=report.published_on, evaluator_markers=markers
        )
        if timeline
        else ""
    )
    related = queries.related_recommendations(recommendation)
    editions = queries.recommendation_editions(recommendation)
    # Every text of the record the page shows, in the page's language (one query).
    translations.attach(
        [report, recommendation, recommendation.area, *grades]
        + [e for evaluation in timeline for e in (evaluation, evaluation.grade)]
        + [link for evaluation in timeline for link in evaluation.evidence_list]
        + [item.recommendation for item in related]
        + [
            grade
            for item in related
            if item.recommendation.current_evaluation is not None
            for grade in (item.recommendation.current_evaluation.grade,)
        ]
        + [entry.edition for entry in editions]
    )
    return {
        "report": report,
        "recommendation": recommendation,
        "area": recommendation.area,
        "topics": list(recommendation.topics.all()),
        "actors": list(recommendation.actors.order_by("name", "id")),
        "due_state": deadlines.due_state(
            recommendation.due_on, current.grade if current and not current.is_preview else None
        ),
        "grades": grades,
        "timeline": timeline,
        "newest_first": list(reversed(timeline)),
        "current": current,
        "chart": chart,
        # Each evaluator's marker in the colour of its latest grade, as the chart draws it.
        "evaluator_legend": [
            (latest_by_evaluator[evaluator_id].marker, evaluator)
            for evaluator_id, evaluator in evaluators.items()
        ]
        if len(evaluators) > 1
        else [],
        "side_by_side": list(latest_by_evaluator.values()) if len(latest_by_evaluator) > 1 else [],
        "related": related,
        "responses": responses,
        "claims": claims,
        "editions": editions,
        "preview": preview is not None,
        # The preview is shown among the published evaluations, but is not one of them.
        "published_count": sum(not evaluation.is_preview for evaluation in timeline),
        "badge_path": reverse("recommendation-badge", args=[report.slug, recommendation.slug]),
        # The badge's size, so the page does not shift when the image arrives.
        "badge_width": charts.badge_width(recommendation.code, _badge_label(current)),
        "badge_height": charts.BADGE_HEIGHT,
    }


UNGRADED_BADGE_LABEL = "not yet graded"


def _ungraded_badge_label() -> str:
    """The badge's label for a recommendation no evaluation has graded, in the language of
    the request."""
    return gettext(UNGRADED_BADGE_LABEL)


def _badge_label(current: Evaluation | None) -> str:
    if current is None:
        return _ungraded_badge_label()
    return current.judgment_label


def get_recommendation(report: str, code: str, *, with_topics: bool = True) -> Recommendation:
    recommendations = Recommendation.objects.select_related("report__grade_scale", "area")
    if with_topics:
        recommendations = recommendations.prefetch_related("topics")
    recommendation = recommendations.filter(report__slug=report, code=code.upper()).first()
    if recommendation is None:
        raise NotFound(
            gettext("There is no recommendation %(code)s in the report “%(report)s”.")
            % {"code": code.upper(), "report": report}
        )
    return recommendation


@public
def recommendation_page(request: HttpRequest, report: str, code: str) -> HttpResponse:
    if code != code.lower():
        return redirect("recommendation", report=report, code=code.lower(), permanent=True)
    recommendation = get_recommendation(report, code)
    context = recommendation_page_context(recommendation)
    # The embed code names the canonical site, whichever host name the page was read under.
    context["embed_page_url"] = absolute_url(request, request.path)
    context["embed_badge_url"] = absolute_url(request, context["badge_path"])
    return render(request, "scorecard/recommendation.html", context)


@public
def recommendation_badge(request: HttpRequest, report: str, code: str) -> HttpResponse:
    """An embeddable SVG badge: the code and its current published grade."""
    recommendation = get_recommendation(report, code, with_topics=False)
    current = queries.attach_current_evaluations(
        queries.with_current_grade(Recommendation.objects.filter(pk=recommendation.pk))
    )[0].current_evaluation
    if current is None:
        label, colour = _ungraded_badge_label(), "#5a6270"
        title = f"{recommendation.code}: {label}"
    else:
        label, colour = _badge_label(current), charts.judgment_fill(current)
        title = gettext("%(code)s: %(grade)s (as of %(date)s)") % {
            "code": recommendation.code,
            "grade": label,
            "date": current.as_of.isoformat(),
        }
    svg = charts.badge(recommendation.code, label, colour, title=title)
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    # Badges are embedded on other sites: let them be shown there, but nothing else.
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


# --- Grade colours --------------------------------------------------------------------------


@require_safe
def grade_stylesheet(request: HttpRequest) -> HttpResponse:
    """The grade colours as CSS classes (`.grade-<id>`): data, so not in the static file.

    Served from our own origin, so the strict style-src policy allows it.
    """
    css = charts.grade_css(queries.grade_colours())
    etag = f'"{hashlib.sha256(css.encode()).hexdigest()[:16]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    return response
