"""Importing and exporting scorecard files (docs/interchange-format.md).

A bad file gets a message naming the file, the line, the path and the problem, and leaves
the database exactly as it was; a good file imports once, and importing it again changes
nothing.
"""

import datetime
import json
import textwrap
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper

from tests.conftest import DEMO_FILES
from tracker import services
from tracker.interchange import ScorecardFileError
from tracker.management.commands.import_scorecard import ProgressDisplay
from tracker.models import (
    Actor,
    Area,
    Edition,
    EditionEntry,
    Evaluation,
    Evaluator,
    EvidenceLink,
    Grade,
    GradeScale,
    Recommendation,
    RecommendationActor,
    RecommendationLink,
    Report,
    Source,
    Status,
    Topic,
)

MINI = textwrap.dedent(
    """\
    format: 1
    report:
      slug: mini
      short_name: Mini
      title: A small report
      published_on: 2001-02-03
      grade_scale: progress
    grade_scale:
      slug: progress
      name: Progress
      grades:
        - slug: done
          label: Done
          score: 2
          colour: "#1a5e20"
        - slug: partial
          label: Partial
          score: 1
          colour: "#8a5a00"
        - slug: none
          label: None yet
          score: 0
          colour: "#8a1c1c"
    topics:
      - slug: trade
        name: Trade
    areas:
      - slug: security
        name: Security
      - slug: economy
        name: Economy
    recommendations:
      - code: SEC-1
        area: security
        title: First
        topics: [trade]
        text: Do the first thing.
      - code: ECO-1
        area: economy
        title: Second
        text: Do the second thing.
    evaluators:
      - slug: panel
        name: The panel
    sources:
      - key: paper
        title: A paper
        url: https://example.org/paper
    evaluations:
      - recommendation: SEC-1
        evaluator: panel
        as_of: 2004-04-26
        grade: partial
        wording: Some progress
        narrative: Some progress was made.
        status: published
        evidence:
          - source: paper
            quote: A passage.
      - recommendation: ECO-1
        evaluator: panel
        as_of: 2004-04-26
        grade: none
        narrative: Nothing yet.
        status: draft
    editions:
      - slug: mini-2004
        name: Mini 2004
        as_of: 2004-04-26
    """
)


