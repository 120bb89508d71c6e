"""What every page of the editors' workspace shares: writing through the services."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import URLField as DbURLField
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from tracker import models, rules
from tracker.rules import Operation

# The chip of an evaluation that judged its recommendation not rateable: no grade's colour.
NOT_RATEABLE_CHIP = "#5f5470"


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
    # simple_history's list, with a dash for a missing reason and the admin's date format.
    object_history_list_template = "admin/tracker/object_history_list.html"

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
        return rules.role_may_ever(request.user, Operation.PUBLISH_EVALUATION)

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
