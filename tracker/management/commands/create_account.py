"""Create an account for an editor, a publisher or a partner, and print its API token.

    python manage.py create_account hana --role editor --email hana@example.org

Editors and publishers are staff (they work in /admin/); partners are not (API only). No
password is set unless `--password-stdin` reads one from standard input (for scripts:
`printf '%s\n' "$PASSWORD" | ... --password-stdin`, so it is never in a shell history or a
process list); otherwise the person sets one with `manage.py changepassword NAME`. The API
token is the last line of the output, for scripts.
"""

import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from rest_framework.authtoken.models import Token

from tracker import roles

STAFF_ROLES = {"editor", "publisher"}


class Command(BaseCommand):
    help = (
        "Create an account in the Editor, Publisher or Partner group and print its API "
        "token as the last line. Does nothing if the name is taken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the user name to log in with")
        parser.add_argument(
            "--role",
            required=True,
            choices=sorted(roles.ROLES),
            help="editor: drafts and evidence; publisher: also publishes; partner: API only",
        )
        parser.add_argument("--email", default="", help="where password resets are sent")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="set the password to the first line of standard input (for scripts)",
        )

    def handle(
        self, *args, name: str, role: str, email: str, password_stdin: bool, **options
    ) -> None:
        User = get_user_model()
        name = name.strip()
        if not name:
            raise CommandError("NAME must not be empty.")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"--email: “{email}” is not an email address.") from None
        existing = User.objects.filter(username=name).first()
        if existing is not None:
            groups = ", ".join(existing.groups.values_list("name", flat=True)) or "no role"
            raise CommandError(
                f"An account named “{name}” already exists ({groups}); nothing was changed."
            )
        try:
            group = Group.objects.get(name=roles.ROLES[role])
        except Group.DoesNotExist:
            raise CommandError(
                f"The {roles.ROLES[role]} group is missing; run `manage.py migrate` first."
            ) from None

        user = User(username=name, email=email, is_staff=role in STAFF_ROLES)
        user.set_unusable_password()
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as error:
            raise CommandError(f"NAME: {' '.join(error.messages)}") from None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin: standard input held no password.")
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise CommandError(f"--password-stdin: {' '.join(error.messages)}") from None
            user.set_password(password)
        with transaction.atomic():
            user.save()
            user.groups.add(group)
            token = Token.objects.create(user=user)

        self.stdout.write(f"Created {role} account “{name}”.")
        if role in STAFF_ROLES and not password_stdin:
            self.stdout.write(
                f"Set its password with `.venv/bin/python manage.py changepassword {name}`, "
                f"then log in at /admin/."
            )
        self.stdout.write("API token (send it as `Authorization: Token <token>`):")
        self.stdout.write(token.key)
