"""The readers' search across every report (`/search/`): the words, the filters of the
report pages (tracker/filters.py, one meaning everywhere), results by relevance with the
matching words marked, each linking to the page (and the evaluation) it is about.

Published data only, like every public page (`public`: conditional, cacheable, kept in the
response cache under the data's state). Four queries whatever the size of the data, one
more on a page in another language than English (the translations its results are shown
in: tracker/search_hits.py).
"""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from scorecard.public import BadParameter, NotFound, public
from tracker import search, translations
from tracker.actors import UNSPECIFIED, ActorTree
from tracker.filters import SEARCH_PARAMETERS, parse_filters
from tracker.models import Report

PAGE_SIZE = 20
MAX_PAGE = 10_000


def _without_blanks(request: HttpRequest) -> str | None:
    """The URL without the parameters the form left blank ("All reports" is `report=`), or
    None when none is: a blank filter is a mistake to the filters, not "any"."""
    blank = [
        name
        for name in (*SEARCH_PARAMETERS, "page")
        if name in request.GET and not request.GET[name].strip()
    ]
    if not blank:
        return None
    params = request.GET.copy()
    for name in blank:
        del params[name]
    return f"{request.path}?{params.urlencode()}" if params else request.path


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadParameter(
            "page",
            gettext("The page is a whole number from 1 to %(max)s.") % {"max": f"{MAX_PAGE:,}"},
        )
    return int(raw)


@public
def search_page(request: HttpRequest) -> HttpResponse:
    permalink = _without_blanks(request)
    if permalink is not None:
        return redirect(permalink)
    reports = list(Report.objects.order_by("published_on", "slug").only("slug", "short_name"))
    # The actor filter's choices, as on the report page: each actor, its bodies within it.
    actor_choices = [
        (actor.slug, "— " * depth + actor.name) for actor, depth in ActorTree.read().in_order()
    ] + [(UNSPECIFIED, gettext("Not specified"))]
    context = {"reports": reports, "actors": actor_choices, "hits": [], "searched": False}
    if "q" not in request.GET:
        translations.attach(reports)  # their names in the page's language (none in English)
        context["filters"] = parse_filters({}, accepted=())
        return render(request, "scorecard/search.html", context)
    filters = parse_filters(request.GET, accepted=SEARCH_PARAMETERS)
    number = _page_number(request)
    count, hits = search.page(
        filters,
        drafts_visible=False,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
        also=reports,  # the filter's report names, translated in the hits' one query
    )
    if number > 1 and not hits:
        raise NotFound(
            gettext("There is no page %(number)s of these results.") % {"number": number}
        )
    params = filters.params(SEARCH_PARAMETERS)
    last = (count - 1) // PAGE_SIZE + 1 if count else 1
    context.update(
        filters=filters,
        searched=True,
        hits=hits,
        count=count,
        number=number,
        last=last,
        first_shown=(number - 1) * PAGE_SIZE + 1,
        last_shown=(number - 1) * PAGE_SIZE + len(hits),
        previous_url=f"?{urlencode({**params, 'page': number - 1})}" if number > 1 else "",
        next_url=f"?{urlencode({**params, 'page': number + 1})}" if number < last else "",
    )
    return render(request, "scorecard/search.html", context)
