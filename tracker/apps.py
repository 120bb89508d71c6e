from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_role_groups(sender, *, using: str, apps=global_apps, **kwargs) -> None:
    # `migrate` passes the migrated state's apps; `flush` passes none.
    # tracker.roles imports the auth models, which cannot be imported while apps load.
    from tracker import roles

    try:
        apps.get_model("auth", "Group")
    except LookupError:  # migrating auth itself backwards
        return
    roles.ensure_role_groups(apps=apps, using=using)


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("Scorecard record")

    def ready(self) -> None:
        post_migrate.connect(_ensure_role_groups, sender=self)