def write(directory: Path, text: str, name: str = "mini.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line(text: str, snippet: str, occurrence: int = 1) -> int:
    """The line number of the `occurrence`th line containing `snippet`."""
    found = [n for n, content in enumerate(text.splitlines(), start=1) if snippet in content]
    return found[occurrence - 1]


def row_counts() -> dict[str, int]:
    """Rows in every table of the record, audit history included."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("tracker").get_models()
    }


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScorecardFileError) as raised:
        services.import_scorecard(files=[path])
    return raised.value.messages


@pytest.fixture
def mini(db, tmp_path):
    """The small report, imported."""
    services.import_scorecard(files=[write(tmp_path, MINI, "mini-original.yaml")])
    return Report.objects.get(slug="mini")


def assert_refused(tmp_path: Path, text: str, expected: list[str]) -> None:
    """Importing `text` gives exactly these problems and changes nothing at all."""
    before = row_counts()
    title = Report.objects.get(slug="mini").title
    # Each bad file also carries a valid change, which must not be written either.
    path = write(tmp_path, edit(text, "title: A small report", "title: A changed title"))
    assert problems_of(path) == [message.format(file=path) for message in expected]
    assert row_counts() == before
    assert Report.objects.get(slug="mini").title == title


# --- bad input: each kind gets its clear message, and nothing is written -----------------


def test_an_unknown_area_is_refused(mini, tmp_path):
    text = edit(MINI, "area: economy", "area: economics")
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'area: economics')}: recommendations[1].area: there is no "
            f"area “economics” in this report (areas: economy, security)"
        ],
    )


def test_a_grade_not_on_the_scale_is_refused(mini, tmp_path):
    text = edit(MINI, "grade: partial", "grade: excellent")
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'grade: excellent')}: evaluations[0].grade: “excellent” is "
            f"not a grade of scale “progress” (choose one of: done, partial, none)"
        ],
    )


@pytest.mark.parametrize("written", ["2004-02-30", "26/04/2004", "2004-4-26", "April 2004"])
def test_a_malformed_date_is_refused(mini, tmp_path, written):
    text = edit(
        MINI, "as_of: 2004-04-26\n    grade: partial", f"as_of: {written}\n    grade: partial"
    )
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, written)}: evaluations[0].as_of: “{written}” is not a date; "
            f"write dates as YYYY-MM-DD (e.g. 2004-04-26)"
        ],
    )


def test_a_duplicate_code_is_refused(mini, tmp_path):
    text = edit(MINI, "code: ECO-1", "code: SEC-1")
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'code: SEC-1', 2)}: recommendations[1].code: “SEC-1” is "
            f"used twice in this file (first at line {line(text, 'code: SEC-1')}, "
            f"recommendations[0].code); recommendation codes must be unique"
        ],
    )


def test_a_dangling_source_reference_is_refused(mini, tmp_path):
    text = edit(MINI, "- source: paper", "- source: papr")
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'source: papr')}: evaluations[0].evidence[0].source: there "
            f"is no source “papr” in the files or the database; add it under “sources:”"
        ],
    )


@pytest.mark.parametrize(
    ("old", "new", "snippet", "message"),
    [
        (
            "score: 2",
            "score: high",
            "score: high",
            "grade_scale.grades[0].score: expected a whole number, found the text “high”",
        ),
        (
            "topics: [trade]",
            "topics: trade",
            "topics: trade",
            "recommendations[0].topics: expected a list of topic slugs, found the text “trade”",
        ),
        (
            "text: Do the first thing.",
            "text: [Do, the first thing]",
            "text: [Do",
            "recommendations[0].text: expected text, found a list",
        ),
        (
            "  - slug: panel\n    name: The panel",
            "  slug: panel\n  name: The panel",
            "evaluators:",
            "evaluators: expected a list of evaluators, found a mapping (key: value lines)",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(mini, tmp_path, old, new, snippet, message):
    text = edit(MINI, old, new)
    assert_refused(tmp_path, text, [f"{{file}}:{line(text, snippet)}: {message}"])


def test_every_problem_is_listed_not_just_the_first(mini, tmp_path):
    text = edit(MINI, "area: economy", "area: economics")
    text = edit(text, "grade: partial", "grade: excellent")
    text = edit(text, "as_of: 2004-04-26\n    grade: none", "as_of: 2004-13-01\n    grade: none")
    text = edit(text, "    title: Second", "    titel: Second")
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, '- code: ECO-1')}: recommendations[1].title: is required "
            f"(a line of text)",
            f"{{file}}:{line(text, 'area: economics')}: recommendations[1].area: there is no "
            f"area “economics” in this report (areas: economy, security)",
            f"{{file}}:{line(text, 'titel')}: recommendations[1].titel: unknown key; did you "
            f"mean “title”?",
            f"{{file}}:{line(text, 'grade: excellent')}: evaluations[0].grade: “excellent” is "
            f"not a grade of scale “progress” (choose one of: done, partial, none)",
            f"{{file}}:{line(text, '2004-13-01')}: evaluations[1].as_of: “2004-13-01” is not a "
            f"date; write dates as YYYY-MM-DD (e.g. 2004-04-26)",
        ],
    )


@pytest.mark.parametrize(
    ("old", "new", "snippet", "message"),
    [
        (
            "format: 1",
            "format: 2",
            "format: 2",
            "format: this file is in format 2; this version of Alliance Scorecard reads format "
            "1 (see docs/interchange-format.md)",
        ),
        (
            "    name: The panel",
            "    name: The panel\n    homepage: https://example.org",
            "homepage",
            "evaluators[0].homepage: unknown key; allowed keys: slug, name, kind, affiliation, url",
        ),
        (
            "    status: draft",
            "    status: pending",
            "status: pending",
            "evaluations[1].status: “pending” is not a status (choose one of: draft, published)",
        ),
        (
            "    url: https://example.org/paper",
            "    url: ftp://example.org/paper",
            "ftp://",
            "sources[0].url: “ftp://example.org/paper” is not a web address (http:// or https://)",
        ),
        (
            '      colour: "#1a5e20"',
            "      colour: green",
            "colour: green",
            "grade_scale.grades[0].colour: “green” is not a colour; write it as #RRGGBB in quotes "
            '(e.g. "#1a5e20")',
        ),
        (
            "    status: draft",
            "    status: draft\n    published_at: 2004-04-26T12:00:00Z",
            "published_at",
            "evaluations[1].published_at: a draft has no publication time; remove published_at "
            "or set status: published",
        ),
        (
            "    status: draft",
            "    status: published",
            "- recommendation: ECO-1",
            "evaluations[1]: a published evaluation needs evidence: cite at least one source "
            "under “evidence:”",
        ),
        (
            "    narrative: Nothing yet.\n    status: draft",
            "    status: draft\n    evidence:\n      - source: paper\n      - source: paper",
            "- source: paper",
            "evaluations[1].evidence[1].source: “paper” is already cited by this evaluation "
            "(line {previous}); cite a source once, with every passage relied on in its quote",
        ),
        (
            "    title: First",
            "    title: First\n    title: First again",
            "title: First",
            "recommendations[0].title: appears twice (first at line {previous}); keep one",
        ),
        (
            "  - slug: trade\n    name: Trade",
            "  - slug: trade\n    name: &trade Trade",
            "name: *trade",
            "areas[0].name: uses an alias (*name) to repeat a value; write the value out instead",
        ),
        (
            "    evaluator: panel\n    as_of: 2004-04-26\n    grade: none",
            "    evaluator: jury\n    as_of: 2004-04-26\n    grade: none",
            "evaluator: jury",
            "evaluations[1].evaluator: there is no evaluator “jury” in the files or the "
            "database; add it under “evaluators:”",
        ),
        (
            "    topics: [trade]",
            "    topics: [trade, farming]",
            "farming",
            "recommendations[0].topics[1]: there is no topic “farming” in the files or the "
            "database; add it under “topics:”",
        ),
        (
            "    text: Do the second thing.",
            "    text: Do the second thing.\nlinks:\n  - from: ECO-1\n    to: other-report/SEC-9"
            "\n    kind: reiterates",
            "to: other-report",
            "links[0].to: there is no recommendation other-report/SEC-9 in the files or the "
            "database",
        ),
        (
            "    text: Do the second thing.",
            "    text: Do the second thing.\nlinks:\n  - from: ECO-1\n    to: ECO-1\n"
            "    kind: related",
            "to: ECO-1",
            "links[0].to: a recommendation cannot link to itself",
        ),
        (
            "  - recommendation: ECO-1\n    evaluator: panel\n    as_of: 2004-04-26",
            "  - recommendation: ECO-1\n    evaluator: panel\n    as_of: 2999-01-01",
            "2999-01-01",
            "evaluations[1].as_of: 2999-01-01 is in the future; an evaluation speaks for a date "
            "that has come",
        ),
    ],
)
def test_more_kinds_of_bad_input_are_refused(mini, tmp_path, old, new, snippet, message):
    text = edit(MINI, old, new)
    if "*trade" in snippet:
        text = edit(text, "    name: Security", "    name: *trade")
    at = [n for n, content in enumerate(text.splitlines(), 1) if snippet in content]
    expected = message.replace("{previous}", str(at[-2] if len(at) > 1 else 0))
    assert_refused(tmp_path, text, [f"{{file}}:{at[-1]}: {expected}"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "{file}: is empty; a scorecard file starts with “format: 1”"),
        (
            b"- a list\n- of things\n",
            "{file}:1: is not a scorecard file: expected “format: 1” "
            "and sections such as “report:” at the top level",
        ),
        (
            b"format: 1\nreport:\n  slug: x\n  title: \xff\n",
            "{file}:4: is not UTF-8 text (byte 0xff cannot be decoded); save the file as UTF-8",
        ),
        (
            b"format: 1\nreport: \x00\n",
            "{file}:2: contains a NUL byte, so it is not a text file; "
            "scorecard files are UTF-8 YAML text",
        ),
        (b"format: 1\nreport:\n  slug: [x\n", "{file}:4: is not valid YAML: "),
    ],
)
def test_a_file_that_is_not_a_scorecard_is_refused(db, tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    before = row_counts()
    expected = expected.format(file=path)
    if expected.endswith("YAML: "):
        # The parser's own words (libyaml's or PyYAML's) follow; the place is ours.
        assert problems_of(path)[0].startswith(expected)
        assert problems_of(path)[0].endswith("(while parsing a flow sequence)")
    else:
        assert problems_of(path) == [expected]
    assert row_counts() == before


def test_a_missing_file_is_refused(db, tmp_path):
    assert problems_of(tmp_path / "nowhere.yaml") == [f"{tmp_path / 'nowhere.yaml'}: no such file"]


def test_a_problem_in_one_file_stops_every_file(db, tmp_path):
    good = write(tmp_path, MINI, "good.yaml")
    other = edit(MINI, "slug: mini\n", "slug: other\n")
    bad = write(tmp_path, edit(other, "grade: partial", "grade: excellent"), "bad.yaml")
    with pytest.raises(ScorecardFileError):
        services.import_scorecard(files=[good, bad])
    assert Report.objects.count() == 0
    assert Evaluation.history.count() == 0


def test_a_grade_scale_repeated_in_two_files_must_match(db, tmp_path):
    first = write(tmp_path, MINI, "first.yaml")
    text = edit(MINI, "slug: mini\n", "slug: other\n")
    text = edit(edit(text, "label: Partial", "label: Halfway"), "slug: mini-2004", "slug: o-2004")
    second = write(tmp_path, text, "second.yaml")
    with pytest.raises(ScorecardFileError) as raised:
        services.import_scorecard(files=[first, second])
    assert raised.value.messages == [
        f"{second}:{line(text, 'grades:')}: grade_scale.grades: the grade scale “progress” is "
        f"defined differently in {first} (line {line(MINI, 'grade_scale:', 2)}): its grades "
        f"differ; a grade scale shared by several files must be the same in each"
    ]
    assert Report.objects.count() == 0


# --- importing: idempotent, minimal, never deleting ----------------------------------------


def audit_state() -> dict:
    return {
        "rows": row_counts(),
        "evaluations": list(Evaluation.objects.values_list("pk", "version", "updated_at")),
        "sources": list(Source.objects.values_list("pk", "updated_at")),
    }


def test_importing_the_same_file_twice_changes_nothing(mini, tmp_path):
    before = audit_state()
    result = services.import_scorecard(files=[write(tmp_path, MINI)])
    assert not result.changed
    assert {
        kind: (c.created, c.updated) for kind, c in result.counts.items() if c.created or c.updated
    } == {}
    assert result.counts["evaluations"].unchanged == 2
    assert audit_state() == before


def test_a_changed_narrative_updates_only_that_evaluation(mini, tmp_path):
    before = row_counts()
    draft = Evaluation.objects.get(recommendation__code="ECO-1")
    text = edit(MINI, "narrative: Nothing yet.", "narrative: Nothing yet, the panel says.")
    result = services.import_scorecard(files=[write(tmp_path, text)])
    assert result.counts["evaluations"].updated == 1
    assert result.counts["evaluations"].unchanged == 1
    draft.refresh_from_db()
    assert draft.narrative == "Nothing yet, the panel says."
    assert draft.version == 2
    after = row_counts()
    assert (
        after.pop("tracker.HistoricalEvaluation") == before.pop("tracker.HistoricalEvaluation") + 1
    )
    assert after == before


def test_a_published_evaluation_without_a_time_is_published_at_noon_utc(mini):
    evaluation = Evaluation.objects.get(recommendation__code="SEC-1")
    assert evaluation.published_at == datetime.datetime(2004, 4, 26, 12, tzinfo=datetime.UTC)


def test_nothing_is_deleted_when_a_file_leaves_rows_out(mini, tmp_path):
    text = edit(MINI, "  - slug: security\n    name: Security\n", "")
    text = (
        text[: text.index("recommendations:")]
        + "recommendations:\n"
        + text[text.index("  - code: ECO-1") : text.index("evaluators:")]
        + "evaluators:\n  - slug: panel\n    name: The panel\n"
    )
    before = row_counts()
    services.import_scorecard(files=[write(tmp_path, text)])
    after = row_counts()
    # Only ECO-1 changed (its position): rows the file leaves out are not touched at all.
    assert after.pop("tracker.HistoricalRecommendation") == (
        before.pop("tracker.HistoricalRecommendation") + 1
    )
    assert after == before
    assert dict(mini.recommendations.values_list("code", "position")) == {"ECO-1": 1, "SEC-1": 1}
    # An area keeps its place, unless the file's areas take it; then it moves after them.
    assert dict(Area.objects.filter(report=mini).values_list("slug", "position")) == {
        "economy": 1,
        "security": 2,
    }


def test_reordering_areas_and_grades_keeps_their_unique_positions(mini, tmp_path):
    text = edit(
        MINI,
        "  - slug: security\n    name: Security\n  - slug: economy\n    name: Economy\n",
        "  - slug: economy\n    name: Economy\n  - slug: security\n    name: Security\n",
    )
    text = edit(edit(text, "score: 2", "score: 9"), "score: 1", "score: 2")
    services.import_scorecard(files=[write(tmp_path, text)])
    assert list(Area.objects.filter(report=mini).values_list("slug", flat=True)) == [
        "economy",
        "security",
    ]
    assert dict(Grade.objects.values_list("slug", "score")) == {"done": 9, "partial": 2, "none": 0}


def test_a_published_edition_never_changes(mini, tmp_path):
    text = edit(MINI, "name: Mini 2004", "name: Mini 2004, corrected")
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'name: Mini 2004')}: editions[0].name: the edition "
            f"“mini-2004” is published, and published editions never change (name differs from "
            f"the database); publish a new edition under another slug"
        ],
    )


def test_an_evaluation_frozen_in_an_edition_cannot_change(mini, tmp_path):
    text = edit(MINI, "narrative: Some progress was made.", "narrative: Much progress.")
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'narrative: Much')}: evaluations[0].narrative: this "
            f"evaluation is frozen in the published edition “Mini 2004” and cannot change "
            f"(narrative differs from the database); log a new evaluation to correct it"
        ],
    )


def test_an_edition_freezes_the_grades_current_at_its_date(mini):
    edition = Edition.objects.get(slug="mini-2004")
    assert edition.status == Status.PUBLISHED
    assert [(e.recommendation.code, e.evaluation.as_of) for e in edition.entries.all()] == [
        ("SEC-1", datetime.date(2004, 4, 26))
    ]


def test_a_new_evaluation_can_be_added_to_a_frozen_recommendation(mini, tmp_path):
    text = MINI.replace(
        "editions:",
        "  - recommendation: SEC-1\n    evaluator: panel\n    as_of: 2005-01-01\n"
        "    grade: done\n    narrative: Done now.\n    status: published\n"
        "    published_at: 2005-01-02T09:30:00+09:00\n    evidence:\n      - source: paper\n"
        "editions:",
    )
    services.import_scorecard(files=[write(tmp_path, text)])
    new = Evaluation.objects.get(as_of=datetime.date(2005, 1, 1))
    assert new.published_at == datetime.datetime(2005, 1, 2, 0, 30, tzinfo=datetime.UTC)
    assert new.evidence.get().source.key == "paper"


def test_a_dry_run_reports_the_changes_and_writes_nothing(db, tmp_path):
    result = services.import_scorecard(files=[write(tmp_path, MINI)], dry_run=True)
    assert result.counts["evaluations"].created == 2
    assert result.counts["editions"].created == 1
    assert set(row_counts().values()) == {0}


# --- exporting -------------------------------------------------------------------------------

# What export writes for MINI: keys in the documented order, defaults spelled out, the
# draft with its status, the edition with its entries.
MINI_EXPORTED = textwrap.dedent(
    """\
    format: 1
    report:
      slug: mini
      short_name: Mini
      title: A small report
      published_on: 2001-02-03
      grade_scale: progress
    grade_scale:
      slug: progress
      name: Progress
      grades:
        - slug: done
          label: Done
          score: 2
          colour: '#1a5e20'
        - slug: partial
          label: Partial
          score: 1
          colour: '#8a5a00'
        - slug: none
          label: None yet
          score: 0
          colour: '#8a1c1c'
    topics:
      - slug: trade
        name: Trade
    areas:
      - slug: security
        name: Security
      - slug: economy
        name: Economy
    recommendations:
      - code: SEC-1
        area: security
        title: First
        topics: [trade]
        text: Do the first thing.
      - code: ECO-1
        area: economy
        title: Second
        text: Do the second thing.
    evaluators:
      - slug: panel
        name: The panel
        kind: organization
    sources:
      - key: paper
        title: A paper
        url: https://example.org/paper
        kind: other
    evaluations:
      - recommendation: SEC-1
        evaluator: panel
        as_of: 2004-04-26
        grade: partial
        wording: Some progress
        narrative: Some progress was made.
        status: published
        published_at: 2004-04-26T12:00:00Z
        evidence:
          - source: paper
            stance: supports
            quote: A passage.
      - recommendation: ECO-1
        evaluator: panel
        as_of: 2004-04-26
        grade: none
        narrative: Nothing yet.
        status: draft
    editions:
      - slug: mini-2004
        name: Mini 2004
        as_of: 2004-04-26
        status: published
        published_at: 2004-04-26T12:00:00Z
        entries:
          - recommendation: SEC-1
            evaluator: panel
            as_of: 2004-04-26
    """
)


def empty_the_record() -> None:
    """Delete every row of the record and its history: an empty database to import into."""
    for model in (
        EditionEntry,
        Edition,
        EvidenceLink,
        Evaluation,
        RecommendationLink,
        Recommendation.topics.through,
        RecommendationActor,
        Recommendation,
        Area,
        Report,
        Grade,
        GradeScale,
        Topic,
        Evaluator,
        Source,
    ):
        model.objects.all().delete()
    Actor.objects.update(parent=None)  # (each protects the bodies within it)
    Actor.objects.all().delete()
    for model in apps.get_app_config("tracker").get_models():
        if model.__name__.startswith("Historical"):
            model.objects.all().delete()
    # The webhook events the import that loaded the demo recorded (it publishes).
    apps.get_model("tracker", "WebhookEvent").objects.all().delete()
    assert set(row_counts().values()) == {0}


def test_export_writes_the_documented_shape(mini):
    assert services.export_scorecard(report=mini) == MINI_EXPORTED


def test_export_then_import_into_an_empty_database_then_export_is_identical(demo, tmp_path):
    reports = list(Report.objects.order_by("slug"))
    first = {r.slug: services.export_scorecard(report=r) for r in reports}
    files = [write(tmp_path, text, f"{slug}.yaml") for slug, text in first.items()]
    empty_the_record()
    services.import_scorecard(files=files)
    second = {r.slug: services.export_scorecard(report=r) for r in Report.objects.order_by("slug")}
    assert second == first


def test_importing_an_export_of_the_same_database_changes_nothing(demo, tmp_path):
    files = [
        write(tmp_path, services.export_scorecard(report=r), f"{r.slug}.yaml")
        for r in Report.objects.all()
    ]
    before = audit_state()
    result = services.import_scorecard(files=files)
    assert not result.changed
    assert audit_state() == before


TRICKY_TEXTS = [
    "  leading spaces",
    "trailing space ",
    "line one\nline two\n",
    "paragraph one\n\nparagraph two",
    "tab\tinside",
    "‘quotes’ — and 日本語",
    "yes",
    "1984",
    "null",
    "- looks like a list",
    "# looks like a comment",
    "key: value",
    "a long line with  double  spaces that is much longer than the width of the export, "
    "so the exporter folds it over several lines and must keep every space as it was",
    "windows\r\nline ends",
    "ends with two newlines\n\n",
    "  indented\n    more indented\nback",
]


def test_any_text_survives_export_and_import_exactly(mini, tmp_path):
    evaluations = "".join(
        f"  - recommendation: ECO-1\n    evaluator: panel\n    as_of: 2002-01-{day:02d}\n"
        f"    grade: none\n    narrative: {json.dumps(text, ensure_ascii=False)}\n"
        f"    status: draft\n"
        for day, text in enumerate(TRICKY_TEXTS, start=1)
    )
    services.import_scorecard(
        files=[write(tmp_path, MINI.replace("editions:", evaluations + "editions:"))]
    )
    stored = list(
        Evaluation.objects.filter(as_of__year=2002)
        .order_by("as_of")
        .values_list("narrative", flat=True)
    )
    assert stored == TRICKY_TEXTS
    exported = services.export_scorecard(report=mini)
    path = write(tmp_path, exported, "exported.yaml")
    empty_the_record()
    services.import_scorecard(files=[path])
    assert services.export_scorecard(report=Report.objects.get()) == exported


# --- the commands ------------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_import_command_summarises_what_it_did(db, tmp_path):
    path = write(tmp_path, MINI)
    out, _ = run("import_scorecard", str(path))
    assert out.splitlines()[0].startswith(f"Imported {path} in ")
    assert out.splitlines()[1:] == [
        "                  created   updated  unchanged",
        "grade scales            1         0          0",
        "grades                  3         0          0",
        "topics                  1         0          0",
        "evaluators              1         0          0",
        "sources                 1         0          0",
        "reports                 1         0          0",
        "areas                   2         0          0",
        "recommendations         2         0          0",
        "evaluations             2         0          0",
        "evidence                1         0          0",
        "editions                1         0          0",
    ]
    out, _ = run("import_scorecard", str(path))
    assert out.splitlines()[0] == f"Nothing to change: the database already matches {path}."


def test_the_import_command_with_if_empty_leaves_a_filled_database_alone(mini, tmp_path):
    path = write(tmp_path, edit(MINI, "title: A small report", "title: Changed"))
    out, _ = run("import_scorecard", "--if-empty", str(path))
    assert out == (
        "Skipped: the database already holds 1 report; run without --if-empty to update it "
        "from the files.\n"
    )
    assert Report.objects.get().title == "A small report"


def test_the_import_command_dry_run_writes_nothing(db, tmp_path):
    out, _ = run("import_scorecard", "--dry-run", str(write(tmp_path, MINI)))
    assert (
        out.splitlines()[0]
        == f"Dry run, nothing written. Importing {tmp_path / 'mini.yaml'} would do this:"
    )
    assert Report.objects.count() == 0


def test_the_import_command_lists_every_problem_and_fails(db, tmp_path):
    text = edit(edit(MINI, "grade: partial", "grade: excellent"), "area: economy", "area: x")
    path = write(tmp_path, text)
    with pytest.raises(CommandError) as raised:
        run("import_scorecard", str(path))
    assert str(raised.value) == (
        "nothing was imported; 2 problems to fix:\n"
        f"{path}:{line(text, 'area: x')}: recommendations[1].area: there is no area “x” in this "
        f"report (areas: economy, security)\n"
        f"{path}:{line(text, 'grade: excellent')}: evaluations[0].grade: “excellent” is not a "
        f"grade of scale “progress” (choose one of: done, partial, none)"
    )
    assert set(row_counts().values()) == {0}


def test_the_import_command_shows_progress_on_a_large_file(db, tmp_path):
    evaluations = "".join(
        f"  - recommendation: SEC-1\n    evaluator: panel\n    as_of: {day}\n    grade: none\n"
        f"    status: draft\n"
        for day in (datetime.date(2001, 3, 1) + datetime.timedelta(days=n) for n in range(1000))
    )
    text = MINI.replace("editions:", evaluations + "editions:")
    _, err = run("import_scorecard", str(write(tmp_path, text)))
    assert err.splitlines() == ["evaluations: 1,000 of 1,002", "evaluations: 1,002 of 1,002"]
    assert Evaluation.objects.count() == 1002


def test_the_export_command_writes_one_report_or_a_directory(demo, tmp_path):
    out, _ = run("export_scorecard", "--report", "heritage-2004")
    assert out == services.export_scorecard(report=Report.objects.get(slug="heritage-2004"))
    _, err = run("export_scorecard", "-o", str(tmp_path / "out"))
    assert err == (
        f"Wrote armitage-nye-2000 to {tmp_path / 'out' / 'armitage-nye-2000.yaml'}\n"
        f"Wrote heritage-2004 to {tmp_path / 'out' / 'heritage-2004.yaml'}\n"
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "armitage-nye-2000.yaml",
        "heritage-2004.yaml",
    ]
    assert (tmp_path / "out" / "armitage-nye-2000.yaml").read_text(encoding="utf-8") == (
        services.export_scorecard(report=demo)
    )
    run("export_scorecard", "--report", "armitage-nye-2000", "-o", str(tmp_path / "one.yaml"))
    assert (tmp_path / "one.yaml").read_text(encoding="utf-8") == services.export_scorecard(
        report=demo
    )


def test_the_export_command_needs_a_directory_for_several_reports(demo):
    with pytest.raises(CommandError) as raised:
        run("export_scorecard")
    assert str(raised.value) == (
        "there are 2 reports; give --report SLUG for one, or -o DIRECTORY to write one "
        "SLUG.yaml per report"
    )
    with pytest.raises(CommandError) as raised:
        run("export_scorecard", "--report", "nope")
    assert str(raised.value) == (
        "there is no report “nope” (reports: armitage-nye-2000, heritage-2004)"
    )


# --- references across files, and what published editions freeze -----------------------------


def test_links_to_another_report_need_it_in_the_files_or_the_database(db):
    armitage, heritage = DEMO_FILES
    with pytest.raises(ScorecardFileError) as raised:
        services.import_scorecard(files=[heritage])
    text = heritage.read_text(encoding="utf-8")
    assert raised.value.messages[0] == (
        f"{heritage}:{line(text, 'to: armitage-nye-2000/POL-1')}: links[0].to: there is no "
        f"recommendation armitage-nye-2000/POL-1 in the files or the database"
    )
    assert len(raised.value.messages) == 6
    assert Report.objects.count() == 0
    services.import_scorecard(files=[armitage])
    services.import_scorecard(files=[heritage])
    assert RecommendationLink.objects.count() == 6


def test_a_report_may_be_in_one_file_only(db, tmp_path):
    first = write(tmp_path, MINI, "first.yaml")
    second = write(tmp_path, edit(MINI, "slug: mini-2004", "slug: mini-2004-b"), "second.yaml")
    with pytest.raises(ScorecardFileError) as raised:
        services.import_scorecard(files=[first, second])
    assert raised.value.messages[0] == (
        f"{second}:{line(MINI, 'slug: mini')}: report.slug: the report “mini” is also in "
        f"{first}; give each report one file"
    )


def test_a_recommendation_in_a_published_edition_keeps_its_words(mini, tmp_path):
    text = edit(MINI, "text: Do the first thing.", "text: Do the first thing soon.")
    text = edit(text, "topics: [trade]", "topics: []")  # topics may change
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'Do the first thing soon')}: recommendations[0].text: SEC-1 is "
            f"part of the published edition “Mini 2004”, which never changes; its text cannot "
            f"change (only its topics can)"
        ],
    )
    services.import_scorecard(files=[write(tmp_path, edit(MINI, "topics: [trade]", "topics: []"))])
    assert not Recommendation.objects.get(code="SEC-1").topics.exists()


def test_a_source_cited_in_a_published_edition_only_gains_an_archived_copy(mini, tmp_path):
    text = edit(MINI, "title: A paper", "title: A better title")
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'A better title')}: sources[0].title: the source “paper” is "
            f"cited in the published edition “Mini 2004”, which never changes; only its "
            f"archived_url can still be added (title is “A paper” in the database)"
        ],
    )
    archived = edit(
        MINI,
        "    url: https://example.org/paper\n",
        "    url: https://example.org/paper\n    archived_url: https://archive.example/paper\n",
    )
    result = services.import_scorecard(files=[write(tmp_path, archived)])
    assert result.counts["sources"].updated == 1
    assert Source.objects.get().archived_url == "https://archive.example/paper"


def test_a_url_belongs_to_one_source(mini, tmp_path):
    text = edit(
        MINI,
        "sources:\n",
        "sources:\n  - key: same-paper\n    title: The paper again\n"
        "    url: https://example.org/paper/\n",
    )
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'url: https://example.org/paper/')}: sources[0].url: this URL "
            f"is already on file as “A paper” (paper); cite that source instead of adding it again"
        ],
    )


def test_an_edition_holds_published_evaluations_only(mini, tmp_path):
    text = MINI + (
        "  - slug: mini-draft\n    name: With a draft\n    as_of: 2004-04-26\n    entries:\n"
        "      - recommendation: ECO-1\n        evaluator: panel\n        as_of: 2004-04-26\n"
    )
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, '- recommendation: ECO-1', 2)}: editions[1].entries[0]: the "
            f"evaluation of ECO-1 by panel as of 2004-04-26 is a draft; an edition holds "
            f"published evaluations only"
        ],
    )


def test_publishing_a_draft_and_an_edition_through_a_file(mini, tmp_path):
    text = edit(
        MINI,
        "    narrative: Nothing yet.\n    status: draft",
        (
            "    narrative: Nothing yet.\n    status: published\n    evidence:\n"
            "      - source: paper\n        stance: context"
        ),
    )
    text += "  - slug: mini-2005\n    name: Mini 2005\n    as_of: 2005-01-01\n"
    result = services.import_scorecard(files=[write(tmp_path, text)])
    assert (result.counts["evaluations"].updated, result.counts["editions"].created) == (1, 1)
    published = Evaluation.objects.get(recommendation__code="ECO-1")
    assert (published.status, published.version) == (Status.PUBLISHED, 2)
    assert published.published_at == datetime.datetime(2004, 4, 26, 12, tzinfo=datetime.UTC)
    edition = Edition.objects.get(slug="mini-2005")
    assert sorted(e.recommendation.code for e in edition.entries.all()) == ["ECO-1", "SEC-1"]


def test_the_import_service_reports_progress(db, tmp_path):
    heard = []
    services.import_scorecard(
        files=[write(tmp_path, MINI)], progress=lambda *step: heard.append(step)
    )
    assert heard == [("reading files", 1, 1), ("evaluations", 2, 2)]


def test_progress_on_a_terminal_is_one_redrawn_bar():
    class Terminal(StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    display = ProgressDisplay(OutputWrapper(terminal))
    display("evaluations", 1000, 2000)
    display("evaluations", 2000, 2000)
    display("evaluations", 2, 2)  # small steps are not worth a bar
    bars = terminal.getvalue().split("\r")[1:]
    assert [bar.split(" (")[0] for bar in bars] == [
        f"evaluations  [{'#' * 15}{'.' * 15}]     1,000/2,000",
        f"evaluations  [{'#' * 30}]     2,000/2,000",
    ]
    assert terminal.getvalue().endswith("/s)\n")


def test_a_published_edition_freezes_at_least_one_grade(mini, tmp_path):
    text = MINI + "  - slug: mini-empty\n    name: Empty\n    as_of: 2004-04-26\n    entries: []\n"
    assert_refused(
        tmp_path,
        text,
        [
            f"{{file}}:{line(text, 'entries: []')}: editions[1].entries: a published edition "
            f"freezes at least one grade; list its entries, or leave “entries” out to freeze the "
            f"grades current at its date"
        ],
    )
