"""The rules matrix, asked through every door: the admin, the API and the import agree.

`MATRIX` below is the table a reader can check against the README: for each operation on
an evaluation and each state it is in, the roles that may do it. The test runs each
(operation, state, role) through every path where the operation exists and expects the
same answer from all of them, and from `tracker.rules`:

- the API, for every role (anonymous clients and partners hold no write rights);
- the admin, for the roles that work in it (editors and publishers; nobody else gets in);
- the import, which the operator runs with a publisher's rights, for what a file can say
  (a changed text, another piece of evidence, a status).

A refusal is the rules' own sentence wherever a sentence is shown (the API's `detail`).
"""

import datetime
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from tests import factories
from tests.api_support import client_as, token_for
from tests.editors_support import form_data, logged_in
from tests.test_interchange import write
from tracker import rules, services
from tracker.interchange import ScorecardFileError
from tracker.models import Evaluation, Status
from tracker.rules import Operation, State

ROLES = ("anonymous", "partner", "editor", "publisher")
EDITORS = {"editor", "publisher"}
PUBLISHERS = {"publisher"}
NOBODY: set[str] = set()
EVERYONE = set(ROLES)

MATRIX = {
    Operation.VIEW_EVALUATION: {"draft": EDITORS, "published": EVERYONE, "frozen": EVERYONE},
    Operation.CREATE_EVALUATION: {"new": EDITORS},
    Operation.CHANGE_EVALUATION: {"draft": EDITORS, "published": PUBLISHERS, "frozen": NOBODY},
    Operation.CITE_EVIDENCE: {"draft": EDITORS, "published": PUBLISHERS, "frozen": NOBODY},
    Operation.PUBLISH_EVALUATION: {"draft": PUBLISHERS, "published": NOBODY, "frozen": NOBODY},
    Operation.WITHDRAW_EVALUATION: {"draft": NOBODY, "published": PUBLISHERS, "frozen": NOBODY},
    Operation.DELETE_EVALUATION: {"draft": EDITORS, "published": NOBODY, "frozen": NOBODY},
}
CASES = [
    (operation, state, role)
    for operation, states in MATRIX.items()
    for state in states
    for role in ROLES
]
APRIL_2004 = datetime.date(2004, 4, 26)


def scene(state: str):
    """A report of its own with SEC-1, and an evaluation of it in `state` (None if "new")."""
    report = factories.make_report()
    recommendation = factories.make_recommendation(report, code="SEC-1")
    if state == "new":
        return report, recommendation, None
    evaluation = factories.make_evaluation(
        recommendation,
        as_of=APRIL_2004,
        status=Status.DRAFT if state == "draft" else Status.PUBLISHED,
    )
    if state == "frozen":
        services.publish_edition(
            report=report, slug=f"card-{report.pk}", name="2004 card", as_of=APRIL_2004
        )
    return report, recommendation, evaluation


def user_of(role: str):
    if role == "anonymous":
        return AnonymousUser()
    return factories.make_user(f"{role}-user", role=role)


def api_client(user):
    client = client_as("anonymous")
    if user.is_authenticated:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


# The API ----------------------------------------------------------------------------------


def through_the_api(operation, recommendation, evaluation, client):
    """(done, the error body if refused); done is None where the API has no such operation."""
    if operation == Operation.CREATE_EVALUATION:
        body = {
            "recommendation": recommendation.pk,
            "evaluator": factories.make_evaluator().slug,
            "grade": "done",
            "as_of": "2008-01-01",
            "narrative": "Done.",
            "evidence": [{"source": factories.make_source().key}],
        }
        response = client.post("/api/v1/evaluations/", body, format="json")
        return response.status_code == 201, response.json()
    url = f"/api/v1/evaluations/{evaluation.pk}/"
    etag = f'"evaluation-{evaluation.pk}-v{evaluation.version}"'
    if operation == Operation.VIEW_EVALUATION:
        response = client.get(url)
    elif operation == Operation.CHANGE_EVALUATION:
        response = client.patch(url, {"wording": "Changed"}, HTTP_IF_MATCH=etag)
    elif operation == Operation.CITE_EVIDENCE:
        source = factories.make_source().key
        response = client.post(f"{url}evidence/", {"source": source}, HTTP_IF_MATCH=etag)
    elif operation == Operation.PUBLISH_EVALUATION:
        response = client.post(f"{url}publish/", HTTP_IF_MATCH=etag)
    else:
        return None, None  # withdrawing and deleting are done in the admin only
    return response.status_code == 200, response.json()


# The admin --------------------------------------------------------------------------------


