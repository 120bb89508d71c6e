"""The demo scorecard (fixtures/*.yaml) says what its source documents say.

fixtures/seeds/001_* is the April 2004 Heritage paper whose appendix grades the 25
Armitage-Nye recommendations; seeds 000_* and 004_* are the later studies the sample 2008
review cites. Texts are compared with whitespace collapsed (the seeds are page scrapes).
"""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command

from tests.conftest import DEMO_FILES, FIXTURES
from tracker import queries
from tracker.models import Edition, Evaluation, Recommendation, Report, Status

SEEDS = FIXTURES / "seeds"
HWANG = "hwang-heritage-2004"
EDITORS = "scorecard-editors-sample"
DATE_2004 = datetime.date(2004, 4, 26)
DATE_2008 = datetime.date(2008, 1, 15)


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return collapse(path.read_text(encoding="utf-8"))


HERITAGE_PAPER = seed("001")
REPORT_CARD = HERITAGE_PAPER[HERITAGE_PAPER.index("The Armitage-Nye Report: A Report Card") :]
LATER_STUDIES = seed("000") + "\n" + seed("004")

# The report card's grade wordings, verbatim, and the level of the progress scale each is
# mapped to (fixtures/README.md explains the mapping).
GRADES_2004 = {
    "POL-1": ("Slow but ongoing progress", "slow-progress"),
    "SEC-1": ("Accomplished", "accomplished"),
    "SEC-2": ("Implementation of the guidelines is incomplete", "slow-progress"),
    "SEC-3": ("Ongoing progress", "ongoing-progress"),
    "SEC-4": ("Japan has made great progress", "substantial-progress"),
    "SEC-5": ("Currently underway", "ongoing-progress"),
    "SEC-6": ("Ongoing progress", "ongoing-progress"),
    "SEC-7": ("Substantial progress", "substantial-progress"),
    "OKI-1": ("Slow progress", "slow-progress"),
    "INT-1": ("Solid progress", "substantial-progress"),
    "INT-2": ("Solid progress", "substantial-progress"),
    "INT-3": ("Solid progress", "substantial-progress"),
    "INT-4": ("Solid progress", "substantial-progress"),
    "INT-5": ("Solid progress", "substantial-progress"),
    "ECO-1": ("Greater progress needed", "more-progress-needed"),
    "ECO-2": ("Japan's rapidly deteriorating fiscal position is of great concern", "setback"),
    "ECO-3": ("More progress needed", "more-progress-needed"),
    "ECO-4": ("More progress needed", "more-progress-needed"),
    "ECO-5": ("Japan has made some progress", "slow-progress"),
    "DIP-1": (
        "Continue U.S. policy, but clearer communication and assurances of policies is needed",
        "ongoing-progress",
    ),
    "DIP-2": ("Slow progress", "slow-progress"),
    "DIP-3": ("More progress needed", "more-progress-needed"),
    "DIP-4": ("Strong progress", "substantial-progress"),
    "DIP-5": ("steady progress", "ongoing-progress"),
    "DIP-6": ("Slow but steady progress", "slow-progress"),
}
REGRADED_2008 = {
    "SEC-1": "accomplished",
    "SEC-2": "slow-progress",
    "SEC-5": "substantial-progress",
    "SEC-6": "ongoing-progress",
    "SEC-7": "accomplished",
    "OKI-1": "ongoing-progress",
    "DIP-1": "substantial-progress",
    "DIP-4": "slow-progress",
    "DIP-6": "ongoing-progress",
}


def evaluations(report: Report, evaluator: str, as_of: datetime.date) -> list[Evaluation]:
    return list(
        Evaluation.objects.filter(
            recommendation__report=report, evaluator__slug=evaluator, as_of=as_of
        )
        .select_related("recommendation", "grade")
        .order_by("recommendation__position")
    )


def test_the_recommendations_are_the_report_cards_in_its_order(demo):
    quoted = re.findall(r'Recommendation\. "(.*?)"(?= Evaluation| [A-Z][a-z]+ )', REPORT_CARD)
    texts = [collapse(r.text) for r in demo.recommendations.order_by("position")]
    assert texts == quoted
    assert len(texts) == 25


def test_each_area_has_its_recommendations(demo):
    counts = {area.slug: area.recommendations.count() for area in demo.areas.order_by("position")}
    assert counts == {
        "politics": 1,
        "security": 7,
        "okinawa": 1,
        "intelligence": 5,
        "economic-relations": 5,
        "diplomacy": 6,
    }
    for area in demo.areas.exclude(intro=""):
        assert collapse(area.intro) in REPORT_CARD


