"""Who is in which role: the groups, and the questions the read side asks of them.

Groups (created by a data migration): Editor, Publisher, Partner. Anonymous visitors and
partners see published data only; editors and publishers also see drafts. What each role
may *do* to an object in each state is the matrix in `tracker.rules`, which builds on the
roles decided here.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import AnonymousUser, User
from django.db import DEFAULT_DB_ALIAS

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


# The model permissions each group holds in the admin, on top of `tracker.rules` (an
# operator may narrow them). Publishing and freezing editions are not model permissions:
# the rules decide them. Migration 0003_roles created the groups
# with these; `ensure_role_groups` puts back any that go missing.
_READ_ONLY = ("report", "area", "topic", "gradescale", "grade", "recommendationlink")
_EDITOR_PERMISSIONS = {
    "evaluation": ("add", "change", "delete", "view"),
    "evidencelink": ("add", "change", "delete", "view"),
    "source": ("add", "change", "view"),
    "evaluator": ("add", "change", "view"),
    "recommendation": ("change", "view"),
    "edition": ("view",),
    "editionentry": ("view",),
    # Actors (migration 0009): deleting one is for publishers (tracker.rules decides).
    "actor": ("add", "change", "delete", "view"),
    # Responses (issue 17; migration 0010 grants these to the existing groups).
    "response": ("add", "change", "delete", "view"),
    "responsesource": ("add", "change", "delete", "view"),
    # Translations (issue 15; migration 0017 grants these to the existing groups).
    "translation": ("add", "change", "delete", "view"),
    **dict.fromkeys(_READ_ONLY, ("view",)),
}
GROUP_PERMISSIONS = {EDITOR: _EDITOR_PERMISSIONS, PUBLISHER: _EDITOR_PERMISSIONS, PARTNER: {}}


def ensure_role_groups(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create any missing role group with its permissions; groups that exist are left as
    they are (an operator may have adjusted them).

    Runs after every `migrate`, so a flushed database (`manage.py flush`, transactional
    tests) gets its roles back.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GROUP_PERMISSIONS.items():
        group, created = Group.objects.using(using).get_or_create(name=name)
        if created:
            codenames = [
                f"{action}_{model}" for model, actions in grants.items() for action in actions
            ]
            group.permissions.set(
                Permission.objects.using(using).filter(
                    content_type__app_label="tracker", codename__in=codenames
                )
            )
