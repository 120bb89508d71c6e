"""Actors: who recommendations ask to act, edited here (through tracker.services)."""

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from tracker import forms, models, rules, services
from tracker.admin.base import ServiceAdmin
from tracker.rules import Operation


@admin.register(models.Actor)
class ActorAdmin(ServiceAdmin):
    form = forms.ActorForm
    list_display = ["name", "kind", "parent", "recommendations_named"]
    list_select_related = ["parent"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(named=Count("recommendation_links"))

    @admin.display(description=_("recommendations naming it"), ordering="named")
    def recommendations_named(self, obj: models.Actor) -> int:
        return obj.named

    def view_on_site(self, obj: models.Actor) -> str:
        return obj.get_absolute_url()

    def has_add_permission(self, request):
        return rules.may(request.user, Operation.SAVE_ACTOR)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and rules.may(
            request.user, Operation.SAVE_ACTOR, obj
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and rules.may(
            request.user, Operation.DELETE_ACTOR, obj
        )

    def save_model(self, request, obj, form, change):
        services.save_actor(actor=obj, user=request.user)

    def delete_model(self, request, obj):
        services.delete_actor(actor=obj, user=request.user)
