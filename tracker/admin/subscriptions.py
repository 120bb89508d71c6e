"""Readers' e-mail subscriptions: for superusers only (addresses are personal data).

Editors and publishers hold no permission on these models (tracker/roles.py grants none),
and this admin refuses everyone but superusers whatever permissions they are given.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tracker.models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "scope", "frequency", "confirmed_at", "created_at"]
    list_filter = ["frequency"]
    search_fields = ["email"]
    list_select_related = ["report", "recommendation"]
    raw_id_fields = ["report", "recommendation"]
    readonly_fields = ["created_at", "confirmation_sent_at", "confirmed_at", "last_digest_at"]

    @admin.display(description=_("Follows"))
    def scope(self, subscription: Subscription) -> str:
        return subscription.scope_name

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False  # a subscription is made by its reader, confirming by e-mail