def test_the_2004_grades_are_the_report_cards(demo):
    graded = evaluations(demo, HWANG, DATE_2004)
    assert {e.recommendation.code: (e.wording, e.grade.slug) for e in graded} == GRADES_2004
    assert {(e.status, e.publication.key) for e in graded} == {
        (Status.PUBLISHED, "hwang-2004-new-security-agenda")
    }


def test_the_2004_narratives_are_the_report_cards_words_in_order(demo):
    graded = evaluations(demo, HWANG, DATE_2004)
    position = 0
    for evaluation in graded:
        # Each narrative is found after the previous one: the appendix's words, in its order.
        narrative = collapse(evaluation.narrative)
        found = REPORT_CARD.find(f"Evaluation {narrative}", position)
        if found == -1:
            found = REPORT_CARD.find(f"Evaluation. {narrative}", position)
        assert found != -1, evaluation.recommendation.code
        position = found + len(narrative)
    for evaluation in graded:
        assert collapse(evaluation.wording) in collapse(evaluation.narrative)


def test_the_2004_evidence_quotes_the_paper(demo):
    for evaluation in evaluations(demo, HWANG, DATE_2004):
        for link in evaluation.evidence.all():
            assert collapse(link.quote) in HERITAGE_PAPER, (evaluation, link.quote)


def test_the_2008_review_regrades_nine_recommendations_citing_the_later_studies(demo):
    review = evaluations(demo, EDITORS, DATE_2008)
    assert {e.recommendation.code: e.grade.slug for e in review} == REGRADED_2008
    assert {e.evaluator.name for e in review} == {"Scorecard editors (sample)"}
    for evaluation in review:
        assert evaluation.status == Status.PUBLISHED
        assert evaluation.evidence.exists()
        for link in evaluation.evidence.all():
            for passage in link.quote.split("\n\n"):
                assert collapse(passage) in LATER_STUDIES, (evaluation, passage)


def test_the_heritage_agenda_and_its_links(demo):
    heritage = Report.objects.get(slug="heritage-2004")
    texts = [collapse(r.text) for r in heritage.recommendations.order_by("position")]
    assert [r.code for r in heritage.recommendations.order_by("position")] == [
        f"HER-{n}" for n in range(1, 8)
    ]
    for text in texts:
        assert text in HERITAGE_PAPER
    assert sorted(
        (link.source.code, f"{link.target.report.slug}/{link.target.code}", link.kind)
        for r in heritage.recommendations.all()
        for link in r.links_out.select_related("target__report")
    ) == [
        ("HER-1", "armitage-nye-2000/POL-1", "reiterates"),
        ("HER-2", "armitage-nye-2000/POL-1", "related"),
        ("HER-3", "armitage-nye-2000/SEC-2", "related"),
        ("HER-4", "armitage-nye-2000/SEC-7", "reiterates"),
        ("HER-5", "armitage-nye-2000/DIP-4", "related"),
        ("HER-6", "armitage-nye-2000/INT-1", "related"),
    ]


def test_two_editions_freeze_the_2004_card_and_the_2008_review(demo):
    editions = {e.slug: e for e in Edition.objects.filter(report=demo).order_by("as_of")}
    assert list(editions) == ["2004-report-card", "2008-evidence-review"]
    for edition in editions.values():
        assert edition.status == Status.PUBLISHED
        assert edition.entries.count() == 25
    frozen_2004 = queries.edition_grades(editions["2004-report-card"])
    assert {e.evaluator.slug for e in frozen_2004.values()} == {HWANG}
    frozen_2008 = queries.edition_grades(editions["2008-evidence-review"])
    by_code = {
        Recommendation.objects.get(pk=pk).code: e.evaluator.slug for pk, e in frozen_2008.items()
    }
    assert {code for code, who in by_code.items() if who == EDITORS} == set(REGRADED_2008)
    assert sum(who == HWANG for who in by_code.values()) == 16


def test_the_current_grades_are_the_latest_review(demo):
    current = queries.current_grades(demo)
    by_code = {Recommendation.objects.get(pk=pk).code: e.grade.slug for pk, e in current.items()}
    expected = {code: grade for code, (_, grade) in GRADES_2004.items()} | REGRADED_2008
    assert by_code == expected


@pytest.mark.django_db
def test_make_run_loads_the_demo_once():
    out = StringIO()
    call_command("import_scorecard", "--if-empty", *map(str, DEMO_FILES), stdout=out)
    assert out.getvalue().startswith("Imported ")
    assert Report.objects.count() == 2
    assert Evaluation.objects.count() == 34
    out = StringIO()
    call_command("import_scorecard", "--if-empty", *map(str, DEMO_FILES), stdout=out)
    assert out.getvalue().startswith("Skipped: the database already holds 2 reports")
