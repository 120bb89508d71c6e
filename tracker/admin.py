"""The editors' workspace. Every model is registered; writes go through tracker.services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from tracker import models


@admin.register(models.GradeScale)
class GradeScaleAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]


@admin.register(models.Grade)
class GradeAdmin(admin.ModelAdmin):
    list_display = ["label", "scale", "score", "colour"]
    list_select_related = ["scale"]
    list_filter = ["scale"]


@admin.register(models.Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["short_name", "title", "published_on"]
    prepopulated_fields = {"slug": ["short_name"]}


@admin.register(models.Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "report", "position"]
    list_select_related = ["report"]
    list_filter = ["report"]


@admin.register(models.Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]


@admin.register(models.Recommendation)
class RecommendationAdmin(SimpleHistoryAdmin):
    list_display = ["code", "title", "report", "area", "actor"]
    list_select_related = ["report", "area"]
    list_filter = ["report", "area", "actor"]
    search_fields = ["code", "title", "text"]


@admin.register(models.RecommendationLink)
class RecommendationLinkAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "target"]
    list_select_related = ["source", "target"]
    raw_id_fields = ["source", "target"]


@admin.register(models.Evaluator)
class EvaluatorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "affiliation"]


@admin.register(models.Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "publisher", "published_on", "kind"]
    search_fields = ["title", "author", "publisher", "url"]


@admin.register(models.Evaluation)
class EvaluationAdmin(SimpleHistoryAdmin):
    list_display = ["recommendation", "grade", "evaluator", "as_of", "status"]
    list_select_related = ["recommendation", "grade", "evaluator"]
    list_filter = ["status", "evaluator"]


@admin.register(models.EvidenceLink)
class EvidenceLinkAdmin(SimpleHistoryAdmin):
    list_display = ["evaluation", "source", "stance"]
    list_select_related = ["evaluation__recommendation", "evaluation__grade", "source"]
    raw_id_fields = ["evaluation", "source"]


@admin.register(models.Edition)
class EditionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "report", "as_of", "status", "published_at"]
    list_select_related = ["report"]


@admin.register(models.EditionEntry)
class EditionEntryAdmin(admin.ModelAdmin):
    list_display = ["edition", "recommendation", "evaluation"]
    list_select_related = ["edition", "recommendation", "evaluation__grade"]
    raw_id_fields = ["recommendation", "evaluation"]
