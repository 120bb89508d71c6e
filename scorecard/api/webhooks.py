"""The partners' webhook endpoints under /api/v1/webhooks/ (README, "Webhooks").

Thin, like the other views: who may manage which endpoint is `tracker.rules`, the writes
are `tracker.webhooks`, the bodies are shapes. These answers belong to one account each,
so none of them goes through the shared response cache.
"""

import datetime
from typing import Any

from django.http import HttpResponseBase, HttpResponseNotModified
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from scorecard.api import conditional, docs, shapes, webhook_shapes
from scorecard.api.errors import PreconditionFailed
from scorecard.api.serializers import StrictSerializer
from tracker import rules, webhooks
from tracker.webhook_models import SUBSCRIBABLE, WebhookDelivery, WebhookEndpoint

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class ManageWebhooks(BasePermission):
    message = rules.WEBHOOK_ROLE_REASON

    def has_permission(self, request: Request, view: Any) -> bool:
        return rules.may_manage_webhooks(request.user)


class EndpointCreateSerializer(StrictSerializer):
    """A new webhook endpoint. Unknown fields are refused."""

    url = serializers.CharField(max_length=2000, help_text="https, to a public address.")
    events = serializers.ListField(
        child=serializers.CharField(),
        help_text=f"The event types to receive: any of {', '.join(SUBSCRIBABLE)}.",
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)

    # The same checks as the service's, here too so that one answer names every bad field.
    def validate_url(self, value: str) -> str:
        problem = webhooks.field_problems(url=value, events_wanted=None).get("url")
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        problem = webhooks.field_problems(url=None, events_wanted=value).get("events")
        if problem:
            raise serializers.ValidationError(problem)
        return value


class EndpointChangeSerializer(EndpointCreateSerializer):
    """An endpoint's fields to change (any of them). Unknown fields are refused."""

    enabled = serializers.BooleanField(required=False, help_text="True resumes deliveries.")


def endpoint_etag(endpoint: WebhookEndpoint) -> str:
    moment = (endpoint.updated_at - _EPOCH) // datetime.timedelta(microseconds=1)
    return f'"webhook-{endpoint.pk}-{moment}"'


def _expected_updated_at(request: Request, endpoint: WebhookEndpoint) -> int:
    prefix = f'"webhook-{endpoint.pk}-'

    def moment_in(tag: str) -> int | None:
        rest = tag[len(prefix) :] if tag.startswith(prefix) else ""
        return int(rest[:-1]) if rest.endswith('"') and rest[:-1].isdigit() else None

    return conditional._if_match(
        request,
        gettext("the webhook endpoint %(id)s") % {"id": endpoint.pk},
        f"/api/v1/webhooks/{endpoint.pk}/",
        moment_in,
        missing=gettext(
            "Send If-Match with the ETag of the endpoint you read, so you cannot "
            "overwrite a change you have not seen."
        ),
    )


_MANAGE_ERRORS = (400, 401, 403, 404)

IF_MATCH_ENDPOINT = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The `ETag` of the endpoint as you last read it. Missing: 428; stale: 412.",
)
DELIVERY_ID = OpenApiParameter(
    "delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The delivery's `id`."
)


