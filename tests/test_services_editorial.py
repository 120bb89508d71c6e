"""The editorial write services: sources, evidence, versions, publishing, editions, history."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tracker import services
from tracker.models import Edition, Evaluation, EvidenceLink, Source, Stance, Status, Topic

APRIL_2004 = datetime.date(2004, 4, 26)


@pytest.fixture
def user(db):
    return factories.make_user("edna", role="editor")


@pytest.fixture
def draft(recommendation):
    return factories.make_evaluation(recommendation, status=Status.DRAFT)


def record(recommendation, **kwargs) -> Evaluation:
    arguments = {
        "recommendation": recommendation,
        "evaluator": factories.make_evaluator(),
        "grade": factories.grade(recommendation.report.grade_scale, "partial"),
        "as_of": APRIL_2004,
        "narrative": "Why.",
    }
    return services.record_evaluation(**(arguments | kwargs))


# Sources ---------------------------------------------------------------------------------


def test_a_source_gets_a_key_from_its_title_unique_among_sources(user):
    factories.make_source("defense-white-paper")
    source = services.create_source(title="Defense White Paper", user=user)
    assert source.key == "defense-white-paper-2"
    assert source.history.get().history_user == user


def test_a_url_already_on_file_is_refused_trailing_slash_or_not(db):
    on_file = factories.make_source("dej", url="https://example.org/dej/")
    with pytest.raises(ValidationError) as refused:
        services.create_source(title="Again", url="https://example.org/dej")
    assert refused.value.message_dict == {
        "url": [
            f"This URL is already on file as “{on_file.title}” (dej); cite that source "
            f"instead of adding it again."
        ]
    }
    assert Source.objects.count() == 1


def test_a_malformed_url_is_refused_on_its_field(db):
    with pytest.raises(ValidationError) as refused:
        services.create_source(title="Bad", url="not a url")
    assert refused.value.message_dict == {"url": ["Enter a valid URL."]}


def test_evidence_can_bring_a_new_source(recommendation, user):
    evaluation = record(
        recommendation,
        author=user,
        evidence=[
            {"new_source": {"title": "NIDS East Asian Strategic Review"}, "quote": "q"},
        ],
    )
    link = evaluation.evidence.get()
    assert (link.source.key, link.quote, link.position) == (
        "nids-east-asian-strategic-review",
        "q",
        0,
    )


def test_a_new_source_with_a_known_url_leaves_nothing_behind(recommendation):
    factories.make_source(url="https://example.org/a")
    with pytest.raises(ValidationError):
        record(
            recommendation,
            evidence=[{"new_source": {"title": "A", "url": "https://example.org/a"}}],
        )
    assert (Evaluation.objects.count(), Source.objects.count()) == (0, 1)


# Versions and evidence ---------------------------------------------------------------------


def test_update_changes_fields_and_evidence_as_one_version(draft, user):
    kept = draft.evidence.get()
    added = factories.make_source()

    services.update_evaluation(
        evaluation=draft,
        expected_version=1,
        changes={"wording": "Solid progress"},
        user=user,
        evidence_changes={kept.pk: {"stance": Stance.CONTRADICTS, "quote": "But."}},
        new_evidence=[{"source": added}],
    )

    draft.refresh_from_db()
    assert (draft.wording, draft.version) == ("Solid progress", 2)
    assert [(e.source_id, e.stance, e.quote, e.position) for e in draft.evidence.all()] == [
        (kept.source_id, Stance.CONTRADICTS, "But.", 0),
        (added.pk, Stance.SUPPORTS, "", 1),
    ]
    assert [(h.version, h.history_user) for h in draft.history.all()] == [(2, user), (1, None)]


def test_a_stale_update_changes_nothing_and_carries_the_current_version(draft):
    services.update_evaluation(evaluation=draft, expected_version=1, changes={"wording": "A"})

    with pytest.raises(services.StaleVersionError) as stale:
        services.update_evaluation(
            evaluation=draft,
            expected_version=1,
            changes={"wording": "B"},
            removed_evidence=[draft.evidence.get().pk],
        )

    assert (stale.value.current.version, stale.value.current.wording) == (2, "A")
    assert draft.evidence.count() == 1


def test_removing_evidence_of_another_evaluation_is_refused(draft, recommendation):
    other = factories.make_evaluation(recommendation, as_of=datetime.date(2008, 1, 1))
    with pytest.raises(ValidationError) as refused:
        services.update_evaluation(
            evaluation=draft,
            expected_version=1,
            changes={},
            removed_evidence=[other.evidence.get().pk],
        )
    assert refused.value.message_dict == {
        "evidence": ["Evidence you edited is no longer cited by this evaluation; reload it."]
    }
    assert (other.evidence.count(), Evaluation.objects.get(pk=draft.pk).version) == (1, 1)


def test_evidence_history_is_dated_after_its_version(draft, user):
    services.update_evaluation(
        evaluation=draft,
        expected_version=1,
        changes={},
        user=user,
        new_evidence=[{"source": factories.make_source()}],
    )
    version_2 = draft.history.get(version=2)
    added = EvidenceLink.history.filter(history_type="+").latest("history_date")
    assert added.history_date >= version_2.history_date
    assert added.history_user == user


# Publishing -------------------------------------------------------------------------------


def test_publishing_records_who_and_why_in_history(draft, publisher_user):
    services.publish_evaluation(evaluation=draft, user=publisher_user, expected_version=1)
    latest = draft.history.first()
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        Status.PUBLISHED,
        publisher_user,
        "Published",
    )


def test_publishing_a_changed_draft_with_an_old_version_is_refused(draft):
    services.update_evaluation(evaluation=draft, expected_version=1, changes={"wording": "x"})
    with pytest.raises(services.StaleVersionError):
        services.publish_evaluation(evaluation=draft, expected_version=1)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_publishing_reads_the_saved_evaluation_not_a_stale_copy(recommendation):
    evaluation = factories.make_evaluation(recommendation, status=Status.DRAFT, with_evidence=False)
    stale_copy = Evaluation.objects.get(pk=evaluation.pk)
    services.add_evidence(evaluation=evaluation, evidence=[{"source": factories.make_source()}])

    services.publish_evaluation(evaluation=stale_copy)

    assert Evaluation.objects.get(pk=evaluation.pk).status == Status.PUBLISHED


# Editions ---------------------------------------------------------------------------------


@pytest.fixture
def edition(report, recommendation):
    factories.make_evaluation(recommendation, as_of=APRIL_2004)
    return services.publish_edition(report=report, slug="card", name="2004 card", as_of=APRIL_2004)


def test_a_published_edition_cannot_be_deleted(edition):
    with pytest.raises(ValidationError) as refused:
        services.delete_edition(edition=edition)
    assert refused.value.message_dict == {
        "__all__": [
            "“2004 card” is published: published editions never change and cannot be "
            "deleted, because readers cite them. Freeze a new edition instead."
        ]
    }
    assert Edition.objects.count() == 1


def test_a_frozen_evaluations_evidence_cannot_change(edition):
    evaluation = edition.entries.get().evaluation
    with pytest.raises(ValidationError):
        services.update_evaluation(
            evaluation=evaluation,
            expected_version=evaluation.version,
            changes={},
            removed_evidence=[evaluation.evidence.get().pk],
        )
    assert evaluation.evidence.count() == 1


def test_a_source_in_an_edition_keeps_its_words_but_may_gain_an_archive(edition, user):
    source = edition.entries.get().evaluation.evidence.get().source
    title = source.title

    with pytest.raises(ValidationError) as refused:
        services.update_source(source=source, changes={"title": "Other", "url": "https://x.org"})
    services.update_source(
        source=source, changes={"archived_url": "https://archive.example.org/1"}, user=user
    )

    message = (
        "This source is cited in the published edition “2004 card”, which never changes; "
        "only its archived URL can still be added."
    )
    assert refused.value.message_dict == {"title": [message], "url": [message]}
    source.refresh_from_db()
    assert (source.title, source.archived_url) == (title, "https://archive.example.org/1")
    assert source.history.first().history_user == user


def test_a_recommendation_in_an_edition_keeps_its_words_but_may_be_retopicked(edition, user):
    recommendation = edition.entries.get().recommendation
    china = Topic.objects.create(slug="china", name="China")

    with pytest.raises(ValidationError) as refused:
        services.update_recommendation(recommendation=recommendation, changes={"text": "New."})
    services.update_recommendation(
        recommendation=recommendation, changes={}, topics=[china], user=user
    )

    assert refused.value.message_dict == {
        "text": [
            "This recommendation is part of the published edition “2004 card”, which never changes."
        ]
    }
    assert list(recommendation.topics.all()) == [china]


def test_a_recommendation_moves_only_to_an_area_of_its_own_report(recommendation):
    elsewhere = factories.make_area(factories.make_report())
    with pytest.raises(ValidationError) as refused:
        services.update_recommendation(recommendation=recommendation, changes={"area": elsewhere})
    assert refused.value.message_dict == {
        "area": ["Choose an area of the recommendation's own report."]
    }


def test_an_edition_freezes_only_its_own_reports_recommendations(report, recommendation):
    other_report = factories.make_report(scale=report.grade_scale)
    factories.make_evaluation(recommendation, as_of=APRIL_2004)
    factories.make_evaluation(factories.make_recommendation(other_report), as_of=APRIL_2004)

    edition = services.publish_edition(report=report, slug="own", name="Own", as_of=APRIL_2004)

    assert [entry.recommendation for entry in edition.entries.all()] == [recommendation]


def test_a_published_evaluation_keeps_its_narrative_and_evidence(recommendation):
    published = factories.make_evaluation(recommendation)
    link = published.evidence.get()

    with pytest.raises(ValidationError) as refused:
        services.update_evaluation(
            evaluation=published,
            expected_version=1,
            changes={"narrative": " "},
            removed_evidence=[link.pk],
        )

    assert refused.value.message_dict == {
        "narrative": ["A published evaluation keeps its narrative; withdraw it to draft first."],
        "evidence": [
            "A published evaluation keeps at least one piece of evidence; cite another source "
            "before removing this one, or withdraw it to draft first."
        ],
    }
    published.refresh_from_db()
    assert (published.narrative, published.version, published.evidence.get()) == (
        "Progress was made.",
        1,
        link,
    )
