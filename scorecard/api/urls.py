"""The partner API, version 1 (see README, "Partner API"), its schema and its docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from scorecard.api import actor_views, errors, search, views, webhooks
from scorecard.api.responses import ResponseViewSet
from scorecard.api.schema import SchemaView

app_name = "api"


class Router(DefaultRouter):
    include_format_suffixes = False


router = Router()
router.register("reports", views.ReportViewSet, basename="report")
router.register("areas", views.AreaViewSet, basename="area")
router.register("grade-scales", views.GradeScaleViewSet, basename="grade-scale")
router.register("recommendations", views.RecommendationViewSet, basename="recommendation")
router.register("evaluations", views.EvaluationViewSet, basename="evaluation")
router.register("evaluators", views.EvaluatorViewSet, basename="evaluator")
router.register("sources", views.SourceViewSet, basename="source")
router.register("editions", views.EditionViewSet, basename="edition")
router.register("actors", actor_views.ActorViewSet, basename="actor")
# Partners' webhook endpoints (issue 16).
router.register("webhooks", webhooks.WebhookEndpointViewSet, basename="webhook")
# What the actor says (issue 17).
router.register("responses", ResponseViewSet, basename="response")
router.register("search", search.SearchViewSet, basename="search")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path(
        "docs/",
        # The split view serves its init script from a URL: no inline script, CSP-clean.
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="scorecard/api/docs.html"
        ),
        name="docs",
    ),
    # Anything else under /api/ is a JSON 404, not the site's HTML error page.
    re_path(r"^", errors.not_found),
]
