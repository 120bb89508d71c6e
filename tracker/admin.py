"""The editors' workspace: the Django admin, writing only through tracker.services.

Who may do what is decided by Django model permissions (given to the Editor and Publisher
groups by migration 0003_roles) and, for publishing and freezing editions, by
`tracker.roles.can_publish`. Reference data (reports, areas, grade scales, topics) comes
from the scorecard files (`import_scorecard`) and is read-only here.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models import URLField as DbURLField
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from tracker import forms, models, queries, roles, services
from tracker.markdown import render_markdown

admin.site.site_header = "Alliance Scorecard — editors"
admin.site.site_title = "Alliance Scorecard editors"
admin.site.index_title = "The record"


def grade_chip(grade: models.Grade | None, label: str | None = None, colour: str | None = None):
    """A grade as readers see it: its label on its colour."""
    if grade is not None:
        label, colour = grade.label, grade.colour
    if not label:
        return "—"
    return format_html(
        '<span class="grade-chip" style="--grade-colour: {}">{}</span>', colour or "#555", label
    )


# Addresses typed without a scheme are taken as https (Django 6's default, chosen now).
URL_FIELDS = {DbURLField: {"assume_scheme": "https"}}


def _adopt(obj: Any, saved: Any) -> None:
    """Make the admin's unsaved instance the object a service has just created."""
    obj.pk = saved.pk
    obj.refresh_from_db()


class ServiceAdmin(SimpleHistoryAdmin):
    """An admin whose writes go through tracker.services, with history on every object.

    A service may refuse a write that the form could not foresee (someone else saved
    first; a rule checked inside the transaction). The admin's transaction is then rolled
    back whole, and the form is shown again with the refusal on the fields it names.
    """

    formfield_overrides = URL_FIELDS

    class Media:
        css = {"all": ["tracker/admin.css"]}

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:
            if request.method != "POST" or getattr(request, "_refusal", None) is not None:
                raise
            # The first pass's transaction is rolled back by now; the second pass only
            # validates (the form fails with the refusal) and shows the editor's input again.
            request._refusal = refusal
            context = {**(extra_context or {}), **self.refusal_context(request, refusal)}
            return super().changeform_view(request, object_id, form_url, context)

    def refusal_context(self, request: HttpRequest, refusal: ValidationError) -> dict:
        return {}

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.refusal = getattr(request, "_refusal", None)
        return form

    def save_model(self, request, obj, form, change):
        raise NotImplementedError(f"{type(self).__name__} must save through tracker.services")

    def delete_model(self, request, obj):
        raise NotImplementedError(f"{type(self).__name__} must delete through tracker.services")

    def get_actions(self, request: HttpRequest) -> dict:
        # Bulk delete would bypass the services' rules; objects are deleted one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # History is for reading: reverting would write around the services.
    def revert_disabled(self, request: HttpRequest, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return roles.can_publish(request.user)

    def refuse_delete(self, request: HttpRequest, obj, reason: str) -> HttpResponseRedirect:
        self.message_user(request, reason, messages.ERROR)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )


class ReferenceAdmin(admin.ModelAdmin):
    """Reference data, edited in the scorecard files and loaded with import_scorecard."""

    formfield_overrides = URL_FIELDS

    class Media:
        css = {"all": ["tracker/admin.css"]}

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.GradeScale)
class GradeScaleAdmin(ReferenceAdmin):
    list_display = ["name", "slug"]


@admin.register(models.Grade)
class GradeAdmin(ReferenceAdmin):
    list_display = ["label", "chip", "scale", "score"]
    list_select_related = ["scale"]
    list_filter = ["scale"]

    @admin.display(description="as shown")
    def chip(self, obj: models.Grade):
        return grade_chip(obj)


