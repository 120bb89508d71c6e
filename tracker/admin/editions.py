"""Evidence (found and read here) and editions (frozen after a confirmation)."""

from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import forms, models, queries, rules, services
from tracker.admin.base import NOT_RATEABLE_CHIP, ServiceAdmin, _adopt, grade_chip
from tracker.rules import Operation

# The confirmation page posts the form again with these: "yes, freeze it", and how many
# grades the publisher saw (if that changed meanwhile, nothing is frozen).
CONFIRMED = "_confirmed"
GRADES_SEEN = "_grades_seen"


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

    @admin.display(description=_("evaluation"))
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
    fields = ["frozen_recommendation", "grade", "evaluator", "as_of"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("Frozen grades")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("recommendation__report", "evaluation__grade", "evaluation__evaluator")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("recommendation"))
    def frozen_recommendation(self, obj: models.EditionEntry):
        # As the edition froze it, whatever it is called now.
        return obj.shown_recommendation

    @admin.display(description=_("grade"))
    def grade(self, obj: models.EditionEntry):
        # As the edition froze it, whatever the grade is called now.
        if obj.evaluation.is_not_rateable:
            return grade_chip(None, models.NOT_RATEABLE_LABEL, NOT_RATEABLE_CHIP)
        return grade_chip(obj.shown_grade)

    @admin.display(description=_("evaluator"))
    def evaluator(self, obj: models.EditionEntry):
        return obj.evaluation.evaluator

    @admin.display(description=_("as of"))
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

    @admin.display(description=_("grades frozen"), ordering="entry_count")
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
        return rules.may(request.user, Operation.FREEZE_EDITION)

    def has_change_permission(self, request, obj=None):
        # A published edition never changes (a new one is frozen instead); a draft edition
        # changes only through the scorecard files.
        return rules.may(request.user, Operation.CHANGE_EDITION, obj)

    def has_delete_permission(self, request, obj=None):
        return rules.may(request.user, Operation.DELETE_EDITION, obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        refused = rules.refusal(request.user, Operation.DELETE_EDITION, obj) if obj else None
        if refused and not refused.about_role and self.has_view_permission(request, obj):
            return self.refuse_delete(request, obj, refused.reason)
        return super().delete_view(request, object_id, extra_context)

    # Freezing: the form, then a page saying what will be frozen, then the freeze ------------

    def add_view(self, request, form_url="", extra_context=None):
        confirming = request.method == "POST" and CONFIRMED not in request.POST
        if confirming and self.has_add_permission(request):
            form = self.get_form(request, None, change=False)(request.POST)
            if form.is_valid():
                return self.confirm_freeze(request, form)
        context = {"title": gettext("Freeze an edition"), **(extra_context or {})}
        return super().add_view(request, form_url, context)

    def confirm_freeze(self, request: HttpRequest, form) -> HttpResponse:
        """What freezing would do, to read before doing it: it cannot be undone."""
        data = form.cleaned_data
        report = data["report"]
        grades = queries.current_grades(report, data["as_of"])
        recommendations = models.Recommendation.objects.filter(pk__in=grades).order_by("position")
        posted = {
            name: request.POST.get(name, "") for name in ("report", "name", "slug", "description")
        }
        # The date as it will be frozen, also when it was left empty for the usual one.
        posted["as_of"] = data["as_of"].isoformat()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Freeze “%(name)s”?") % {"name": data["name"]},
            "edition": data,
            "as_of_default": form.as_of_default,
            "report": report,
            "rows": [(r, grades[r.pk]) for r in recommendations],
            "grade_count": len(grades),
            "posted": posted,
            "confirmed": CONFIRMED,
            "grades_seen": GRADES_SEEN,
            "back_url": f"{reverse('admin:tracker_edition_add')}?{urlencode(posted)}",
        }
        return TemplateResponse(request, "admin/tracker/edition/confirm_freeze.html", context)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            seen = int(request.POST.get(GRADES_SEEN, ""))
        except ValueError:
            seen = None
        edition = services.publish_edition(
            report=data["report"],
            slug=data["slug"],
            name=data["name"],
            as_of=data["as_of"],
            description=data.get("description", ""),
            user=request.user,
            expected_grades=seen,
        )
        _adopt(obj, edition)

    def delete_model(self, request, obj):
        services.delete_edition(edition=obj, user=request.user)
