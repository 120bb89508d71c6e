"""Accounts and roles: the groups on a fresh database, and `create_account`."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.core.management.sql import emit_post_migrate_signal
from rest_framework.authtoken.models import Token

from tracker import roles


def create_account(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_account", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_a_fresh_database_has_the_three_roles_with_their_permissions():
    def permissions(name: str) -> set[str]:
        return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))

    assert {name: permissions(name) for name in ("Editor", "Publisher", "Partner")} == {
        name: {f"{action}_{model}" for model, actions in grants.items() for action in actions}
        for name, grants in roles.GROUP_PERMISSIONS.items()
    }
    editor = permissions("Editor")
    assert {"add_evaluation", "change_evaluation", "delete_evaluation"} <= editor
    assert {"add_evidencelink", "change_evidencelink", "add_source", "change_source"} <= editor
    assert {"view_recommendation", "change_recommendation", "view_edition"} <= editor
    assert {"add_edition", "change_edition", "delete_edition", "delete_source"} & editor == set()
    assert permissions("Publisher") == editor  # publishing is decided by tracker.roles
    assert permissions("Partner") == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "group", "staff"),
    [
        ("editor", "Editor", True),
        ("publisher", "Publisher", True),
        ("partner", "Partner", False),
    ],
)
def test_create_account_puts_the_account_in_its_group_and_prints_the_token_last(role, group, staff):
    lines = create_account("hana", "--role", role, "--email", "hana@example.org")

    user = User.objects.get(username="hana")
    assert (user.email, user.is_staff, user.is_superuser) == ("hana@example.org", staff, False)
    assert list(user.groups.values_list("name", flat=True)) == [group]
    assert user.has_usable_password() is False
    assert lines[0] == f"Created {role} account “hana”."
    assert lines[-1] == Token.objects.get(user=user).key


@pytest.mark.django_db
def test_create_account_for_a_taken_name_says_so_and_changes_nothing():
    create_account("hana", "--role", "editor")
    token = Token.objects.get().key

    with pytest.raises(CommandError) as refused:
        create_account("hana", "--role", "publisher", "--email", "other@example.org")

    assert str(refused.value) == (
        "An account named “hana” already exists (Editor); nothing was changed."
    )
    user = User.objects.get()
    assert (list(user.groups.values_list("name", flat=True)), user.email) == (["Editor"], "")
    assert list(Token.objects.values_list("key", flat=True)) == [token]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["x", "--role", "editor", "--email", "not-an-email"],
            "--email: “not-an-email” is not an email address.",
        ),
        (
            ["bad name!", "--role", "editor"],
            "NAME: Enter a valid username. This value may contain only letters, numbers, and "
            "@/./+/-/_ characters.",
        ),
    ],
)
def test_create_account_refuses_bad_input_with_the_argument_named(args, message):
    with pytest.raises(CommandError) as refused:
        create_account(*args)
    assert str(refused.value) == message
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_an_account_created_by_the_command_can_log_in_once_it_has_a_password(client):
    create_account("hana", "--role", "editor")
    user = User.objects.get(username="hana")
    user.set_password("correct horse battery staple")
    user.save()

    response = client.post(
        "/admin/login/",
        {"username": "hana", "password": "correct horse battery staple", "next": "/admin/"},
    )

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/tracker/evaluation/").status_code == 200


@pytest.mark.django_db
def test_roles_deleted_by_a_flush_come_back_with_the_next_migrate():
    Group.objects.all().delete()  # what `manage.py flush` and transactional tests do

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert sorted(Group.objects.values_list("name", flat=True)) == [
        "Editor",
        "Partner",
        "Publisher",
    ]
    assert (
        Group.objects.get(name="Editor").permissions.count() == 40
    )  # (+4: actors, +8: responses and their sources, issue 17; +4: translations, issue 15)
