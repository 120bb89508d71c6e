"""The actors' public pages: `/actors/` (every actor, each government with the bodies within
it) and `/actors/<actor>/` (its record across every report, tracker.actor_records)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from scorecard.public import BadParameter, NotFound, public
from tracker import actor_records


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
    record = actor_records.actor_record(actor, years=years)
    if record is None:
        raise NotFound(gettext("There is no actor “%(actor)s”.") % {"actor": actor})
    context = {"record": record, "actor": record.actor}
    return render(request, "scorecard/actor.html", context)
