"""Partners' webhook endpoints and their deliveries, for administrators to watch (read-only:
owners manage their endpoints through the API). Secrets are never shown."""

from django.contrib import admin
from django.http import HttpRequest

from tracker.models import WebhookDelivery, WebhookEndpoint


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnly):
    list_display = ("url", "owner", "enabled", "disabled_reason", "created_at")
    list_filter = ("enabled",)
    list_select_related = ("owner",)
    search_fields = ("url", "owner__username")
    fields = (
        "url",
        "owner",
        "events",
        "description",
        "enabled",
        "disabled_reason",
        "created_at",
        "updated_at",
    )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = (
        "message_id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "response_code",
        "next_attempt_at",
        "last_attempt_at",
    )
    list_filter = ("status",)
    list_select_related = ("endpoint", "event")
    search_fields = ("message_id", "endpoint__url")
    fields = (
        "message_id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    )
