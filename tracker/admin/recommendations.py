"""Recommendations: corrected here, their evaluations listed; frozen ones keep their words."""

from django.contrib import admin
from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import forms, models, queries, rules, services
from tracker.admin.base import ServiceAdmin, grade_chip
from tracker.rules import Operation


class EvaluationInline(admin.TabularInline):
    """A recommendation's evaluations, newest first, drafts included, to open and edit."""

    model = models.Evaluation
    verbose_name_plural = _("Evaluations (newest first, drafts included)")
    fields = ["as_of", "grade_shown", "wording", "evaluator", "status", "author", "open"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("grade", "evaluator", "author", "recommendation")
            .order_by("-as_of", "-published_at", "-id")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("grade"))
    def grade_shown(self, obj: models.Evaluation):
        return grade_chip(obj.grade)

    @admin.display(description="")
    def open(self, obj: models.Evaluation):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:tracker_evaluation_change", args=[obj.pk]),
            gettext("open"),
        )


@admin.register(models.Recommendation)
class RecommendationAdmin(ServiceAdmin):
    form = forms.RecommendationForm
    change_form_template = "admin/tracker/recommendation/change_form.html"
    list_display = ["code", "title", "current_grade", "drafts", "area"]
    list_display_links = ["code", "title"]
    list_select_related = ["report", "area"]
    list_filter = ["report", "area", "actors"]
    search_fields = ["code", "title", "text"]
    filter_horizontal = ["topics"]
    inlines = [EvaluationInline]
    fieldsets = [
        (
            None,
            {"fields": ["report", "code", "title", "area", "position", "addressed_to", "topics"]},
        ),
        (_("Deadline"), {"fields": ["due_on", "due_set_by"]}),
        (_("The recommendation, verbatim"), {"fields": ["text"]}),
        (_("Grades so far (published)"), {"fields": ["grade_timeline"]}),
    ]

    @admin.display(description=_("Actors"))
    def addressed_to(self, obj: models.Recommendation) -> str:
        return ", ".join(actor.name for actor in obj.actors.all()) or gettext("Not specified")

    def view_on_site(self, obj: models.Recommendation) -> str:
        return reverse("recommendation", args=[obj.report.slug, obj.slug])

    def get_queryset(self, request):
        recommendations = queries.with_current_grade(super().get_queryset(request))
        current_grade = models.Grade.objects.filter(pk=OuterRef("current_grade_id"))
        return recommendations.annotate(
            current_grade_label=Subquery(current_grade.values("label")[:1]),
            current_grade_colour=Subquery(current_grade.values("colour")[:1]),
            draft_count=Count("evaluations", filter=Q(evaluations__status=models.Status.DRAFT)),
        )

    @admin.display(description=_("current grade"), ordering="current_grade_label")
    def current_grade(self, obj: models.Recommendation):
        return grade_chip(None, obj.current_grade_label, obj.current_grade_colour)

    @admin.display(description=_("drafts"), ordering="draft_count")
    def drafts(self, obj: models.Recommendation) -> int:
        return obj.draft_count

    @admin.display(description=_("timeline"))
    def grade_timeline(self, obj: models.Recommendation):
        timeline = queries.grade_timeline(obj) if obj.pk else []
        if not timeline:
            return gettext("Not graded yet.")
        return format_html(
            '<ol class="grade-timeline">{}</ol>',
            format_html_join(
                "",
                "<li><time>{}</time> {} <span>{}{}</span></li>",
                (
                    (
                        e.as_of.isoformat(),
                        grade_chip(e.grade),
                        e.evaluator,
                        f" — “{e.wording}”" if e.wording else "",
                    )
                    for e in timeline
                ),
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = ["report", "grade_timeline"]
        if rules.frozen_in(obj) is not None:
            # (Its actors are shown by the field of the form that edits them.)
            frozen = [f for f in rules.RECOMMENDATION_FIELDS_FROZEN if f != "actors"]
            readonly += [*frozen, "addressed_to"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "area" in form.base_fields:
            form.base_fields["area"].queryset = models.Area.objects.filter(report=obj.report_id)
        return form

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        context = {
            **(extra_context or {}),
            "frozen_in": rules.frozen_in(obj),
            "log_evaluation_url": (
                reverse("admin:tracker_evaluation_add") + f"?recommendation={obj.pk}"
                if obj is not None
                else None
            ),
            "can_log_evaluation": self.admin_site._registry[models.Evaluation].has_add_permission(
                request
            ),
        }
        return super().change_view(request, object_id, form_url, context)

    def has_add_permission(self, request):
        # Recommendations come from the report's file (import_scorecard).
        return rules.may(request.user, Operation.CREATE_RECOMMENDATION)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and rules.role_may_ever(
            request.user, Operation.CHANGE_RECOMMENDATION
        )

    def has_delete_permission(self, request, obj=None):
        return rules.may(request.user, Operation.DELETE_RECOMMENDATION, obj)

    def save_model(self, request, obj, form, change):
        changes = {
            name: form.cleaned_data[name]
            for name in rules.RECOMMENDATION_FIELDS
            if name in form.changed_data
        }
        topics = form.cleaned_data.get("topics") if "topics" in form.fields else None
        actors = form.cleaned_data.get("addressed_to") if "addressed_to" in form.fields else None
        services.update_recommendation(
            recommendation=obj, changes=changes, topics=topics, actors=actors, user=request.user
        )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # topics were saved with the recommendation, by the service

    def construct_change_message(self, request, form, formsets, add=False):
        return super().construct_change_message(request, form, [], add)