def through_the_admin(operation, recommendation, evaluation, client) -> bool:
    base = "/admin/tracker/evaluation/"
    if operation == Operation.CREATE_EVALUATION:
        page = client.get(f"{base}add/?recommendation={recommendation.pk}")
        if page.status_code != 200:
            return False
        data = form_data(page) | {
            "recommendation": str(recommendation.pk),
            "grade": str(recommendation.report.grade_scale.grades.get(slug="done").pk),
            "as_of": "2008-01-01",
            "evaluator": str(factories.make_evaluator().pk),
            "evidence-0-source": str(factories.make_source().pk),
        }
        client.post(f"{base}add/", data)
        return recommendation.evaluations.count() == 1
    url = f"{base}{evaluation.pk}/"
    if operation == Operation.VIEW_EVALUATION:
        return client.get(f"{url}change/").status_code == 200
    if operation in (Operation.CHANGE_EVALUATION, Operation.CITE_EVIDENCE):
        page = client.get(f"{url}change/")
        data = form_data(page)
        if operation == Operation.CHANGE_EVALUATION:
            data["wording"] = "Changed"
        else:
            data["evidence-1-source"] = str(factories.make_source().pk)
        client.post(f"{url}change/", data)
    elif operation == Operation.PUBLISH_EVALUATION:
        client.post(f"{url}publish/", {"version": str(evaluation.version)})
    elif operation == Operation.WITHDRAW_EVALUATION:
        client.post(f"{url}withdraw/")
    elif operation == Operation.DELETE_EVALUATION:
        client.post(f"{url}delete/", {"post": "yes"})
        return not Evaluation.objects.filter(pk=evaluation.pk).exists()
    return took_effect(operation, evaluation)


def took_effect(operation, evaluation: Evaluation) -> bool:
    now = Evaluation.objects.get(pk=evaluation.pk)
    return {
        Operation.CHANGE_EVALUATION: now.wording == "Changed" or now.narrative == "Changed.",
        Operation.CITE_EVIDENCE: now.evidence.count() == 2,
        Operation.PUBLISH_EVALUATION: now.status != evaluation.status,
        Operation.WITHDRAW_EVALUATION: now.status != evaluation.status,
    }[operation]


# The import -------------------------------------------------------------------------------

NEW_IN_THE_FILE = """\
evaluators:
  - slug: file-evaluator
    name: From a file
evaluations:
  - recommendation: SEC-1
    evaluator: file-evaluator
    as_of: 2008-01-01
    grade: done
    status: draft
"""


def the_file_saying(operation, report, evaluation) -> str | None:
    """The report's own file, edited as the operation says (None: a file cannot say it)."""
    text = services.export_scorecard(report=report)
    if operation == Operation.CREATE_EVALUATION:
        return text + NEW_IN_THE_FILE
    if operation == Operation.CHANGE_EVALUATION:
        return text.replace("narrative: Progress was made.", "narrative: Changed.")
    if operation == Operation.CITE_EVIDENCE:
        source = factories.make_source()
        return text.replace(
            "        stance: supports\n",
            f"        stance: supports\n      - source: {source.key}\n",
        )
    if operation == Operation.PUBLISH_EVALUATION and evaluation.status == Status.DRAFT:
        return text.replace("    status: draft\n", "    status: published\n")
    if operation == Operation.WITHDRAW_EVALUATION and evaluation.is_published:
        # A draft has no publication time: the file leaves it out.
        text = re.sub(r"\n    published_at: [^\n]*", "", text, count=1)
        return text.replace("    status: published\n", "    status: draft\n", 1)
    return None  # a file says what is, not what to do: "publish" a published one is a no-op


def through_the_import(operation, report, evaluation, tmp_path, user) -> bool | None:
    text = the_file_saying(operation, report, evaluation)
    if text is None:
        return None
    try:
        services.import_scorecard(files=[write(tmp_path, text)], user=user)
    except (ScorecardFileError, PermissionDenied):
        return False
    if operation == Operation.CREATE_EVALUATION:
        return Evaluation.objects.filter(recommendation__report=report).count() == 1
    return took_effect(operation, evaluation)


# The table --------------------------------------------------------------------------------


def test_the_rules_module_holds_this_matrix(db):
    users = {role: user_of(role) for role in ROLES}

    def may(role, operation, state) -> bool:
        least = rules.MATRIX[operation][State(state)]
        return least is not None and rules.role_of(users[role]) >= least

    found = {
        operation: {state: {r for r in ROLES if may(r, operation, state)} for state in states}
        for operation, states in MATRIX.items()
    }
    assert found == MATRIX


@pytest.mark.parametrize(("operation", "state", "role"), CASES)
def test_every_path_gives_the_same_answer(db, tmp_path, operation, state, role):
    expected = role in MATRIX[operation][state]
    user = user_of(role)
    answers = {}

    _, recommendation, evaluation = scene(state)
    done, body = through_the_api(operation, recommendation, evaluation, api_client(user))
    if done is not None:
        answers["api"] = done
        if not done and body is not None and role in EDITORS:
            # The refusal is the rules' sentence (or the role's, asked before the body).
            refusal = rules.refusal(user, operation, evaluation)
            said = {body["detail"], *(m for ms in body["errors"].values() for m in ms)}
            assert {refusal.reason, rules.ROLE_REASONS[operation]} & said

    if role in EDITORS:
        _, recommendation, evaluation = scene(state)
        answers["admin"] = through_the_admin(operation, recommendation, evaluation, logged_in(user))

    if role == "publisher":
        report, _, evaluation = scene(state)
        done = through_the_import(operation, report, evaluation, tmp_path, user)
        if done is not None:
            answers["import"] = done

    assert answers == dict.fromkeys(answers, expected)
