"""Evaluations: drafts, evidence, publishing, and the conflict of two editors."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tracker import forms, mail_tasks, models, roles, rules, services
from tracker.admin.base import NOT_RATEABLE_CHIP, ServiceAdmin, _adopt, grade_chip
from tracker.markdown import render_markdown
from tracker.rules import Operation


def read_only_reason(request: HttpRequest, evaluation: models.Evaluation | None) -> str | None:
    """Why this person may not change this evaluation, or None when they may."""
    if evaluation is None or evaluation.pk is None:
        return None
    refused = rules.refusal(request.user, Operation.CHANGE_EVALUATION, evaluation)
    return refused.reason if refused is not None else None


class EvidenceInline(admin.StackedInline):
    model = models.EvidenceLink
    form = forms.EvidenceForm
    formset = forms.EvidenceFormSet
    autocomplete_fields = ["source"]
    extra = 1
    verbose_name = _("piece of evidence")
    verbose_name_plural = _("Evidence (at least one before publishing)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source").order_by("position", "id")

    def get_fieldsets(self, request, obj=None):
        cited = (None, {"fields": ["source", "stance", "quote", "page"]})
        if read_only_reason(request, obj):
            return [cited]
        # One field a line: Django opens a collapsed fieldset with errors only then.
        new_source = (
            _("Not on file yet? Add a new source"),
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

    # Evidence follows its evaluation's rules (tracker.rules), within the model permission.
    def _may(self, request, operation: Operation, obj) -> bool:
        return request.user.has_perm("tracker.change_evaluation") and rules.may(
            request.user, operation, obj
        )

    def has_add_permission(self, request, obj=None):
        return self._may(request, Operation.CITE_EVIDENCE, obj) and super().has_add_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return self._may(request, Operation.CHANGE_EVIDENCE, obj) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return self._may(request, Operation.REMOVE_EVIDENCE, obj) and super().has_delete_permission(
            request, obj
        )


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

    @admin.display(description=_("recommendation"), ordering="recommendation__position")
    def recommendation_code(self, obj: models.Evaluation):
        recommendation = obj.recommendation
        return format_html(
            '<span title="{}: {}">{}</span>',
            recommendation.report.short_name,
            recommendation.title,
            recommendation.code,
        )

    @admin.display(description=_("their words"), ordering="wording")
    def wording_shown(self, obj: models.Evaluation) -> str:
        return Truncator(obj.wording).chars(60) or "—"

    @admin.display(description=_("grade"), ordering="grade__score")
    def grade_shown(self, obj: models.Evaluation):
        if obj.is_not_rateable:
            return grade_chip(None, models.NOT_RATEABLE_LABEL, NOT_RATEABLE_CHIP)
        return grade_chip(obj.grade)

    # The form -----------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        judgment = [
            "recommendation",
            "grade",
            "not_rateable_reason",
            "wording",
            "as_of",
            "evaluator",
            "publication",
        ]
        if obj is None or read_only_reason(request, obj) is None:
            judgment.append("loaded_version")
        fieldsets = [
            (_("The judgment"), {"fields": judgment}),
            (_("Narrative"), {"fields": ["narrative"] + (["narrative_shown"] if obj else [])}),
        ]
        if obj is not None:
            fieldsets.append(
                (
                    _("Record"),
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

    @admin.display(description=_("as readers will see it"))
    def narrative_shown(self, obj: models.Evaluation):
        if not obj.narrative.strip():
            return gettext("(no narrative yet)")
        html = render_markdown(obj.narrative)
        return format_html('<div class="narrative-preview">{}</div>', html)

    @admin.display(description=_("frozen in"))
    def frozen(self, obj: models.Evaluation):
        edition = rules.frozen_in(obj)
        return edition.name if edition else gettext("no published edition")

    # Permissions --------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not read_only_reason(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and rules.may(request.user, Operation.DELETE_EVALUATION, obj)

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
                raise ValidationError(
                    {"version": gettext("The form lost track of its version; reload.")}
                )
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
                not_rateable_reason=data.get("not_rateable_reason", ""),
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
        refused = rules.refusal(request.user, Operation.DELETE_EVALUATION, obj) if obj else None
        if refused and not refused.about_role and self.has_view_permission(request, obj):
            return self.refuse_delete(request, obj, refused.reason)
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

    @admin.action(description=_("Publish selected evaluations"), permissions=["publish"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        with mail_tasks.publishing_round():  # one e-mail per follower for all of them
            done = self._apply_to_each(
                request, queryset.filter(status=models.Status.DRAFT), services.publish_evaluation,
                gettext("Not published"),
            )  # fmt: skip
        if done:
            self.message_user(
                request,
                ngettext(
                    "Published %(count)d evaluation.", "Published %(count)d evaluations.", done
                )
                % {"count": done},
            )

    @admin.action(description=_("Withdraw selected evaluations to draft"), permissions=["publish"])
    def withdraw_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = self._apply_to_each(
            request, queryset.filter(status=models.Status.PUBLISHED), services.unpublish_evaluation,
            gettext("Not withdrawn"),
        )  # fmt: skip
        if done:
            self.message_user(
                request,
                ngettext(
                    "Withdrew %(count)d evaluation to draft.",
                    "Withdrew %(count)d evaluations to draft.",
                    done,
                )
                % {"count": done},
            )

    def _apply_to_each(self, request, queryset, service, refused: str) -> int:
        """Run a service on each evaluation on its own, naming each one it refuses."""
        done = 0
        for evaluation in queryset.select_related("recommendation", "grade", "evaluator"):
            try:
                service(evaluation=evaluation, user=request.user)
            except ValidationError as refusal:
                self.message_user(
                    request,
                    gettext("%(refused)s: %(evaluation)s — %(reasons)s")
                    % {
                        "refused": refused,
                        "evaluation": describe(evaluation),
                        "reasons": " ".join(refusal.messages),
                    },
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
                gettext(
                    "Not published: someone changed this evaluation after you opened it. "
                    "Read the current version below, then publish again."
                ),
                messages.ERROR,
            )
        except ValidationError as refusal:
            for message in refusal.messages:
                self.message_user(
                    request,
                    gettext("Not published: %(reason)s") % {"reason": message},
                    messages.ERROR,
                )
        else:
            self.message_user(
                request,
                gettext("Published %(evaluation)s.") % {"evaluation": describe(evaluation)},
                messages.SUCCESS,
            )
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
                self.message_user(
                    request,
                    gettext("Not withdrawn: %(reason)s") % {"reason": message},
                    messages.ERROR,
                )
        else:
            self.message_user(
                request,
                gettext("Withdrew %(evaluation)s to draft.") % {"evaluation": describe(evaluation)},
            )
        return HttpResponseRedirect(self._change_url(evaluation))

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The public recommendation page exactly as readers would see it with this draft."""
        evaluation = get_object_or_404(
            models.Evaluation.objects.select_related("recommendation__report"), pk=object_id
        )
        if not (roles.can_see_drafts(request.user) and self.has_view_permission(request)):
            raise PermissionDenied
        if evaluation.is_published:
            # Nothing to preview: readers see it already, on the public page.
            return HttpResponseRedirect(public_url(evaluation))
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
        context = {"title": gettext("Log an evaluation"), **(extra_context or {})}
        return super().add_view(request, form_url, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if obj is not None:
            context.update(
                read_only_reason=read_only_reason(request, obj),
                can_publish=self.has_publish_permission(request),
                publication_problems=(
                    list(rules.publication_problems(obj).values()) if not obj.is_published else []
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


def public_url(evaluation: models.Evaluation) -> str:
    recommendation = evaluation.recommendation
    page = reverse("recommendation", args=[recommendation.report.slug, recommendation.slug])
    return f"{page}#evaluation-{evaluation.pk}"


def describe(evaluation: models.Evaluation) -> str:
    return gettext("%(code)s as of %(date)s by %(evaluator)s") % {
        "code": evaluation.recommendation.code,
        "date": evaluation.as_of,
        "evaluator": evaluation.evaluator,
    }


CONFLICT_FIELDS = (*rules.EVALUATION_FIELDS, "status")


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
        return str(related) if related is not None else gettext("(deleted #%(id)s)") % {"id": value}
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    return "—" if value in (None, "") else str(value)
