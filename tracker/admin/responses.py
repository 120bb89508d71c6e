"""Responses in the editors' workspace: what the actor says, written through
`tracker.responses` (its rules are the matrix's response rows in `tracker.rules`)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tracker import models, rules
from tracker import responses as services
from tracker.admin.base import ServiceAdmin, _adopt
from tracker.rules import Operation


class ResponseSourceInline(admin.TabularInline):
    """Where the response was said. Sources are added here; a cited one stays (withdraw the
    response to draft and record a new one to correct it)."""

    model = models.ResponseSource
    fields = ["source", "quote", "page"]
    raw_id_fields = ["source"]
    extra = 1
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return obj is None or rules.allows(request.user, Operation.CHANGE_RESPONSE, obj)


@admin.register(models.Response)
class ResponseAdmin(ServiceAdmin):
    list_display = ["recommendation", "actor", "position", "said_on", "status"]
    list_filter = ["status", "position", "actor"]
    list_select_related = ["recommendation", "actor"]
    raw_id_fields = ["recommendation"]
    fields = ["recommendation", "actor", "position", "said_on", "statement", "status", "version"]
    readonly_fields = ["status", "version"]
    inlines = [ResponseSourceInline]
    actions = ["publish_selected", "withdraw_selected"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(request, obj) and rules.may(
            request.user, Operation.CHANGE_RESPONSE, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and rules.may(
            request.user, Operation.DELETE_RESPONSE, obj
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changes = {
                name: data[name] for name in rules.RESPONSE_FIELDS if name in form.changed_data
            }
            services.update_response(
                response=obj, expected_version=obj.version, changes=changes, user=request.user
            )
            obj.refresh_from_db()
        else:
            created = services.record_response(
                recommendation=data["recommendation"],
                actor=data["actor"],
                position=data["position"],
                said_on=data["said_on"],
                statement=data.get("statement", ""),
                author=request.user,
            )
            _adopt(obj, created)

    def save_formset(self, request, form, formset, change):
        new = [
            {"source": f.cleaned_data["source"], "quote": f.cleaned_data.get("quote", ""),
             "page": f.cleaned_data.get("page", "")}
            for f in formset.forms
            if f.has_changed() and f.cleaned_data and not f.instance.pk
        ]  # fmt: skip
        if new:
            services.add_sources(response=form.instance, sources=new, user=request.user)

    def construct_change_message(self, request, form, formsets, add=False):
        # The sources are saved by the service (save_formset), not by the admin; their
        # changes are in their own history.
        return super().construct_change_message(request, form, [], add)

    def delete_model(self, request, obj):
        services.delete_response(response=obj, user=request.user)

    def _each(self, request, queryset, service, done_message: str) -> None:
        done = 0
        for response in queryset:
            try:
                service(response=response, user=request.user)
            except (ValidationError, PermissionDenied) as refusal:
                text = " ".join(getattr(refusal, "messages", [str(refusal)]))
                self.message_user(request, f"{response}: {text}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, str(done_message).format(done=done))

    @admin.action(description=_("Publish the selected responses"))
    def publish_selected(self, request, queryset):
        self._each(request, queryset, services.publish_response, _("Published {done}."))

    @admin.action(description=_("Withdraw the selected responses to draft"))
    def withdraw_selected(self, request, queryset):
        self._each(request, queryset, services.unpublish_response, _("Withdrew {done}."))
