"""What each client may see: every API read starts from one of these querysets.

Anonymous clients and partners see published data only, and of the records that exist for
the sake of evaluations (evaluators, sources) only those a published evaluation relies on,
so a draft's source or evaluator cannot announce it either. Editors and publishers
(`tracker.roles.can_see_drafts`) see everything.
"""

from django.apps import apps
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet

from tracker import queries, roles
from tracker.models import Edition, Evaluation, Evaluator, EvidenceLink, Source, Status

# What an evaluation is shown with.
_SHOWN_BESIDE = ("grade", "evaluator", "publication", "recommendation", "recommendation__report")


def evaluations_for(user: User | AnonymousUser) -> QuerySet[Evaluation]:
    if roles.can_see_drafts(user):
        return Evaluation.objects.select_related(*_SHOWN_BESIDE)
    return queries.published_evaluations()


def feed_for(user: User | AnonymousUser) -> QuerySet[Evaluation]:
    """The change feed: what `evaluations_for` shows, and for those who cannot see drafts
    also the evaluations withdrawn after publication, so that a partner who copied one
    learns to drop it. Those are shown as bare tombstones (`WithdrawnSerializer`)."""
    return feed(drafts_visible=roles.can_see_drafts(user))


def feed(*, drafts_visible: bool) -> QuerySet[Evaluation]:
    """`feed_for` a user who can (or cannot) see drafts. (What each row is shown with is
    the API's shapes' to fetch.)"""
    if drafts_visible:
        return Evaluation.objects.all()
    # (The registry, not `Evaluation.history`, which builds a manager class per access.)
    history = apps.get_model("tracker", "HistoricalEvaluation")
    was_published = history.objects.filter(id=OuterRef("pk"), status=Status.PUBLISHED)
    return Evaluation.objects.filter(Q(status=Status.PUBLISHED) | Exists(was_published))


def editions_for(user: User | AnonymousUser) -> QuerySet[Edition]:
    if roles.can_see_drafts(user):
        return Edition.objects.select_related("report")
    return queries.published_editions()


def sources_for(user: User | AnonymousUser) -> QuerySet[Source]:
    if roles.can_see_drafts(user):
        return Source.objects.all()
    cited = EvidenceLink.objects.filter(source=OuterRef("pk"), evaluation__status=Status.PUBLISHED)
    published_in = Evaluation.objects.filter(publication=OuterRef("pk"), status=Status.PUBLISHED)
    return Source.objects.filter(Exists(cited) | Exists(published_in))


def evaluators_for(user: User | AnonymousUser) -> QuerySet[Evaluator]:
    if roles.can_see_drafts(user):
        return Evaluator.objects.all()
    graded = Evaluation.objects.filter(evaluator=OuterRef("pk"), status=Status.PUBLISHED)
    return Evaluator.objects.filter(Exists(graded))
