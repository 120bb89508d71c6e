"""Importing a long file without holding it: memory stays flat, problems keep their places,
and a bad last item still leaves the database as it was (tracker/interchange/stream.py)."""

import tracemalloc
from io import StringIO

import pytest
from django.core.management import call_command

from tracker import events, search, services
from tracker.interchange import ScorecardFileError, importing, write
from tracker.models import Evaluation, EvidenceLink, Recommendation, Report

HEAD = """\
format: 1
report:
  slug: long
  short_name: Long
  title: A long report
  published_on: 2001-02-03
  grade_scale: steps
grade_scale:
  slug: steps
  name: Steps
  grades:
    - slug: done
      label: Done
      score: 2
      colour: "#1a5e20"
    - slug: none
      label: None
      score: 0
      colour: "#8a1c1c"
areas:
  - slug: security
    name: Security
evaluators:
  - slug: panel
    name: The panel
sources:
  - key: paper
    title: A paper
    url: https://example.org/paper
"""


def long_file(count: int, *, last_grade: str = "done") -> str:
    """A report of `count` recommendations, each with two published evaluations citing the
    paper; the last evaluation's grade is `last_grade`."""
    parts = [HEAD, "recommendations:\n"]
    for number in range(1, count + 1):
        parts.append(
            f"  - code: SEC-{number}\n    area: security\n    title: Measure {number}\n"
            f"    text: The allies should take measure {number} of a long list.\n"
        )
    parts.append("evaluations:\n")
    for number in range(1, count + 1):
        for year in (2002, 2003):
            grade = last_grade if (number, year) == (count, 2003) else "done"
            parts.append(
                f"  - recommendation: SEC-{number}\n    evaluator: panel\n"
                f"    as_of: {year}-01-01\n    grade: {grade}\n    wording: Done\n"
                f"    narrative: Measure {number} was taken in {year}.\n    status: published\n"
                f"    evidence:\n      - source: paper\n        quote: It was done.\n"
            )
    return "".join(parts)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    at = -1
    for _ in range(nth):
        at = text.index(needle, at + 1)
    return text[:at].count("\n") + 1


def peak_of_import(tmp_path, count: int) -> int:
    """The peak of memory Python allocated while importing (dry run) a file of `count`."""
    path = tmp_path / f"long-{count}.yaml"
    path.write_text(long_file(count), encoding="utf-8")
    tracemalloc.start()
    try:
        result = services.import_scorecard(files=[path], dry_run=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.counts["recommendations"].created == count
    assert result.counts["evaluations"].created == 2 * count
    return peak


def test_memory_does_not_grow_with_the_file(db, tmp_path, monkeypatch):
    # Small batches (the write's, the events', the search index's), so that both files are
    # many batches long and the test stays quick: the import holds a batch at a time,
    # whatever the file's length.
    for module, name in (
        (write, "BATCH"),
        (events, "_BATCH"),
        (importing, "EVENTS_AT_ONCE"),
        (search, "BATCH"),
    ):
        monkeypatch.setattr(module, name, 20)
    peak_of_import(tmp_path, 20)  # (first use: caches, compiled statements, content types)
    small = peak_of_import(tmp_path, 60)
    large = peak_of_import(tmp_path, 240)
    # Four times the file: the import that held every item's nodes and spec to the end
    # needed about four times the memory. What still grows is the small index of the codes
    # and the ids of what the import published (a few dozen bytes an item).
    assert large / small < 1.3, (small, large)


def test_problems_in_the_streamed_items_name_their_file_line_and_path(db, tmp_path):
    text = long_file(30)
    text = text.replace("    title: Measure 17\n", "    title: Measure 17\n    colour: red\n")
    text = text.replace(
        "  - recommendation: SEC-22\n    evaluator: panel\n    as_of: 2003-01-01\n",
        "  - recommendation: SEC-22\n    evaluator: panel\n    as_of: 2003-13-01\n",
    )
    text = text.replace("  - code: SEC-25\n", "  - code: SEC-3\n")
    path = tmp_path / "long.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScorecardFileError) as raised:
        services.import_scorecard(files=[path])
    second = line_of(text, "as_of: 2003-13-01")
    assert raised.value.messages == [
        f"{path}:{line_of(text, 'colour: red')}: recommendations[16].colour: unknown key; "
        f"allowed keys: code, area, title, actors, actor, due_on, due_set_by, topics, text, "
        f"translations",
        f"{path}:{line_of(text, 'code: SEC-3' + chr(10), 2)}: recommendations[24].code: "
        f"“SEC-3” is used twice in this file (first at line "
        f"{line_of(text, 'code: SEC-3' + chr(10))}, recommendations[2].code); recommendation "
        f"codes must be unique",
        f"{path}:{second}: evaluations[43].as_of: “2003-13-01” is not a date; write dates as "
        f"YYYY-MM-DD (e.g. 2004-04-26)",
        f"{path}:{line_of(text, 'recommendation: SEC-25')}: evaluations[48].recommendation: "
        f"there is no recommendation SEC-25 in the report “long”",
        f"{path}:{line_of(text, 'recommendation: SEC-25', 2)}: "
        f"evaluations[49].recommendation: there is no recommendation SEC-25 in the report "
        f"“long”",
    ]
    assert Report.objects.count() == 0


def test_a_bad_last_item_leaves_the_database_as_it_was(db, tmp_path, monkeypatch):
    monkeypatch.setattr(write, "BATCH", 20)  # many batches written before the last item
    text = long_file(100, last_grade="excellent")
    path = tmp_path / "long.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScorecardFileError) as raised:
        services.import_scorecard(files=[path])
    assert raised.value.messages == [
        f"{path}:{line_of(text, 'grade: excellent')}: evaluations[199].grade: “excellent” is "
        f"not a grade of scale “steps” (choose one of: done, none)"
    ]
    counts = (
        Report.objects.count(),
        Recommendation.objects.count(),
        Evaluation.objects.count(),
        EvidenceLink.objects.count(),
    )
    assert counts == (0, 0, 0, 0)
    path.write_text(long_file(100), encoding="utf-8")
    services.import_scorecard(files=[path])
    assert (Recommendation.objects.count(), Evaluation.objects.count()) == (100, 200)


def test_the_import_command_shows_a_line_a_tenth_off_a_terminal_and_nothing_when_quiet(
    db, tmp_path, monkeypatch
):
    monkeypatch.setattr(write, "BATCH", 100)
    path = tmp_path / "long.yaml"
    path.write_text(long_file(1000), encoding="utf-8")
    err = StringIO()
    call_command("import_scorecard", "--dry-run", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        *(f"recommendations: {n:,} of 1,000" for n in range(100, 1001, 100)),
        *(f"evaluations: {n:,} of 2,000" for n in range(200, 2001, 200)),
    ]
    err = StringIO()
    call_command("import_scorecard", "--verbosity", "0", str(path), stdout=StringIO(), stderr=err)
    assert err.getvalue() == ""
    assert Evaluation.objects.count() == 2000
