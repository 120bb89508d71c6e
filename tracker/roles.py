"""Who may see and do what: the one place that decides it.

Groups (created by a data migration): Editor, Publisher, Partner. Anonymous visitors and
partners see published data only; editors and publishers also see drafts; only publishers
(and superusers) publish, withdraw and freeze editions.
"""

from django.contrib.auth.models import AnonymousUser, User

EDITOR = "Editor"
PUBLISHER = "Publisher"
PARTNER = "Partner"
ROLES = {"editor": EDITOR, "publisher": PUBLISHER, "partner": PARTNER}


def _groups(user: User | AnonymousUser) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_role_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._role_groups = cached
    return cached


def is_publisher(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or PUBLISHER in _groups(user))


def is_editor(user: User | AnonymousUser) -> bool:
    """Editors and publishers: the people who work on drafts."""
    return user.is_authenticated and (
        user.is_superuser or bool({EDITOR, PUBLISHER} & _groups(user))
    )


def is_partner(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and PARTNER in _groups(user)


def can_see_drafts(user: User | AnonymousUser) -> bool:
    return is_editor(user)


def can_publish(user: User | AnonymousUser) -> bool:
    return is_publisher(user)