@admin.register(models.Report)
class ReportAdmin(ReferenceAdmin):
    list_display = ["short_name", "title", "published_on", "grade_scale"]
    list_select_related = ["grade_scale"]
    actions = ["freeze_edition"]

    @admin.action(description="Freeze an edition of this report", permissions=["publish"])
    def freeze_edition(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        reports = list(queryset[:2])
        if len(reports) != 1:
            self.message_user(request, "Choose exactly one report to freeze.", messages.WARNING)
            return None
        return HttpResponseRedirect(
            reverse("admin:tracker_edition_add") + f"?report={reports[0].pk}"
        )

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return roles.can_publish(request.user)


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


# Sources ------------------------------------------------------------------------------


@admin.register(models.Source)
class SourceAdmin(ServiceAdmin):
    form = forms.SourceForm
    list_display = ["title", "kind", "publisher", "published_on", "link", "cited"]
    list_filter = ["kind"]
    search_fields = ["title", "key", "author", "publisher", "url"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(cited_count=Count("evidence"))

    @admin.display(description="cited by", ordering="cited_count")
    def cited(self, obj: models.Source) -> int:
        return obj.cited_count

    @admin.display(description="URL")
    def link(self, obj: models.Source):
        if not obj.url:
            return "—"
        return format_html('<a href="{}" rel="noopener noreferrer">open</a>', obj.url)

    def _frozen_in(self, obj: models.Source | None) -> models.Edition | None:
        if obj is None or obj.pk is None:
            return None
        if not hasattr(obj, "_frozen_in"):
            obj._frozen_in = services.edition_relying_on_source(obj)
        return obj._frozen_in

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._frozen_in(obj) is not None:
            open_fields = services.SOURCE_FIELDS_OPEN_WHEN_FROZEN
            readonly += [f for f in forms.SourceForm.Meta.fields if f not in open_fields]
        return readonly

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        edition = self._frozen_in(obj)
        if edition is not None and request.method == "GET":
            self.message_user(
                request,
                f"Cited in the published edition “{edition.name}”, which never changes: "
                f"only the archived URL can still be added.",
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if change:
            services.update_source(source=obj, changes=fields, user=request.user)
            obj.refresh_from_db()
        else:
            values = {name: form.cleaned_data.get(name) for name in form.fields}
            values = {k: v for k, v in values.items() if v not in (None, "")}
            _adopt(obj, services.create_source(**values, user=request.user))

    def delete_model(self, request, obj):
        services.delete_source(source=obj, user=request.user)


# Recommendations ----------------------------------------------------------------------


class EvaluationInline(admin.TabularInline):
    """A recommendation's evaluations, newest first, drafts included, to open and edit."""

    model = models.Evaluation
    verbose_name_plural = "Evaluations (newest first, drafts included)"
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

    @admin.display(description="grade")
    def grade_shown(self, obj: models.Evaluation):
        return grade_chip(obj.grade)

    @admin.display(description="")
    def open(self, obj: models.Evaluation):
        return format_html(
            '<a href="{}">open</a>', reverse("admin:tracker_evaluation_change", args=[obj.pk])
        )


@admin.register(models.Recommendation)
class RecommendationAdmin(ServiceAdmin):
    form = forms.RecommendationForm
    change_form_template = "admin/tracker/recommendation/change_form.html"
    list_display = ["code", "title", "current_grade", "drafts", "area"]
    list_display_links = ["code", "title"]
    list_select_related = ["report", "area"]
    list_filter = ["report", "area", "actor"]
    search_fields = ["code", "title", "text"]
    filter_horizontal = ["topics"]
    inlines = [EvaluationInline]
    fieldsets = [
        (None, {"fields": ["report", "code", "title", "area", "position", "actor", "topics"]}),
        ("The recommendation, verbatim", {"fields": ["text"]}),
        ("Grades so far (published)", {"fields": ["grade_timeline"]}),
    ]

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

    @admin.display(description="current grade", ordering="current_grade_label")
    def current_grade(self, obj: models.Recommendation):
        return grade_chip(None, obj.current_grade_label, obj.current_grade_colour)

    @admin.display(description="drafts", ordering="draft_count")
    def drafts(self, obj: models.Recommendation) -> int:
        return obj.draft_count

    @admin.display(description="timeline")
    def grade_timeline(self, obj: models.Recommendation):
        timeline = queries.grade_timeline(obj) if obj.pk else []
        if not timeline:
            return "Not graded yet."
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

    def _frozen_in(self, obj):
        if obj is None or obj.pk is None:
            return None
        if not hasattr(obj, "_frozen_in"):
            obj._frozen_in = services.edition_relying_on_recommendation(obj)
        return obj._frozen_in

    def get_readonly_fields(self, request, obj=None):
        readonly = ["report", "grade_timeline"]
        if self._frozen_in(obj) is not None:
            readonly += list(services.RECOMMENDATION_FIELDS)
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
            "frozen_in": self._frozen_in(obj),
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
        return False  # recommendations come from the report's file (import_scorecard)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {
            name: form.cleaned_data[name]
            for name in services.RECOMMENDATION_FIELDS
            if name in form.changed_data
        }
        topics = form.cleaned_data.get("topics") if "topics" in form.fields else None
        services.update_recommendation(
            recommendation=obj, changes=changes, topics=topics, user=request.user
        )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # topics were saved with the recommendation, by the service

    def construct_change_message(self, request, form, formsets, add=False):
        return super().construct_change_message(request, form, [], add)


# Evaluations --------------------------------------------------------------------------


def frozen_in(evaluation: models.Evaluation | None) -> models.Edition | None:
    """The published edition an evaluation is frozen in (cached on the object)."""
    if evaluation is None or evaluation.pk is None:
        return None
    if not hasattr(evaluation, "_frozen_in"):
        evaluation._frozen_in = services.relied_on_by_edition(evaluation)
    return evaluation._frozen_in


def read_only_reason(request: HttpRequest, evaluation: models.Evaluation | None) -> str | None:
    """Why this person may not change this evaluation, or None when they may."""
    if evaluation is None or evaluation.pk is None:
        return None
    edition = frozen_in(evaluation)
    if edition is not None:
        return (
            f"This evaluation is frozen in the published edition “{edition.name}”, which "
            f"never changes. To correct it, log a new evaluation."
        )
    if evaluation.is_published and not roles.can_publish(request.user):
        return (
            "This evaluation is published: only a publisher can change it, or withdraw it "
            "to draft so that you can."
        )
    return None


class EvidenceInline(admin.StackedInline):
    model = models.EvidenceLink
    form = forms.EvidenceForm
    formset = forms.EvidenceFormSet
    autocomplete_fields = ["source"]
    extra = 1
    verbose_name = "piece of evidence"
    verbose_name_plural = "Evidence (at least one before publishing)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source").order_by("position", "id")

    def get_fieldsets(self, request, obj=None):
        cited = (None, {"fields": ["source", "stance", "quote", "page"]})
        if read_only_reason(request, obj):
            return [cited]
        # One field a line: Django opens a collapsed fieldset with errors only then.
        new_source = (
            "Not on file yet? Add a new source",
            {
                "fields": [
                    "new_source_title",
                    "new_source_url",
                    "new_source_archived_url",
                    "new_source_publisher",
                    "new_source_published_on",
                    "new_source_kind",
                ],
                "classes": ["collapse", "new-source"],
            },
        )
        return [cited, new_source]

    def _may_edit(self, request, obj) -> bool:
        return read_only_reason(request, obj) is None and request.user.has_perm(
            "tracker.change_evaluation"
        )

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj) and super().has_delete_permission(request, obj)


