"""The interchange format carries translations (issue 15, docs/interchange-format.md): an
item's `translations:` are checked with every other problem of the files (file:line), written
published as the file's evaluations are, exported back in the same place; export → import →
export is identical, an outdated translation stays outdated, and drafts stay out of files."""

import pytest

from tests.test_interchange import MINI, edit, empty_the_record, line, write
from tracker import services
from tracker.interchange import ScorecardFileError
from tracker.models import Area, Grade, Recommendation, Report, Status, Translation
from tracker.translation_models import digest

pytestmark = pytest.mark.django_db

AREA = """\
  - slug: security
    name: Security
"""
AREA_TRANSLATED = """\
  - slug: security
    name: Security
    intro: Alliances matter.
    translations:
      ja:
        kind: editors
        name: 安全保障
        intro: 同盟は重要です。
"""
REC = """\
    text: Do the first thing.
"""
REC_TRANSLATED = """\
    text: Do the first thing.
    translations:
      ja:
        kind: official
        title: 第一
        text:
          text: 最初のことをする。
          kind: machine
"""
GRADE = """\
      label: Done
      score: 2
      colour: "#1a5e20"
"""
GRADE_TRANSLATED = """\
      label: Done
      score: 2
      colour: "#1a5e20"
      translations:
        ja:
          kind: editors
          label: 達成
"""
QUOTE = """\
        quote: A passage.
"""
QUOTE_TRANSLATED = """\
        quote: A passage.
        translations:
          ja:
            kind: editors
            quote: ある一節。
"""


def translated_mini() -> str:
    text = edit(MINI, AREA, AREA_TRANSLATED)
    text = edit(text, REC, REC_TRANSLATED)
    text = edit(text, GRADE, GRADE_TRANSLATED)
    return edit(text, QUOTE, QUOTE_TRANSLATED)


def _rows() -> list[tuple]:
    return sorted(
        (t.content_type.model, t.field, t.language, t.text, t.kind, t.status)
        for t in Translation.objects.select_related("content_type")
    )


def test_an_import_writes_the_translations_published_made_from_the_files_originals(tmp_path):
    result = services.import_scorecard(files=[write(tmp_path, translated_mini())])

    assert _rows() == [
        ("area", "intro", "ja", "同盟は重要です。", "editors", Status.PUBLISHED),
        ("area", "name", "ja", "安全保障", "editors", Status.PUBLISHED),
        ("evidencelink", "quote", "ja", "ある一節。", "editors", Status.PUBLISHED),
        ("grade", "label", "ja", "達成", "editors", Status.PUBLISHED),
        ("recommendation", "text", "ja", "最初のことをする。", "machine", Status.PUBLISHED),
        ("recommendation", "title", "ja", "第一", "official", Status.PUBLISHED),
    ]
    area = Area.objects.get(slug="security")
    name = Translation.objects.of(area).get(field="name")
    assert (name.original_digest, name.is_outdated()) == (digest("Security"), False)
    assert name.published_at is not None
    counts = result.counts["translations"]
    assert (counts.created, counts.updated, counts.unchanged) == (6, 0, 0)

    again = services.import_scorecard(files=[write(tmp_path, translated_mini())])
    counts = again.counts["translations"]
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 6)
    assert not again.changed


def test_export_writes_them_back_in_the_same_place(tmp_path):
    services.import_scorecard(files=[write(tmp_path, translated_mini())])

    exported = services.export_scorecard(report=Report.objects.get(slug="mini"))

    assert AREA_TRANSLATED in exported
    assert (
        "      colour: '#1a5e20'\n      translations:\n        ja:\n          kind: editors\n"
        "          label: 達成\n"
    ) in exported
    assert (
        "    translations:\n      ja:\n        kind: official\n        title: 第一\n"
        "        text:\n          text: 最初のことをする。\n          kind: machine\n"
    ) in exported
    assert QUOTE_TRANSLATED in exported


def _round_trip(tmp_path) -> tuple[str, str]:
    first = services.export_scorecard(report=Report.objects.get(slug="mini"))
    path = write(tmp_path, first, "exported.yaml")
    Translation.objects.all().delete()
    empty_the_record()
    services.import_scorecard(files=[path])
    return first, services.export_scorecard(report=Report.objects.get(slug="mini"))


def test_export_import_export_is_identical(tmp_path):
    services.import_scorecard(files=[write(tmp_path, translated_mini())])

    first, second = _round_trip(tmp_path)

    assert second == first
    assert "translations:" in first


def test_an_outdated_translation_stays_outdated_through_the_round_trip(tmp_path):
    services.import_scorecard(files=[write(tmp_path, translated_mini())])
    changed = edit(translated_mini(), "    name: Security\n", "    name: Security and defense\n")
    # The file changes the original and keeps the translation: made from the new original.
    services.import_scorecard(files=[write(tmp_path, changed)])
    area = Area.objects.get(slug="security")
    assert Translation.objects.of(area).get(field="name").is_outdated() is False
    # An editor's change of the original alone leaves the translation outdated.
    Area.objects.filter(pk=area.pk).update(name="Security, defense and deterrence")
    assert Translation.objects.of(area).get(field="name").is_outdated() is True

    first, second = _round_trip(tmp_path)

    assert second == first
    assert f"        made_from:\n          name: {digest('Security and defense')}\n" in first
    area = Area.objects.get(slug="security")
    name = Translation.objects.of(area).get(field="name")
    assert (name.original_digest, name.is_outdated()) == (digest("Security and defense"), True)
    intro = Translation.objects.of(area).get(field="intro")
    assert intro.is_outdated() is False


def test_a_draft_translation_stays_out_of_the_file(tmp_path):
    services.import_scorecard(files=[write(tmp_path, MINI)])
    rec = Recommendation.objects.get(code="SEC-1")
    services.save_translation(target=rec, field="title", language="ja", text="下書き")

    exported = services.export_scorecard(report=Report.objects.get(slug="mini"))

    assert "translations" not in exported
    assert "下書き" not in exported


BAD = """\
    translations:
      ja:
        kind: editorial
        name: 安全保障
      fr:
        name: Sécurité
"""


REC_BAD = """\
    text: Do the first thing.
    translations:
      ja:
        kind: editors
        title: "  "
        code: SEC-1
        made_from:
          text: abc
"""
GRADE_BAD = """\
      label: Done
      score: 2
      colour: "#1a5e20"
      translations:
        ja:
          kind: editors
          description: 説明
"""


def test_every_problem_of_the_translations_is_named_with_its_line(tmp_path):
    text = edit(MINI, AREA, AREA + BAD)
    text = edit(text, REC, REC_BAD)
    text = edit(text, GRADE, GRADE_BAD)
    path = write(tmp_path, text)

    with pytest.raises(ScorecardFileError) as raised:
        services.import_scorecard(files=[path])

    messages = [(p.where.line, p.message) for p in raised.value.problems]
    assert messages == [
        (line(text, "description: 説明"), "the original is empty: there is nothing to translate"),
        (
            line(text, "kind: editorial"),
            "“editorial” is not a kind of translation (choose one of: official, editors, machine)",
        ),
        (line(text, "fr:"), "unknown key; allowed keys: ja"),
        (line(text, 'title: "  "'), "write the translation"),
        (line(text, "code: SEC-1", 2), "unknown key; allowed keys: kind, title, text, made_from"),
        (
            line(text, "text: abc"),
            "“abc” is not the digest of an original (64 hexadecimal digits, as the export "
            "writes it)",
        ),
    ]
    assert Report.objects.count() == 0
    assert Grade.objects.count() == 0
