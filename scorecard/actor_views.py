"""The actors' public pages: `/actors/` (every actor, each government with the bodies within
it) and `/actors/<actor>/` (its record across every report, tracker.actor_records)."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from scorecard.public import BadParameter, NotFound, public
from tracker import actor_records, translations


@public
def actors_index(request: HttpRequest) -> HttpResponse:
    # Each body under its government, marked by its depth (a dash per level).
    actors = [(actor, "\u2014 " * depth, n) for actor, depth, n in actor_records.actor_index()]
    return render(request, "scorecard/actors.html", {"actors": actors})


@public
def actor_page(request: HttpRequest, actor: str) -> HttpResponse:
    try:
        years = actor_records.parse_years(request.GET.get("years"))
    except ValueError as error:
        raise BadParameter("years", str(error)) from None
    try:
        page = actor_records.parse_page(request.GET.get("page"))
    except ValueError as error:
        raise BadParameter("page", str(error)) from None
    record = actor_records.actor_record(actor, years=years, page=page)
    if record is None:
        raise NotFound(gettext("There is no actor “%(actor)s”.") % {"actor": actor})
    if not record.page_found:
        raise NotFound(
            gettext("There is no page %(page)s of %(actor)s’s recommendations.")
            % {"page": page, "actor": record.actor.name}
        )
    # The page's texts in its language (titles, reports, grades), in one query; none in
    # English.
    translations.attach(
        [row.grade for row in record.distribution]
        + record.recommendations
        + [rec.report for rec in record.recommendations]
    )
    # The pager's links keep `years` as asked.
    kept = {"years": years} if "years" in request.GET else {}

    def page_url(number: int) -> str:
        params = {**kept, "page": number} if number > 1 else kept
        return f"{request.path}?{urlencode(params)}" if params else request.path

    context = {
        "record": record,
        "actor": record.actor,
        "previous_url": page_url(page - 1) if page > 1 else "",
        "next_url": page_url(page + 1) if page < record.last_page else "",
    }
    return render(request, "scorecard/actor.html", context)
