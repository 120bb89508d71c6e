"""The README's manage.py commands work as written, in a fresh terminal of a fresh checkout.

A copy of the checkout (sharing the virtualenv), an environment with no Django variable and
no activated virtualenv, `make run`'s set-up steps, then every `manage.py` line of the
README's shell blocks, as a shell would run it.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEFT_OUT = {".git", ".venv", "node_modules", "staticfiles", "test-artifacts", "backups"}
LEFT_OUT_FILES = ("db.sqlite3*", "local.env", "*.pyc")


def readme_commands() -> list[str]:
    """The README's shell lines that run manage.py (interactive `changepassword` aside)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL):
        for line in block.splitlines():
            if "manage.py" in line and "changepassword" not in line:
                lines.append(line.split("  #", 1)[0].strip())
    return lines


@pytest.fixture
def checkout(tmp_path) -> Path:
    copy = tmp_path / "checkout"
    shutil.copytree(
        ROOT,
        copy,
        ignore=lambda folder, names: [
            name
            for name in names
            if name in LEFT_OUT
            or any(Path(name).match(pattern) for pattern in LEFT_OUT_FILES)
            or (Path(folder).name == "bench" and name == ".cache")
        ],
    )
    (copy / ".venv").symlink_to((ROOT / ".venv").resolve())
    return copy


def fresh_terminal(home: Path) -> dict[str, str]:
    venv_bin = str((ROOT / ".venv" / "bin").resolve())
    path = [part for part in os.environ["PATH"].split(os.pathsep) if part != venv_bin]
    return {"PATH": os.pathsep.join(path), "HOME": str(home), "LANG": "C.UTF-8"}


def run(command: str, cwd: Path, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )


def test_the_readme_shows_the_commands_this_test_runs():
    assert readme_commands() == [
        ".venv/bin/python manage.py create_account hana --role editor --email hana@example.org",
        ".venv/bin/python manage.py create_account kenji --role publisher",
        "printf '%s\\n' \"$SCORECARD_PASSWORD\" | .venv/bin/python manage.py create_account mei "
        "--role editor --password-stdin",
        ".venv/bin/python manage.py create_account newsroom --role partner",
    ]


def test_the_readmes_commands_work_as_written_in_a_fresh_terminal(checkout, tmp_path):
    env = fresh_terminal(tmp_path)
    # What `make run` does before it serves (its install step is the shared virtualenv).
    for step in (
        "make local.env",
        ".venv/bin/python manage.py migrate --noinput -v0",
        ".venv/bin/python manage.py import_scorecard --if-empty fixtures/*.yaml",
    ):
        result = run(step, checkout, env)
        assert result.returncode == 0, (step, result.stdout, result.stderr)
    assert (checkout / "local.env").read_text().splitlines()[1:] == ["DJANGO_DEBUG=1"]

    env["SCORECARD_PASSWORD"] = "a long and unusual passphrase"
    for command in readme_commands():
        result = run(command, checkout, env)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        # Each prints the new account's API token as its last line.
        assert re.fullmatch(r"[0-9a-f]{40}", result.stdout.splitlines()[-1]), command

    # The account whose password came from standard input logs in with it.
    check = run(
        ".venv/bin/python manage.py shell --no-imports -c "
        '"from django.contrib.auth.models import User; '
        "print(User.objects.get(username='mei').check_password('a long and unusual passphrase'))\"",
        checkout,
        env,
    )
    assert check.stdout == "True\n", check.stderr


def test_manage_py_finds_the_virtualenv_from_any_python(checkout, tmp_path):
    python = shutil.which("python3", path="/usr/bin:/bin") or shutil.which("python3")
    result = run(
        f"{python} manage.py check", checkout, fresh_terminal(tmp_path) | {"DJANGO_DEBUG": "1"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"


def test_a_missing_production_setting_is_one_clear_line(checkout, tmp_path):
    # No local.env, no DJANGO_DEBUG: production settings, which need a secret key.
    env = fresh_terminal(tmp_path)
    managed = run(".venv/bin/python manage.py migrate", checkout, env)
    served = run(".venv/bin/python -c 'import scorecard.wsgi'", checkout, env)

    for result in (managed, served):
        assert result.returncode != 0
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert "DJANGO_SECRET_KEY is not set." in result.stderr
        assert "Traceback" not in result.stderr


def test_the_password_from_standard_input_must_be_a_good_one(checkout, tmp_path):
    env = fresh_terminal(tmp_path)
    run("make local.env && .venv/bin/python manage.py migrate --noinput -v0", checkout, env)
    result = run(
        ".venv/bin/python manage.py create_account lee --role editor --password-stdin",
        checkout,
        env,
        input="12345\n",
    )
    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: --password-stdin: This password is too short.")