@extend_schema_view(
    list=extend_schema(
        summary="Your webhook endpoints",
        description="Partners, editors and publishers: the endpoints of your account "
        "(never their secrets).",
        tags=["Webhooks"],
        responses={
            200: webhook_shapes.WebhookEndpointShape.serializer(many=True),
            **docs.errors(*_MANAGE_ERRORS),
        },
    ),
    create=extend_schema(
        summary="Add a webhook endpoint",
        description="A URL (https, resolving to public addresses only) and the events it "
        "wants. The answer shows the signing secret this once: keep it. Deliveries are "
        'signed as the Standard Webhooks specification says (README, "Webhooks").',
        tags=["Webhooks"],
        request=EndpointCreateSerializer,
        responses={
            201: webhook_shapes.WebhookEndpointWithSecretShape.serializer,
            **docs.errors(*_MANAGE_ERRORS),
        },
    ),
    retrieve=extend_schema(
        summary="One of your webhook endpoints",
        tags=["Webhooks"],
        responses={
            200: webhook_shapes.WebhookEndpointShape.serializer,
            **docs.errors(*_MANAGE_ERRORS),
        },
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint",
        description="Any of its URL, events, description; `enabled: true` resumes a "
        "disabled endpoint. Send If-Match with the ETag you read.",
        tags=["Webhooks"],
        request=EndpointChangeSerializer,
        parameters=[IF_MATCH_ENDPOINT],
        responses={
            200: webhook_shapes.WebhookEndpointShape.serializer,
            **docs.errors(*_MANAGE_ERRORS, 412, 428),
        },
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint",
        description="Its deliveries (and their log) go with it.",
        tags=["Webhooks"],
        responses={204: OpenApiResponse(description="Deleted."), **docs.errors(*_MANAGE_ERRORS)},
    ),
)
class WebhookEndpointViewSet(GenericViewSet):
    permission_classes = [ManageWebhooks]
    lookup_value_regex = r"[0-9]{1,18}"
    filter_backends: list = []
    http_method_names = ["get", "head", "options", "post", "patch", "delete"]
    shape = webhook_shapes.WebhookEndpointShape

    def get_serializer_class(self) -> type:
        return self.shape.serializer

    def get_queryset(self):
        return webhooks.endpoints_of(self.request.user)

    def get_object(self) -> WebhookEndpoint:
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except WebhookEndpoint.DoesNotExist:
            raise exceptions.NotFound(
                gettext("There is no webhook endpoint “%(id)s” of yours.")
                % {"id": self.kwargs["pk"]}
            ) from None

    shown: WebhookEndpoint | None = None

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code in (200, 201, 202):
            response.render()
            etag = endpoint_etag(self.shown) if self.shown is not None else None
            response["ETag"] = etag or f'"{conditional.body_hash(response.content)}"'
            response["Cache-Control"] = "private, no-store"
            response["Vary"] = "Accept, Authorization, Cookie"
            wanted = request.headers.get("If-None-Match")
            if request.method in ("GET", "HEAD") and wanted and response["ETag"] in wanted:
                not_modified = HttpResponseNotModified()
                not_modified["ETag"] = response["ETag"]
                return not_modified
        return response

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(shapes.body(self.shape, page))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.shown = self.get_object()
        return Response(self.shape.build(self.shown))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = EndpointCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = webhooks.create_endpoint(user=request.user, **serializer.validated_data)
        self.shown = endpoint
        response = Response(
            webhook_shapes.WebhookEndpointWithSecretShape.build(endpoint),
            status=status.HTTP_201_CREATED,
        )
        response["Location"] = f"/api/v1/webhooks/{endpoint.pk}/"
        return response

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        expected = _expected_updated_at(request, endpoint)
        serializer = EndpointChangeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            endpoint = webhooks.update_endpoint(
                user=request.user,
                endpoint=endpoint,
                expected_updated_at=_EPOCH + datetime.timedelta(microseconds=expected),
                **serializer.validated_data,
            )
        except webhooks.StaleEndpointError:
            raise PreconditionFailed(
                {
                    "If-Match": [
                        "The endpoint changed since you read it; nothing was saved. Read it "
                        f"again (GET /api/v1/webhooks/{endpoint.pk}/)."
                    ]
                }
            ) from None
        self.shown = endpoint
        return Response(self.shape.build(endpoint))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        webhooks.delete_endpoint(user=request.user, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Rotate an endpoint's signing secret",
        description="A new secret, shown this once; every attempt from now on is signed with it.",
        tags=["Webhooks"],
        request=None,
        responses={
            200: webhook_shapes.WebhookEndpointWithSecretShape.serializer,
            **docs.errors(*_MANAGE_ERRORS),
        },
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", pagination_class=None)
    def rotate_secret(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = webhooks.rotate_secret(user=request.user, endpoint=self.get_object())
        self.shown = endpoint
        return Response(webhook_shapes.WebhookEndpointWithSecretShape.build(endpoint))

    @extend_schema(
        summary="Send a test event",
        description="A `webhook.test` event, to this endpoint only, sent by the worker as "
        "any other (signed, retried). The answer is its delivery; follow it in the log.",
        tags=["Webhooks"],
        request=None,
        responses={
            202: webhook_shapes.WebhookDeliveryShape.serializer,
            **docs.errors(*_MANAGE_ERRORS),
        },
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def test(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        delivery = webhooks.send_test_event(user=request.user, endpoint=self.get_object())
        return Response(
            webhook_shapes.WebhookDeliveryShape.build(delivery), status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        summary="An endpoint's delivery log",
        description="Every event sent (or being sent) to it, newest first: status, attempts, "
        "the last response code and error, when it is tried next.",
        tags=["Webhooks"],
        responses={
            200: webhook_shapes.WebhookDeliveryShape.serializer(many=True),
            **docs.errors(*_MANAGE_ERRORS),
        },
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        log = webhooks.deliveries_of(request.user, self.get_object()).select_related("event")
        page = self.paginate_queryset(log)
        return self.get_paginated_response(shapes.body(webhook_shapes.WebhookDeliveryShape, page))

    @extend_schema(
        summary="Redeliver one delivery",
        description="Sends it again now, with the same `webhook-id`, and retries it as a new "
        "one if it fails. A disabled endpoint gets it once it is enabled again.",
        tags=["Webhooks"],
        request=None,
        parameters=[DELIVERY_ID],
        responses={
            202: webhook_shapes.WebhookDeliveryShape.serializer,
            **docs.errors(*_MANAGE_ERRORS),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]{1,18})/redeliver",
        pagination_class=None,
    )
    def redeliver(self, request: Request, *args: Any, delivery_id: str, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        try:
            delivery = endpoint.deliveries.get(pk=delivery_id)
        except WebhookDelivery.DoesNotExist:
            raise exceptions.NotFound(
                gettext("There is no delivery “%(delivery)s” to endpoint %(endpoint)s.")
                % {"delivery": delivery_id, "endpoint": endpoint.pk}
            ) from None
        delivery = webhooks.redeliver(user=request.user, delivery=delivery)
        return Response(
            webhook_shapes.WebhookDeliveryShape.build(delivery), status=status.HTTP_202_ACCEPTED
        )
