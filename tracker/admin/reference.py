"""Reference data (from the scorecard files, read-only here) and evaluators."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import models, rules, services
from tracker.admin.base import URL_FIELDS, ReferenceAdmin, grade_chip
from tracker.rules import Operation


@admin.register(models.GradeScale)
class GradeScaleAdmin(ReferenceAdmin):
    list_display = ["name", "slug"]


@admin.register(models.Grade)
class GradeAdmin(ReferenceAdmin):
    list_display = ["label", "chip", "scale", "score"]
    list_select_related = ["scale"]
    list_filter = ["scale"]
    # What readers are told about a level, apart from how graders choose it.
    fieldsets = [
        (None, {"fields": ["scale", "slug", "label", "score", "colour"]}),
        (_("For readers"), {"fields": ["description"]}),
        (_("For graders"), {"fields": ["guidance"]}),
    ]

    @admin.display(description=_("as shown"))
    def chip(self, obj: models.Grade):
        return grade_chip(obj)


@admin.register(models.Report)
class ReportAdmin(ReferenceAdmin):
    list_display = ["short_name", "title", "published_on", "grade_scale"]
    list_select_related = ["grade_scale"]
    actions = ["freeze_edition"]

    @admin.action(description=_("Freeze an edition of this report"), permissions=["publish"])
    def freeze_edition(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        reports = list(queryset[:2])
        if len(reports) != 1:
            self.message_user(
                request, gettext("Choose exactly one report to freeze."), messages.WARNING
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:tracker_edition_add") + f"?report={reports[0].pk}"
        )

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return rules.may(request.user, Operation.FREEZE_EDITION)


@admin.register(models.Area)
class AreaAdmin(ReferenceAdmin):
    list_display = ["name", "report", "position"]
    list_select_related = ["report"]
    list_filter = ["report"]


@admin.register(models.Topic)
class TopicAdmin(ReferenceAdmin):
    list_display = ["name", "slug"]


@admin.register(models.RecommendationLink)
class RecommendationLinkAdmin(ReferenceAdmin):
    list_display = ["source", "kind", "target"]
    list_select_related = ["source", "target"]


@admin.register(models.Evaluator)
class EvaluatorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "affiliation"]
    search_fields = ["name", "affiliation"]
    prepopulated_fields = {"slug": ["name"]}
    formfield_overrides = URL_FIELDS

    def save_model(self, request, obj, form, change):
        services.save_evaluator(evaluator=obj, user=request.user)
