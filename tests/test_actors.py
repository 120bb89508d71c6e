"""Actors: records with a parent, named by recommendations; the filter includes sub-bodies
at any depth; editors edit them in the admin, and the database keeps them whole."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from tests import factories
from tracker import services
from tracker.filters import parse_filters
from tracker.models import Actor, Recommendation


@pytest.fixture
def tree(db):
    japan = factories.make_actor("japan")
    defense = factories.make_actor("ministry-of-defense", parent=japan)
    bureau = factories.make_actor("defense-policy-bureau", parent=defense)
    states = factories.make_actor("united-states")
    return japan, defense, bureau, states


def test_an_actor_includes_its_sub_bodies_at_any_depth_in_one_query(
    tree, report, django_assert_num_queries
):
    japan, _, bureau, states = tree
    by_bureau, by_states, by_both, by_none = (factories.make_recommendation(report) for _ in "1234")
    by_bureau.actors.set([bureau])
    by_states.actors.set([states])
    by_both.actors.set([japan, states])
    for slug, expected in [
        ("japan", [by_bureau, by_both]),
        ("ministry-of-defense", [by_bureau]),
        ("defense-policy-bureau", [by_bureau]),
        ("united-states", [by_states, by_both]),
        ("unspecified", [by_none]),
    ]:
        condition = parse_filters({"actor": slug}).condition()
        with django_assert_num_queries(1):
            found = list(Recommendation.objects.filter(condition).order_by("position"))
        assert found == expected, slug


def test_an_actor_is_not_its_own_parent_in_the_database(tree):
    japan = tree[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.filter(pk=japan.pk).update(parent=japan)


def test_slugs_are_unique(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.create(slug="japan", name="Japan again")


def test_a_named_actor_and_a_parent_are_protected(tree, recommendation):
    japan, defense, _, _ = tree
    recommendation.actors.set([defense])
    with pytest.raises(ProtectedError), transaction.atomic():
        defense.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        japan.delete()


def test_saving_refuses_a_loop_however_long(tree):
    japan, _, bureau, _ = tree
    japan.parent = bureau
    with pytest.raises(ValidationError) as refused:
        services.save_actor(actor=japan)
    assert refused.value.message_dict == {
        "parent": ["“Defense Policy Bureau” is within “Japan”; it cannot also be its parent."]
    }


def test_only_publishers_delete_actors_and_never_a_named_one(tree, recommendation, editor_user):
    _, _, _, states = tree
    recommendation.actors.set([states])
    with pytest.raises(ValidationError) as refused:
        services.delete_actor(actor=states)
    assert refused.value.messages == [
        "“United States” is named by recommendations or has bodies within it; take it off "
        "them first."
    ]
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.delete_actor(actor=states, user=editor_user)


def test_editors_pick_actors_in_the_admin_and_edit_actors(
    client, editor_user, tree, recommendation
):
    japan, defense, _, states = tree
    client.force_login(editor_user)
    url = f"/admin/tracker/recommendation/{recommendation.pk}/change/"
    form = client.get(url)
    assert form.status_code == 200
    response = client.post(
        url,
        {
            "code": recommendation.code,
            "title": recommendation.title,
            "area": recommendation.area_id,
            "position": recommendation.position,
            "addressed_to": [defense.pk, states.pk],
            "text": recommendation.text,
            "due_on": "",
            "due_set_by": "",
            "evaluations-TOTAL_FORMS": "0",
            "evaluations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert sorted(recommendation.actors.values_list("slug", flat=True)) == [
        "ministry-of-defense",
        "united-states",
    ]
    added = client.post(
        "/admin/tracker/actor/add/",
        {"name": "National Diet", "slug": "diet", "kind": "legislature", "parent": japan.pk},
    )
    assert added.status_code == 302
    assert Actor.objects.get(slug="diet").parent == japan
