from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from scorecard import (
    actor_views,
    edition_views,
    exports,
    follow_views,
    json_exports,
    response_exports,
    search_views,
    views,
)
from scorecard.feeds import GradeChangesFeed

# Public URLs are a contract (docs: DESIGN.md, README "Public site"): extend, never rename.
# Every page, feed and export exists in each language of settings.LANGUAGES: English at these
# URLs, the others under their prefix (/ja/…); see scorecard/languages.py.
public_pages = [
    path("", views.home, name="home"),
    path("feed/", views.public(GradeChangesFeed()), name="feed"),
    path("search/", search_views.search_page, name="search"),
    path("editions/", edition_views.editions_index, name="editions"),
    path("editions/<slug:edition>/", edition_views.edition_page, name="edition"),
    path(
        "editions/<slug:edition>/compare/<slug:other>/",
        edition_views.edition_compare,
        name="edition-compare",
    ),
    path("actors/", actor_views.actors_index, name="actors"),
    path("actors/<slug:actor>/", actor_views.actor_page, name="actor"),
    path("reports/<slug:report>/", views.report_scorecard, name="report"),
    path("reports/<slug:report>/feed/", views.public(GradeChangesFeed()), name="report-feed"),
    path("reports/<slug:report>/export.csv", exports.scorecard_csv, name="report-export-csv"),
    path(
        "reports/<slug:report>/export.json",
        json_exports.scorecard_json,
        name="report-export-json",
    ),
    path(
        "reports/<slug:report>/evaluations.csv",
        exports.evaluations_csv,
        name="report-evaluations-csv",
    ),
    path("reports/<slug:report>/evidence.csv", exports.evidence_csv, name="report-evidence-csv"),
    path(
        "reports/<slug:report>/responses.csv",
        response_exports.responses_csv,
        name="report-responses-csv",
    ),
    path("reports/<slug:report>/<str:code>/", views.recommendation_page, name="recommendation"),
    path(
        "reports/<slug:report>/<str:code>/badge.svg",
        views.recommendation_badge,
        name="recommendation-badge",
    ),
    # Following grades by e-mail (scorecard/follow_views.py).
    path("follow/", follow_views.follow, name="follow"),
    path("follow/confirm/<str:token>/", follow_views.confirm, name="follow-confirm"),
    path("follow/manage/<str:token>/", follow_views.manage, name="follow-manage"),
    path("follow/unsubscribe/<str:token>/", follow_views.unsubscribe, name="follow-unsubscribe"),
]

# Without a language prefix: the grades' stylesheet (no words in it), the editors' admin and
# the partner API (one address in every language: it negotiates, scorecard/languages.py).
urlpatterns = [
    path("grades.css", views.grade_stylesheet, name="grade-stylesheet"),
    path("admin/", admin.site.urls),
    path("api/", include("scorecard.api.urls")),
    *i18n_patterns(*public_pages, prefix_default_language=False),
]

handler404 = "scorecard.views.not_found"
handler500 = "scorecard.errors.server_error"
