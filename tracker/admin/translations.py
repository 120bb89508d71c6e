"""Translations (issue 15): editors translate field by field with the original beside each
field, and see how far each report is translated and which translations are outdated.

- `translate/<content type>/<id>/<language>/`: every translatable text of one object, the
  original (read-only) beside the translation. Saved all or nothing through
  `tracker.services.save_translation`; a publisher may publish at once.
- `status/`: each report's texts per language: translated, drafts, outdated, missing;
  `status/<report>/<language>/` lists them, each with a link to translate it.
- The list of translations: read-only rows (the translate page writes them), publishing and
  deleting through the services.
"""

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import models, rules, services, translation_status
from tracker.rules import Operation
from tracker.translation_models import (
    TRANSLATABLE_FIELDS,
    TranslationKind,
    translation_languages,
)

STATE_LABELS = {
    translation_status.MISSING: _("not translated"),
    translation_status.DRAFT: _("draft"),
    translation_status.PUBLISHED: _("published"),
    translation_status.OUTDATED: _("outdated: the original changed since"),
}


def translate_url(obj, language: str) -> str:
    content_type = ContentType.objects.get_for_model(obj)
    return reverse("admin:tracker_translation_translate", args=[content_type.pk, obj.pk, language])


@admin.register(models.Translation)
class TranslationAdmin(admin.ModelAdmin):
    list_display = ["text", "of", "field", "language", "kind", "status", "state"]
    list_filter = ["language", "status", "kind", "content_type"]
    search_fields = ["text"]
    list_select_related = ["content_type"]
    actions = ["publish_selected"]

    class Media:
        css = {"all": ["tracker/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("target")

    @admin.display(description=_("translates"))
    def of(self, obj: models.Translation):
        target = obj.target
        if target is None:
            return "—"
        return format_html('<a href="{}">{}</a>', translate_url(target, obj.language), target)

    @admin.display(description=_("state"))
    def state(self, obj: models.Translation) -> str:
        original = getattr(obj.target, obj.field, "") if obj.target is not None else ""
        text = translation_status.Text(obj.target, obj.field, original, obj)
        return STATE_LABELS[text.state]

    # Rows are written on the translate page, beside their originals.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        return rules.may(request.user, Operation.DELETE_TRANSLATION, obj)

    def delete_model(self, request: HttpRequest, obj: models.Translation) -> None:
        services.delete_translation(translation=obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            for translation in queryset:
                services.delete_translation(translation=translation, user=request.user)

    @admin.action(description=_("Publish the selected translations"))
    def publish_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        published, refused = 0, []
        for translation in queryset:
            try:
                services.publish_translation(translation=translation, user=request.user)
                published += 1
            except (PermissionDenied, ValidationError) as error:
                refused.append(f"{translation}: {'; '.join(_messages_of(error))}")
        if published:
            self.message_user(
                request, gettext("%(count)d published.") % {"count": published}, messages.SUCCESS
            )
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "translate/<int:content_type_id>/<int:object_id>/<str:language>/",
                wrap(self.translate_view),
                name="tracker_translation_translate",
            ),
            path("status/", wrap(self.status_view), name="tracker_translation_status"),
            path(
                "status/<int:report_id>/<str:language>/",
                wrap(self.report_status_view),
                name="tracker_translation_report_status",
            ),
            *super().get_urls(),
        ]

    # The translate page ------------------------------------------------------------------

    def translate_view(
        self, request: HttpRequest, content_type_id: int, object_id: int, language: str
    ) -> HttpResponse:
        if not rules.role_may_ever(request.user, Operation.SAVE_TRANSLATION):
            raise PermissionDenied
        content_type = get_object_or_404(ContentType, pk=content_type_id)
        fields = TRANSLATABLE_FIELDS.get(f"{content_type.app_label}.{content_type.model}")
        if not fields or language not in translation_languages():
            raise Http404("Nothing to translate here.")
        target = get_object_or_404(content_type.model_class(), pk=object_id)
        texts = {text.field: text for text in translation_status.texts_of([target], language)}
        errors: dict[str, list[str]] = {}
        posted: dict[str, str] = {}
        kind = TranslationKind.EDITORS
        if request.method == "POST":
            posted = {field: request.POST.get(f"text-{field}", "") for field in texts}
            kind = request.POST.get("kind", "")
            publish = request.POST.get("publish") == "1"
            errors = self._save_all(request, target, language, texts, posted, kind, publish)
            if not errors:
                self.message_user(request, gettext("Translations saved."), messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        elif texts:
            kinds = {text.translation.kind for text in texts.values() if text.translation}
            kind = kinds.pop() if len(kinds) == 1 else kind
        rows = [
            {
                "field": field,
                "label": target._meta.get_field(field).verbose_name,
                "original": text.original,
                "value": posted.get(field, text.translation.text if text.translation else ""),
                "state": text.state,
                "state_label": STATE_LABELS[text.state],
                "errors": errors.get(field, []),
            }
            for field, text in texts.items()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Translate “%(target)s” into %(language)s")
            % {"target": target, "language": dict(_languages())[language]},
            "target": target,
            "language": language,
            "rows": rows,
            "kinds": TranslationKind.choices,
            "kind": kind,
            "general_errors": [
                m for key, found in errors.items() if key not in texts for m in found
            ],
            "may_publish": rules.role_may_ever(request.user, Operation.PUBLISH_TRANSLATION),
        }
        return TemplateResponse(request, "admin/tracker/translation/translate.html", context)

    def _save_all(self, request, target, language, texts, posted, kind, publish):
        """Save every changed text, or none of them: every field's refusal at once."""
        errors: dict[str, list[str]] = {}
        try:
            with transaction.atomic():
                for field, text in posted.items():
                    current = texts[field].translation
                    if current is None and not text.strip():
                        continue  # left empty: not translated yet
                    # Unchanged: nothing to write, unless it is being published, or an
                    # outdated one is confirmed to fit the changed original.
                    unchanged = (
                        current is not None and current.text == text and current.kind == kind
                    )
                    confirmed = request.POST.get(f"confirm-{field}") == "1"
                    if unchanged and not confirmed and (current.is_published or not publish):
                        continue
                    try:
                        services.save_translation(
                            target=target,
                            field=field,
                            language=language,
                            text=text,
                            kind=kind,
                            user=request.user,
                            publish=publish,
                        )
                    except ValidationError as error:
                        for key, found in _by_field(error, field).items():
                            known = errors.setdefault(key, [])
                            known.extend(message for message in found if message not in known)
                    except PermissionDenied as error:
                        errors.setdefault(field, []).append(str(error))
                if errors:
                    raise _RollBack
        except _RollBack:
            pass
        return errors

    # Status ------------------------------------------------------------------------------

    def status_view(self, request: HttpRequest) -> HttpResponse:
        reports = Paginator(models.Report.objects.order_by("published_on", "slug"), 20)
        page = reports.get_page(request.GET.get("page"))
        rows = []
        for report in page:
            for language in translation_languages():
                texts = translation_status.report_texts(report, language)
                rows.append(
                    {
                        "report": report,
                        "language": language,
                        "counts": translation_status.counts(texts),
                        "url": reverse(
                            "admin:tracker_translation_report_status",
                            args=[report.pk, language],
                        ),
                    }
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Translation status"),
            "rows": rows,
            "page": page,
        }
        return TemplateResponse(request, "admin/tracker/translation/status.html", context)

    def report_status_view(
        self, request: HttpRequest, report_id: int, language: str
    ) -> HttpResponse:
        report = get_object_or_404(models.Report, pk=report_id)
        if language not in translation_languages():
            raise Http404("Not a language texts are translated into.")
        wanted = request.GET.get("state", "")
        texts = translation_status.report_texts(report, language)
        shown = [text for text in texts if not wanted or text.state == wanted]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("%(report)s: translation into %(language)s")
            % {"report": report.short_name, "language": dict(_languages())[language]},
            "report": report,
            "language": language,
            "counts": translation_status.counts(texts),
            "states": [(state, STATE_LABELS[state]) for state in translation_status.STATES],
            "wanted": wanted,
            "texts": [
                {
                    "obj": text.obj,
                    "kind": text.obj._meta.verbose_name,
                    "field": text.field,
                    "original": text.original,
                    "translation": text.translation,
                    "state": text.state,
                    "state_label": STATE_LABELS[text.state],
                    "url": translate_url(text.obj, language),
                }
                for text in shown
            ],
        }
        return TemplateResponse(request, "admin/tracker/translation/report_status.html", context)


class _RollBack(Exception):
    """Leaves the translate page's transaction with nothing written."""


def _languages():
    from django.conf import settings

    return settings.LANGUAGES


def _messages_of(error: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(error, PermissionDenied):
        return [str(error)]
    return [message for messages_ in _by_field(error, "").values() for message in messages_]


def _by_field(error: ValidationError, field: str) -> dict[str, list[str]]:
    """A service's refusal keyed by the page's fields: its `text` is this field's text."""
    if not hasattr(error, "error_dict"):
        return {field: list(error.messages)}
    found: dict[str, list[str]] = {}
    for key, errors in error.message_dict.items():
        found.setdefault(field if key in ("text", "field", "__all__") else key, []).extend(errors)
    return found
