"""The editions' public pages: `/editions/` (every published edition, by report), an
edition as it was frozen, and what changed between two editions of one report. Like every
public page (scorecard/views.py), each reads through `tracker.queries` and runs a fixed
number of queries whatever the size of the data.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from scorecard.public import BadParameter, NotFound, public
from scorecard.views import count_grades, distribution
from tracker import comparisons, queries, translations
from tracker import responses as actor_responses
from tracker.markdown import render_markdown
from tracker.models import Edition


@public
def editions_index(request: HttpRequest) -> HttpResponse:
    by_report: dict[int, dict[str, Any]] = {}
    for edition in queries.published_editions().order_by(
        "report__published_on", "report__slug", "as_of", "published_at"
    ):
        entry = by_report.setdefault(edition.report_id, {"report": edition.report, "editions": []})
        entry["editions"].append(edition)
    groups = list(by_report.values())
    for group in groups:
        group["pairs"] = list(zip(group["editions"], group["editions"][1:], strict=False))
    return render(request, "scorecard/editions.html", {"groups": groups})


def get_published_edition(slug: str) -> Edition:
    edition = (
        queries.published_editions().select_related("report__grade_scale").filter(slug=slug).first()
    )
    if edition is None:
        raise NotFound(gettext("There is no published edition “%(slug)s”.") % {"slug": slug})
    return edition


@public
def edition_page(request: HttpRequest, edition: str) -> HttpResponse:
    edition = get_published_edition(edition)
    report = edition.report
    grades = list(report.grade_scale.grades.order_by("-score"))
    entries = queries.edition_entries(edition)
    frozen = {rec: entry.frozen_evaluation() for rec, entry in entries.items()}
    queries.show_grades_as_frozen(grades, frozen.values())
    recommendations = list(
        report.recommendations.select_related("area").order_by("area__position", "position")
    )
    sections: dict[int, dict[str, Any]] = {}
    for recommendation in recommendations:
        recommendation.frozen = frozen.get(recommendation.pk)
        # The code and title the edition froze (the link still goes to the live page).
        recommendation.page_slug = recommendation.slug
        if recommendation.pk in entries:
            entries[recommendation.pk].show_recommendation_on(recommendation)
        section = sections.setdefault(
            recommendation.area_id, {"area": recommendation.area, "rows": []}
        )
        section["rows"].append(recommendation)
    for section in sections.values():
        section["distribution"] = distribution(
            grades, count_grades(row.frozen for row in section["rows"])
        )
    others = list(
        queries.published_editions().filter(report=report).exclude(pk=edition.pk).order_by("as_of")
    )
    # What the actors said, as the edition froze it (tracker.responses.frozen_in), under the
    # code and title the edition froze, in report order.
    said: dict[int, list] = {}
    (edition,) = actor_responses.attach_frozen_responses([edition])
    for response in edition.frozen_responses:
        response.statement_html = render_markdown(response.statement)
        response.source_list = list(response.sources.all())
        said.setdefault(response.recommendation_id, []).append(response)
    frozen_responses = [(r, said[r.pk]) for r in recommendations if r.pk in said]
    # The texts as the edition froze them in every language: the translations published
    # by the time it was (tracker.rules freezes those), in one query.
    translations.attach(
        [edition, report, *grades, *others, *recommendations]
        + [section["area"] for section in sections.values()]
        + [e for e in frozen.values() if e is not None]
        + [e.grade for e in frozen.values() if e is not None],
        published_before=edition.published_at,
    )
    return render(
        request,
        "scorecard/edition.html",
        {
            "edition": edition,
            "report": report,
            "grades": grades,
            "sections": list(sections.values()),
            "overall": distribution(
                grades, count_grades(frozen.get(r.pk) for r in recommendations)
            ),
            "others": others,
            "frozen_responses": frozen_responses,
        },
    )


@public
def edition_compare(request: HttpRequest, edition: str, other: str) -> HttpResponse:
    found = {
        e.slug: e
        for e in queries.published_editions()
        .select_related("report__grade_scale")
        .filter(slug__in=[edition, other])
    }
    for slug in (edition, other):
        if slug not in found:
            raise NotFound(gettext("There is no published edition “%(slug)s”.") % {"slug": slug})
    # An edition compared with itself is a comparison too (everything unchanged), as the
    # API answers it; the page says so and offers the real comparisons.
    before, after = found[edition], found[other]
    if before.report_id != after.report_id:
        raise BadParameter(
            "edition",
            gettext(
                "“%(before)s” (%(before_report)s) and “%(after)s” (%(after_report)s) grade "
                "different reports; compare editions of one report."
            )
            % {
                "before": before.name,
                "before_report": before.report.short_name,
                "after": after.name,
                "after_report": after.report.short_name,
            },
        )
    report = before.report
    diff = comparisons.edition_diff(before, after)
    grades = list(report.grade_scale.grades.order_by("-score"))
    editions = list(queries.published_editions().filter(report=report).order_by("as_of"))
    # The page's texts in its language, in one query (none in English): today's published
    # translations, as the API's comparison gives them, since the titles shown are today's.
    evaluations = [e for change in diff.changes for e in (change.before, change.after) if e]
    translations.attach(
        [before, after, report, *grades, *editions]
        + [change.recommendation for change in diff.changes]
        + evaluations
        + [e.grade for e in evaluations]
    )
    groups = [
        ("improved", gettext("Improved"), diff.improved),
        ("declined", gettext("Declined"), diff.declined),
        ("newly-graded", gettext("Newly graded"), diff.newly_graded),
        ("no-longer-graded", gettext("No longer graded"), diff.no_longer_graded),
        ("unchanged", gettext("Unchanged"), diff.unchanged),
    ]
    return render(
        request,
        "scorecard/compare.html",
        {
            "report": report,
            "before": before,
            "after": after,
            "same_edition": before.pk == after.pk,
            "diff": diff,
            "groups": groups,
            "grades": grades,
            "other_pairs": [
                (a, b)
                for a in editions
                for b in editions
                if a.as_of < b.as_of and {a.pk, b.pk} != {before.pk, after.pk}
            ],
            "before_distribution": distribution(
                grades, count_grades(change.before for change in diff.changes)
            ),
            "after_distribution": distribution(
                grades, count_grades(change.after for change in diff.changes)
            ),
        },
    )
