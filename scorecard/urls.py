from django.contrib import admin
from django.urls import include, path

from scorecard import actor_views, exports, follow_views, response_exports, search_views, views
from scorecard.feeds import GradeChangesFeed

# Public URLs are a contract (docs: DESIGN.md, README "Public site"): extend, never rename.
urlpatterns = [
    path("", views.home, name="home"),
    path("grades.css", views.grade_stylesheet, name="grade-stylesheet"),
    path("feed/", views.public(GradeChangesFeed()), name="feed"),
    path("search/", search_views.search_page, name="search"),
    path("editions/", views.editions_index, name="editions"),
    path("editions/<slug:edition>/", views.edition_page, name="edition"),
    path(
        "editions/<slug:edition>/compare/<slug:other>/",
        views.edition_compare,
        name="edition-compare",
    ),
    path("actors/", actor_views.actors_index, name="actors"),
    path("actors/<slug:actor>/", actor_views.actor_page, name="actor"),
    path("reports/<slug:report>/", views.report_scorecard, name="report"),
    path("reports/<slug:report>/feed/", views.public(GradeChangesFeed()), name="report-feed"),
    path("reports/<slug:report>/export.csv", exports.scorecard_csv, name="report-export-csv"),
    path("reports/<slug:report>/export.json", exports.scorecard_json, name="report-export-json"),
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
    path("admin/", admin.site.urls),
    path("api/", include("scorecard.api.urls")),
]

handler404 = "scorecard.views.not_found"
handler500 = "scorecard.errors.server_error"
