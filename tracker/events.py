"""What partners hear about: events written to an outbox in the publishing transaction.

The publishing services (tracker/services/) call these inside their own transaction, so
an event exists exactly when its change was committed: a rolled-back publish leaves none,
and a draft (which no one outside sees) never makes one. Once the transaction commits,
`transaction.on_commit` asks the worker to send it (tracker/webhook_delivery.py); if that
request is lost, the worker's next sweep finds the event all the same.

The payload is `{type, timestamp, data}`, with `data` in the API's own shapes
(scorecard/api/shapes.py), encoded as the API encodes it; it is written once, so every
endpoint and every retry gets the same bytes.
"""

import logging
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from scorecard.api import shapes, webhook_shapes
from scorecard.api.renderers import JSONRenderer
from tracker import queries, responses, webhook_delivery
from tracker.models import Edition, Evaluation, Recommendation
from tracker.webhook_models import EventType, WebhookDelivery, WebhookEndpoint, WebhookEvent

logger = logging.getLogger(__name__)


def encode(payload: dict[str, Any]) -> str:
    return JSONRenderer().render(payload).decode()


def _record(
    event_type: str, data: dict[str, Any], *, only_endpoint: WebhookEndpoint | None = None
) -> WebhookEvent:
    now = timezone.now()
    body = encode({"type": event_type, "timestamp": now, "data": data})
    event = WebhookEvent.objects.create(
        type=event_type, occurred_at=now, body=body, only_endpoint=only_endpoint
    )
    transaction.on_commit(request_delivery)
    return event


def request_delivery() -> None:
    """Ask the worker to send what is waiting. Never fails the caller: the event is safe in
    the outbox, and the worker's sweep sends it even if this request is lost."""
    try:
        webhook_delivery.send_due.enqueue()
    except Exception:
        logger.exception("Could not enqueue webhook delivery; the worker's sweep will send it")


def _evaluation_data(evaluation: Evaluation) -> dict[str, Any]:

    shape = shapes.EvaluationShape
    return shape.build(shape.fetch(Evaluation.objects.filter(pk=evaluation.pk)).get())


def evaluation_published(evaluation: Evaluation) -> WebhookEvent:
    return _record(EventType.EVALUATION_PUBLISHED, _evaluation_data(evaluation))


def evaluation_changed(evaluation: Evaluation) -> WebhookEvent:
    """A published evaluation corrected (drafts change unseen: no event)."""
    return _record(EventType.EVALUATION_CHANGED, _evaluation_data(evaluation))


def evaluation_withdrawn(evaluation: Evaluation) -> WebhookEvent:
    # As the public change feed shows a withdrawal: only that it is gone.
    shape = shapes.WithdrawnShape
    data = shape.build(shape.fetch(Evaluation.objects.filter(pk=evaluation.pk)).get())
    return _record(EventType.EVALUATION_WITHDRAWN, data)


def edition_published(edition: Edition) -> WebhookEvent:

    shape = shapes.EditionDetailShape
    fetched = shape.fetch(Edition.objects.filter(pk=edition.pk))
    data = shape.build(responses.attach_frozen_responses(fetched)[0])
    return _record(EventType.EDITION_PUBLISHED, data)


# --- Many at once (an import): the same events, their payloads fetched in batches -----------

_BATCH = 500


def _record_many(event_type: str, batches: Iterator[list[dict[str, Any]]]) -> None:
    now, recorded = timezone.now(), False
    for datas in batches:  # a batch at a time: an import may publish hundreds of thousands
        WebhookEvent.objects.bulk_create(
            [
                WebhookEvent(
                    type=event_type,
                    occurred_at=now,
                    body=encode({"type": event_type, "timestamp": now, "data": data}),
                )
                for data in datas
            ]
        )
        recorded = True
    if recorded:
        transaction.on_commit(request_delivery)


def _built(shape, model, ids: list[int], attach=list) -> Iterator[list[dict[str, Any]]]:
    """The payloads of `ids`, a batch at a time; `attach` adds what the shape reads beyond
    its fetch plan."""
    for start in range(0, len(ids), _BATCH):
        rows = attach(shape.fetch(model.objects.filter(pk__in=ids[start : start + _BATCH])))
        yield [shape.build(row) for row in sorted(rows, key=lambda row: row.pk)]


def evaluations_published(evaluation_ids: list[int]) -> None:
    _record_many(
        EventType.EVALUATION_PUBLISHED, _built(shapes.EvaluationShape, Evaluation, evaluation_ids)
    )


def evaluations_changed(evaluation_ids: list[int]) -> None:
    _record_many(
        EventType.EVALUATION_CHANGED, _built(shapes.EvaluationShape, Evaluation, evaluation_ids)
    )


def evaluations_withdrawn(evaluation_ids: list[int]) -> None:
    _record_many(
        EventType.EVALUATION_WITHDRAWN, _built(shapes.WithdrawnShape, Evaluation, evaluation_ids)
    )


def editions_published(edition_ids: list[int]) -> None:
    _record_many(
        EventType.EDITION_PUBLISHED,
        _built(
            shapes.EditionDetailShape,
            Edition,
            edition_ids,
            attach=responses.attach_frozen_responses,
        ),
    )


def webhook_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event and its one delivery, made at once so the caller can follow it."""
    event = _record(
        EventType.WEBHOOK_TEST,
        webhook_shapes.WebhookEndpointShape.build(endpoint),
        only_endpoint=endpoint,
    )
    return webhook_delivery.deliveries_for(event)[0]


def recommendation_overdue(recommendation_id: int) -> WebhookEvent:
    """A recommendation became overdue (issue 17; tracker/overdue.py announces it once per
    due date): the recommendation as `/api/v1/recommendations/{id}/` shows it."""
    shape = shapes.RecommendationShape
    fetched = shape.fetch(Recommendation.objects.filter(pk=recommendation_id))
    recommendation = queries.attach_current_evaluations(queries.with_current_grade(fetched))[0]
    return _record(EventType.RECOMMENDATION_OVERDUE, shape.build(recommendation))
