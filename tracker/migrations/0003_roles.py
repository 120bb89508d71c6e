"""The three roles as groups, with the model permissions the admin checks.

Editor: logs and edits draft evaluations, their evidence and sources; reads the rest.
Publisher: everything an editor may do; publishing and freezing editions are decided by
`tracker.roles.can_publish` (membership of this group), not by a model permission.
Partner: no admin access at all (partners are not staff); the group marks API accounts.

The grants are copied here as they were when this migration was written, as migrations
should be; `tracker.roles.GROUP_PERMISSIONS` is the current definition, and
`tracker.roles.ensure_role_groups` recreates missing groups after every `migrate`.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ_ONLY = [
    "report",
    "area",
    "topic",
    "gradescale",
    "grade",
    "recommendationlink",
    "edition",
    "editionentry",
]
EDITOR = {
    "evaluation": ["add", "change", "delete", "view"],
    "evidencelink": ["add", "change", "delete", "view"],
    "source": ["add", "change", "view"],
    "evaluator": ["add", "change", "view"],
    "recommendation": ["change", "view"],
    **{model: ["view"] for model in READ_ONLY},
}
GROUPS = {"Editor": EDITOR, "Publisher": EDITOR, "Partner": {}}


def create_roles(apps, schema_editor):
    # On a fresh database the permissions are only created after all migrations ran
    # (post_migrate); create them now so the groups can be given them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        permissions = Permission.objects.filter(
            content_type__app_label="tracker", codename__in=codenames
        )
        assert permissions.count() == len(codenames), "a tracker permission is missing"
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0002_cache_table"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
