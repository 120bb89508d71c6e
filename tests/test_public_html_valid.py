"""Every public page type is valid HTML: the Nu HTML Checker finds no error in any of them.

The checker (the vnu-jar package, pinned in package.json) runs on the machine's Java, once
over the saved pages of every type, for speed. `make test` installs it (`make checkers`).
"""

import datetime
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils import timezone

from scorecard.errors import server_error
from tests import factories
from tracker import responses as actor_responses
from tracker import services
from tracker.models import Actor, Evaluation, EvidenceLink, Recommendation, Status

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# One URL per page type, and the variants that show something the others do not.
PAGES = {
    "home": "/",
    "scorecard": "/reports/armitage-nye-2000/",
    "scorecard-filtered": "/reports/armitage-nye-2000/?grade=slow-progress&q=progress",
    "scorecard-as-of": "/reports/armitage-nye-2000/?as_of=2005-01-01&area=security",
    "scorecard-no-match": "/reports/armitage-nye-2000/?q=nothing-matches-this",
    "scorecard-bad-filter": "/reports/armitage-nye-2000/?grade=no-such-grade",
    "recommendation-two-evaluators": "/reports/armitage-nye-2000/dip-4/",
    "recommendation-one-evaluator": "/reports/heritage-2004/her-1/",
    "recommendation-ungraded": "/reports/armitage-nye-2000/new-1/",
    "recommendation-first-day": "/reports/armitage-nye-2000/sec-2/",
    # Issue 17: judged not rateable, and what the actor says beside what was assessed.
    "recommendation-not-rateable-with-responses": "/reports/armitage-nye-2000/dip-1/",
    "editions": "/editions/",
    "edition": "/editions/2004-report-card/",
    "compare": "/editions/2004-report-card/compare/2008-evidence-review/",
    "compare-with-itself": "/editions/2004-report-card/compare/2004-report-card/",
    "not-found": "/reports/armitage-nye-2000/no-such-code/",
    "api-docs": "/api/docs/",
    "actors": "/actors/",
    "actor": "/actors/united-states/",
    "actor-within": "/actors/bush-administration/",
    "search-form": "/search/",
    "search-results": "/search/?q=missile+defense",
    "search-results-paged": "/search/?q=e&page=2",
    "search-no-match": "/search/?q=nothing-matches-this",
    # Issue 18: the pagers, with the generated reports of `saved_pages` (54 reports, two
    # of 120 recommendations), and the home page's finder.
    "home-paged": "/?page=2",
    "home-found": "/?q=generated&year=2000",
    "home-none-found": "/?q=nothing-matches-this",
    "scorecard-paged": "/reports/scale-s1-r1/?page=2",
    "scorecard-paged-filtered": "/reports/scale-s1-r1/?q=generated&grade=setback",
}
# Every page type in Japanese too (issue 15); the API's documentation has one language.
PAGES |= {f"{name}-ja": f"/ja{url}" for name, url in PAGES.items() if not url.startswith("/api/")}


def java() -> str:
    found = shutil.which("java")
    if found is None or not VNU.exists():
        pytest.fail(
            "The HTML check needs Java and the Nu HTML Checker: run `make checkers` "
            "(npm installs vnu-jar into node_modules/; Debian: apt-get install default-jre)."
        )
    return found


@pytest.fixture
def saved_pages(demo, client, tmp_path) -> dict[str, Path]:
    # A recommendation nobody graded yet, and one graded as of 0001-01-01.
    factories.make_recommendation(demo, code="NEW-1")
    factories.make_evaluation(demo.recommendations.get(code="SEC-2"), "setback", datetime.date.min)
    dip_1 = demo.recommendations.get(code="DIP-1")
    not_rateable = Evaluation.objects.create(
        recommendation=dip_1,
        evaluator=factories.make_evaluator(),
        not_rateable_reason="Too vague to grade.",
        as_of=datetime.date(2009, 1, 1),
        narrative="Nothing to check.",
        status=Status.PUBLISHED,
        published_at=timezone.now(),
    )
    EvidenceLink.objects.create(evaluation=not_rateable, source=factories.make_source())
    japan = Actor.objects.get_or_create(slug="japan", defaults={"name": "Japan"})[0]
    said = actor_responses.record_response(
        recommendation=dip_1,
        actor=japan,
        position="partly-accepted",
        said_on=datetime.date(2002, 1, 1),
        statement="It says it *did* part of it.",
        sources=[{"source": factories.make_source(), "quote": "did part of it", "page": "3"}],
    )
    actor_responses.publish_response(response=said)
    factories.make_paged_reports()
    _translate_some(demo)
    saved = {}
    for name, url in PAGES.items():
        response = client.get(url)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
        assert response["Content-Type"].startswith("text/html"), url
        saved[name] = tmp_path / f"{name}.html"
        saved[name].write_bytes(response.content)
    error_page = server_error(RequestFactory().get("/"))
    saved["server-error"] = tmp_path / "server-error.html"
    saved["server-error"].write_bytes(error_page.content)
    return saved


def _translate_some(report) -> None:
    """Translations of each kind of text (one of them outdated), so the Japanese pages show
    the markup of translated texts beside that of originals (issue 15)."""
    dip_4 = report.recommendations.get(code="DIP-4")
    evaluation = dip_4.evaluations.filter(status=Status.PUBLISHED).order_by("as_of").last()
    grade = report.grade_scale.grades.order_by("-score").first()
    texts = [
        (dip_4, "title", "対話の強化"),
        (dip_4, "text", "日米の対話を強化する。"),
        (dip_4.area, "name", "外交"),
        (dip_4.area, "intro", "同盟の基盤。"),
        (grade, "label", "達成"),
        (grade, "description", "完全に実施された。"),
        (report, "title", "日米関係"),
        (evaluation, "narrative", "**進展**があった。"),
    ]
    if evaluation.wording:
        texts.append((evaluation, "wording", "一定の進展"))
    texts += [(link, "quote", "引用。") for link in evaluation.evidence.exclude(quote="")[:1]]
    for target, field, text in texts:
        services.save_translation(
            target=target, field=field, language="ja", text=text, publish=True
        )
    Recommendation.objects.filter(pk=dip_4.pk).update(title=f"{dip_4.title} (revised)")


def test_every_public_page_type_is_valid_html(saved_pages):
    result = subprocess.run(
        [
            java(),
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            *map(str, saved_pages.values()),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr)["messages"]
    errors = [
        f"{Path(message['url']).stem}:{message.get('lastLine', '?')}: {message['message']}"
        for message in messages
        if message["type"] == "error" or message.get("subType") == "fatal"
    ]
    assert errors == []
    assert result.returncode == 0
