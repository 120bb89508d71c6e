"""Sources: cited documents, one per URL; those an edition cites only gain archives."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import forms, models, rules, services
from tracker.admin.base import ServiceAdmin, _adopt
from tracker.rules import Operation


@admin.register(models.Source)
class SourceAdmin(ServiceAdmin):
    form = forms.SourceForm
    list_display = ["title", "kind", "publisher", "published_on", "link", "cited"]
    list_filter = ["kind"]
    search_fields = ["title", "key", "author", "publisher", "url"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(cited_count=Count("evidence"))

    @admin.display(description=_("cited by"), ordering="cited_count")
    def cited(self, obj: models.Source) -> int:
        return obj.cited_count

    @admin.display(description=_("URL"))
    def link(self, obj: models.Source):
        if not obj.url:
            return "—"
        return format_html(
            '<a href="{}" rel="noopener noreferrer">{}</a>', obj.url, gettext("open")
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if rules.frozen_in(obj) is not None:
            readonly += [f for f in forms.SourceForm.Meta.fields if f in rules.SOURCE_FIELDS_FROZEN]
        return readonly

    def has_add_permission(self, request):
        return super().has_add_permission(request) and rules.allows(
            request.user, Operation.CREATE_SOURCE
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and rules.role_may_ever(
            request.user, Operation.CHANGE_SOURCE
        )

    def has_delete_permission(self, request, obj=None):
        # The rules decide (publishers delete a source nothing cites), not a model permission.
        return rules.may(request.user, Operation.DELETE_SOURCE, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        edition = rules.frozen_in(obj)
        if edition is not None and request.method == "GET":
            self.message_user(
                request,
                gettext(
                    "Cited in the published edition “%(edition)s”, which never changes: "
                    "only the archived URL can still be added."
                )
                % {"edition": edition.name},
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
