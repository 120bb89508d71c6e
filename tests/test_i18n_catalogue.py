"""The catalogues (Japanese; any language added to settings.LANGUAGES) are complete, reviewed
and up to date with the code.

Every message the code marks has a translation, none is fuzzy (a guess gettext made
that nobody checked), and the catalogue holds exactly the messages `makemessages` finds in
the code today: a string marked and not added, or removed and left behind, fails here. The
catalogue is read by the small parser below (the .po format is simple), so the suite needs
no library for it.
"""

import ast
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
# Every language but the one the code is written in has a catalogue.
TRANSLATED = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def catalogue(language: str, root: Path = ROOT) -> Path:
    return root / "locale" / language / "LC_MESSAGES" / "django.po"


# Generated or installed, never sources of messages (and ignored by git).
NOT_SOURCES = {"locale", "node_modules", "staticfiles", "test-artifacts", "backups"}


@dataclass
class Message:
    context: str | None = None
    msgid: str = ""
    plural: str | None = None
    translations: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.context, self.msgid, self.plural)

    def __str__(self) -> str:
        return f"{self.msgid!r}" + (f" (context {self.context!r})" if self.context else "")


_LINE = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(".*")$')


def parse(text: str) -> list[Message]:
    """The messages of a .po file (the header, msgid "", left out; obsolete `#~` ones too)."""
    messages, current, last = [], Message(), None

    def finish():
        nonlocal current
        if current.msgid:
            messages.append(current)
        current = Message()

    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if not line:
            finish()
            last = None
        elif line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if last == "msgctxt":
                current.context += value
            elif last == "msgid":
                current.msgid += value
            elif last == "msgid_plural":
                current.plural += value
            else:
                current.translations[-1] += value
        else:
            keyword, quoted = _LINE.match(line).groups()
            value = ast.literal_eval(quoted)
            if keyword == "msgctxt":
                current.context = value
            elif keyword == "msgid":
                current.msgid = value
            elif keyword == "msgid_plural":
                current.plural = value
            else:
                current.translations.append(value)
            last = keyword if not keyword.startswith("msgstr") else "msgstr"
    return messages


def test_the_parser_reads_contexts_plurals_continuations_and_flags():
    text = (
        'msgid ""\nmsgstr ""\n"Language: ja\\n"\n\n'
        '#: a.html\n#, fuzzy, python-format\nmsgctxt "nav"\nmsgid "Main"\nmsgstr "メイン"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "件"\n\n'
        'msgid ""\n"Long "\n"text"\nmsgstr ""\n"長い\\""\n"文"\n'
    )

    assert [(m.key, m.translations, m.flags) for m in parse(text)] == [
        (("nav", "Main", None), ["メイン"], {"fuzzy", "python-format"}),
        ((None, "one", "many"), ["件"], set()),
        ((None, "Long text", None), ['長い"文'], set()),
    ]


def committed(language: str) -> list[Message]:
    return parse(catalogue(language).read_text(encoding="utf-8"))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_has_a_translation_and_none_is_fuzzy(language):
    messages = committed(language)

    assert messages  # the catalogue is there
    assert [str(m) for m in messages if not all(m.translations)] == []
    assert [str(m) for m in messages if "fuzzy" in m.flags] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_holds_exactly_the_messages_of_the_code(language, tmp_path, monkeypatch):
    # makemessages over the project as it is, into a copy of the catalogue: the project's own
    # files are reached through links, so nothing in the checkout is written.
    for entry in ROOT.iterdir():
        if not entry.name.startswith(".") and entry.name not in NOT_SOURCES:
            (tmp_path / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [tmp_path / "locale"])

    call_command(
        "makemessages",
        locale=[language],
        no_obsolete=True,
        add_location="file",
        symlinks=True,
        verbosity=0,
    )
    made = {m.key: m for m in parse(catalogue(language, tmp_path).read_text(encoding="utf-8"))}
    kept = {m.key: m for m in committed(language)}

    assert sorted(map(str, (made[key] for key in made.keys() - kept.keys()))) == [], (
        f"marked in the code, missing from locale/{language}/LC_MESSAGES/django.po: run "
        "makemessages (README, Languages) and translate them"
    )
    assert sorted(map(str, (kept[key] for key in kept.keys() - made.keys()))) == [], (
        "in the catalogue, no longer in the code: run makemessages (README, Languages)"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_compiles_without_a_warning(language, tmp_path):
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(compiled), str(catalogue(language))],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ | {"LC_ALL": "C"},
    )

    assert result.returncode == 0, result.stderr
    count = len(committed(language))
    assert result.stderr == f"{count} translated message{'s' if count != 1 else ''}.\n"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Skip to main content"), ("ja", "本文へ移動")],
)
def test_the_compiled_catalogue_is_the_one_django_reads(language, expected):
    # tests/conftest.py compiles locale/ as `make test` does; Django reads it from LOCALE_PATHS.
    assert Path(settings.LOCALE_PATHS[0]) == ROOT / "locale"
    with translation.override(language):
        assert translation.gettext("Skip to main content") == expected