@admin.register(models.Evaluation)
class EvaluationAdmin(ServiceAdmin):
    form = forms.EvaluationForm
    change_form_template = "admin/tracker/evaluation/change_form.html"
    object_history_template = "admin/tracker/evaluation/object_history.html"
    inlines = [EvidenceInline]
    # What tells evaluations apart first; the rest may scroll on a narrow screen.
    list_display = [
        "recommendation_code",
        "as_of",
        "grade_shown",
        "status",
        "evaluator",
        "wording_shown",
        "author",
        "updated_at",
    ]
    list_display_links = ["recommendation_code", "grade_shown"]
    list_select_related = ["recommendation__report", "grade", "evaluator", "author"]
    list_filter = ["status", "recommendation__report", "evaluator"]
    search_fields = ["recommendation__code", "recommendation__title", "wording", "narrative"]
    ordering = ["-updated_at", "-id"]
    autocomplete_fields = ["recommendation", "publication"]
    actions = ["publish_selected", "withdraw_selected"]
    list_per_page = 50

    # List columns -------------------------------------------------------------------

    @admin.display(description="recommendation", ordering="recommendation__position")
    def recommendation_code(self, obj: models.Evaluation):
        recommendation = obj.recommendation
        return format_html(
            '<span title="{}: {}">{}</span>',
            recommendation.report.short_name,
            recommendation.title,
            recommendation.code,
        )

    @admin.display(description="their words", ordering="wording")
    def wording_shown(self, obj: models.Evaluation) -> str:
        return Truncator(obj.wording).chars(60) or "—"

    @admin.display(description="grade", ordering="grade__score")
    def grade_shown(self, obj: models.Evaluation):
        return grade_chip(obj.grade)

    # The form -----------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        judgment = ["recommendation", "grade", "wording", "as_of", "evaluator", "publication"]
        if obj is None or read_only_reason(request, obj) is None:
            judgment.append("loaded_version")
        fieldsets = [
            ("The judgment", {"fields": judgment}),
            ("Narrative", {"fields": ["narrative"] + (["narrative_shown"] if obj else [])}),
        ]
        if obj is not None:
            fieldsets.append(
                (
                    "Record",
                    {
                        "fields": [
                            "status",
                            "frozen",
                            ("author", "created_at"),
                            ("updated_at", "version"),
                            "published_at",
                        ]
                    },
                )
            )
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "recommendation",
            "narrative_shown",
            "status",
            "frozen",
            "author",
            "created_at",
            "updated_at",
            "version",
            "published_at",
        ]

    @admin.display(description="as readers will see it")
    def narrative_shown(self, obj: models.Evaluation):
        if not obj.narrative.strip():
            return "(no narrative yet)"
        html = render_markdown(obj.narrative)
        return format_html('<div class="narrative-preview">{}</div>', html)

    @admin.display(description="frozen in")
    def frozen(self, obj: models.Evaluation):
        edition = frozen_in(obj)
        return edition.name if edition else "no published edition"

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("as_of", timezone.localdate())
        return initial

    # Permissions --------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not read_only_reason(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not obj.is_published)

    # Writes -------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        # An evaluation and its evidence are one write (one version, one history entry),
        # made by one service call in save_related, which also sees the evidence formset.
        pass

    def save_related(self, request, form, formsets, change):
        evidence_formset = next(f for f in formsets if isinstance(f, forms.EvidenceFormSet))
        new, changed, removed = evidence_formset.evidence_edits()
        if change:
            expected = form.cleaned_data.get("loaded_version")
            if expected is None:
                raise ValidationError({"version": "The form lost track of its version; reload."})
            services.update_evaluation(
                evaluation=form.instance,
                expected_version=expected,
                changes=form.changes(),
                user=request.user,
                new_evidence=new,
                evidence_changes=changed,
                removed_evidence=removed,
            )
            form.instance.refresh_from_db()
        else:
            data = form.cleaned_data
            created = services.record_evaluation(
                recommendation=data["recommendation"],
                evaluator=data["evaluator"],
                grade=data["grade"],
                as_of=data["as_of"],
                wording=data.get("wording", ""),
                narrative=data.get("narrative", ""),
                publication=data.get("publication"),
                author=request.user,
                evidence=new,
            )
            _adopt(form.instance, created)

    def construct_change_message(self, request, form, formsets, add=False):
        # The evidence formset is saved by the service, not by the admin; its changes are
        # in the evidence's own history.
        return super().construct_change_message(request, form, [], add)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.is_published and self.has_view_permission(request, obj):
            return self.refuse_delete(
                request,
                obj,
                "A published evaluation cannot be deleted: readers may have cited it. "
                "Withdraw it to draft first, or log a new evaluation to correct it.",
            )
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        services.delete_evaluation(evaluation=obj, user=request.user)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A draft's evidence goes with it (the service deletes both); evidence is never
        # deleted on its own page, so its admin grants no delete permission of its own.
        perms_needed.discard(models.EvidenceLink._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    # The conflict of two editors ----------------------------------------------------

    def refusal_context(self, request, refusal):
        if not isinstance(refusal, services.StaleVersionError):
            return {}
        return {"conflict": conflict_report(refusal.current, refusal.expected_version)}

    # Publishing ---------------------------------------------------------------------

    @admin.action(description="Publish selected evaluations", permissions=["publish"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = self._apply_to_each(
            request, queryset.filter(status=models.Status.DRAFT), services.publish_evaluation,
            "Not published",
        )  # fmt: skip
        if done:
            self.message_user(request, f"Published {plural(done, 'evaluation')}.")

    @admin.action(description="Withdraw selected evaluations to draft", permissions=["publish"])
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = self._apply_to_each(
            request, queryset.filter(status=models.Status.PUBLISHED), services.unpublish_evaluation,
            "Not withdrawn",
        )  # fmt: skip
        if done:
            self.message_user(request, f"Withdrew {plural(done, 'evaluation')} to draft.")

    def _apply_to_each(self, request, queryset, service, refused: str) -> int:
        """Run a service on each evaluation on its own, naming each one it refuses."""
        done = 0
        for evaluation in queryset.select_related("recommendation", "grade", "evaluator"):
            try:
                service(evaluation=evaluation, user=request.user)
            except ValidationError as refusal:
                self.message_user(
                    request,
                    f"{refused}: {describe(evaluation)} — {' '.join(refusal.messages)}",
                    messages.ERROR,
                )
            else:
                done += 1
        return done

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/publish/", view(self.publish_view), name="tracker_publish"),
            path("<path:object_id>/withdraw/", view(self.withdraw_view), name="tracker_withdraw"),
            path("<path:object_id>/preview/", view(self.preview_view), name="tracker_preview"),
            *super().get_urls(),
        ]

    def _change_url(self, evaluation: models.Evaluation) -> str:
        return reverse("admin:tracker_evaluation_change", args=[evaluation.pk])

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_publish_permission(request):
            raise PermissionDenied
        evaluation = get_object_or_404(models.Evaluation, pk=object_id)
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            services.publish_evaluation(
                evaluation=evaluation, user=request.user, expected_version=version
            )
        except services.StaleVersionError:
            self.message_user(
                request,
                "Not published: someone changed this evaluation after you opened it. "
                "Read the current version below, then publish again.",
                messages.ERROR,
            )
        except ValidationError as refusal:
            for message in refusal.messages:
                self.message_user(request, f"Not published: {message}", messages.ERROR)
        else:
            self.message_user(request, f"Published {describe(evaluation)}.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(evaluation))

    def withdraw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_publish_permission(request):
            raise PermissionDenied
        evaluation = get_object_or_404(models.Evaluation, pk=object_id)
        try:
            services.unpublish_evaluation(evaluation=evaluation, user=request.user)
        except ValidationError as refusal:
            for message in refusal.messages:
                self.message_user(request, f"Not withdrawn: {message}", messages.ERROR)
        else:
            self.message_user(request, f"Withdrew {describe(evaluation)} to draft.")
        return HttpResponseRedirect(self._change_url(evaluation))

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The public recommendation page exactly as readers would see it with this draft."""
        evaluation = get_object_or_404(
            models.Evaluation.objects.select_related("recommendation__report"), pk=object_id
        )
        if not (roles.can_see_drafts(request.user) and self.has_view_permission(request)):
            raise PermissionDenied
        # The admin (write side) borrows the public page to show it; imported here so the
        # tracker app does not depend on the public site at import time.
        from scorecard.views import recommendation_page_context

        context = recommendation_page_context(evaluation.recommendation, preview=evaluation)
        response = TemplateResponse(request, "scorecard/recommendation.html", context)
        # A draft must never be kept by a shared cache, nor indexed.
        patch_cache_control(response, private=True, no_store=True)
        response["X-Robots-Tag"] = "noindex"
        return response

    def add_view(self, request, form_url="", extra_context=None):
        context = {"title": "Log an evaluation", **(extra_context or {})}
        return super().add_view(request, form_url, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None:
            context.update(
                read_only_reason=read_only_reason(request, obj),
                can_publish=self.has_publish_permission(request),
                publication_problems=(
                    list(services.publication_problems(obj).values())
                    if not obj.is_published
                    else []
                ),
                preview_url=reverse("admin:tracker_preview", args=[obj.pk]),
                log_evaluation_url=(
                    reverse("admin:tracker_evaluation_add")
                    + f"?recommendation={obj.recommendation_id}"
                    if self.has_add_permission(request)
                    else None
                ),
                publish_url=reverse("admin:tracker_publish", args=[obj.pk]),
                withdraw_url=reverse("admin:tracker_withdraw", args=[obj.pk]),
            )
        return super().change_view(request, object_id, form_url, context)

    def history_view(self, request, object_id, extra_context=None):
        evidence_history = (
            models.EvidenceLink.history.filter(evaluation_id=object_id)
            .select_related("history_user", "source")
            .order_by("-history_date", "-history_id")
        )
        context = {**(extra_context or {}), "evidence_history": evidence_history}
        return super().history_view(request, object_id, context)


def describe(evaluation: models.Evaluation) -> str:
    return f"{evaluation.recommendation.code} as of {evaluation.as_of} by {evaluation.evaluator}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


CONFLICT_FIELDS = (*services.EDITABLE_EVALUATION_FIELDS, "status")


def conflict_report(current: models.Evaluation, expected_version: int) -> dict[str, Any]:
    """What changed between the version an editor opened and the one saved since."""
    history = current.history.select_related("history_user").order_by("-history_date")
    latest = history.first()
    loaded = history.filter(version=expected_version).last()
    rows = []
    if latest is not None and loaded is not None:
        delta = latest.diff_against(loaded, included_fields=CONFLICT_FIELDS)
        labels = {f.name: f.verbose_name for f in models.Evaluation._meta.fields}
        for change in delta.changes:
            rows.append(
                {
                    "field": labels[change.field].capitalize(),
                    "was": _shown(current, change.field, change.old),
                    "now": _shown(current, change.field, change.new),
                }
            )
    # The services date a version's history at the start of its write, so the evidence
    # changed since the editor's version is what was recorded from the next version on.
    since = history.filter(version__gt=expected_version).last()
    evidence = []
    if since is not None:
        evidence = list(
            models.EvidenceLink.history.filter(
                evaluation_id=current.pk, history_date__gte=since.history_date
            )
            .select_related("source", "history_user")
            .order_by("history_date", "history_id")
        )
    return {
        "rows": rows,
        "evidence": evidence,
        "by": latest.history_user if latest is not None else None,
        "at": latest.history_date if latest is not None else None,
        "version": current.version,
        "expected_version": expected_version,
    }


def _shown(evaluation: models.Evaluation, field: str, value: Any) -> str:
    """A raw value from history as an editor would recognise it."""
    model_field = models.Evaluation._meta.get_field(field)
    if model_field.is_relation and value is not None:
        related = model_field.related_model.objects.filter(pk=value).first()
        return str(related) if related is not None else f"(deleted #{value})"
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    return "—" if value in (None, "") else str(value)


# Evidence and editions ----------------------------------------------------------------


@admin.register(models.EvidenceLink)
class EvidenceLinkAdmin(ServiceAdmin):
    """Evidence is edited on its evaluation's page; here it can be found and its history read."""

    list_display = ["source", "stance", "evaluation_shown", "page"]
    list_select_related = [
        "evaluation__recommendation",
        "evaluation__grade",
        "evaluation__evaluator",
        "source",
    ]
    list_filter = ["stance"]
    search_fields = ["source__title", "quote", "evaluation__recommendation__code"]

    @admin.display(description="evaluation")
    def evaluation_shown(self, obj: models.EvidenceLink):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:tracker_evaluation_change", args=[obj.evaluation_id]),
            obj.evaluation,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EditionEntryInline(admin.TabularInline):
    """The grades an edition froze. Entries are made only by freezing an edition, and are
    shown here rather than on pages of their own."""

    model = models.EditionEntry
    fields = ["recommendation", "grade", "evaluator", "as_of"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Frozen grades"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("recommendation", "evaluation__grade", "evaluation__evaluator")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="grade")
    def grade(self, obj: models.EditionEntry):
        return grade_chip(obj.evaluation.grade)

    @admin.display(description="evaluator")
    def evaluator(self, obj: models.EditionEntry):
        return obj.evaluation.evaluator

    @admin.display(description="as of")
    def as_of(self, obj: models.EditionEntry):
        return obj.evaluation.as_of


@admin.register(models.Edition)
class EditionAdmin(ServiceAdmin):
    form = forms.EditionForm
    change_form_template = "admin/tracker/edition/change_form.html"
    list_display = ["name", "report", "as_of", "status", "published_at", "grades"]
    list_select_related = ["report"]
    list_filter = ["report", "status"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_count=Count("entries"))

    @admin.display(description="grades frozen", ordering="entry_count")
    def grades(self, obj: models.Edition) -> int:
        return obj.entry_count

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["report", "name", "slug", "as_of", "description"]
        return ["report", "name", "slug", "as_of", "status", "published_at", "description"]

    def get_inlines(self, request, obj):
        return [EditionEntryInline] if obj is not None else []

    def get_prepopulated_fields(self, request, obj=None):
        return {"slug": ["name"]} if obj is None else {}

    def has_add_permission(self, request):
        return roles.can_publish(request.user)

    def has_change_permission(self, request, obj=None):
        return False  # a published edition never changes; a new one is frozen instead

    def has_delete_permission(self, request, obj=None):
        return roles.can_publish(request.user) and (obj is None or not obj.is_published)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and obj.is_published and self.has_view_permission(request, obj):
            return self.refuse_delete(
                request,
                obj,
                f"“{obj.name}” is published: published editions never change and cannot be "
                f"deleted, because readers cite them. Freeze a new edition instead.",
            )
        return super().delete_view(request, object_id, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        context = {"title": "Freeze an edition", **(extra_context or {})}
        return super().add_view(request, form_url, context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        edition = services.publish_edition(
            report=data["report"],
            slug=data["slug"],
            name=data["name"],
            as_of=data["as_of"],
            description=data.get("description", ""),
            user=request.user,
        )
        _adopt(obj, edition)

    def delete_model(self, request, obj):
        services.delete_edition(edition=obj, user=request.user)
