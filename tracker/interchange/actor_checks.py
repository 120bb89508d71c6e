"""The checks of actors: who the recommendations name, and each actor's parent.

Actors are shared by all reports, like topics: defined in an `actors:` section, one per
slug, the same in every file (merged by `checks._merge_definitions`). A recommendation names
actors by slug; the actors today's `actor` values name (`united-states`, `japan`) need no
definition: an import creates them as governments when the database does not have them yet
(tracker.actors.LEGACY_ACTORS). A parent is an actor in the files or the database, and no
actor is within itself, however long the loop.
"""

from tracker.actors import LEGACY_ACTORS
from tracker.interchange.snapshot import Plan
from tracker.interchange.specs import ActorSpec
from tracker.interchange.yamlread import Problems, quoted
from tracker.models import Recommendation

_IMPLIED = {named.slug: named for names in LEGACY_ACTORS.values() for named in names}


def check_recommendation_actors(plan: Plan, rec, problems: Problems) -> None:
    """Add the implied actors a recommendation names to `plan.actors`, and a problem for
    every actor it names that is nowhere (called for each recommendation of the files,
    before `check_actor_parents`)."""
    for slug, where in zip(rec.actors, rec.actor_at, strict=True):
        if slug in plan.actors or slug in plan.db.actors:
            continue
        if slug in _IMPLIED:
            named = _IMPLIED[slug]
            plan.actors[slug] = ActorSpec(named.slug, named.name, named.kind, None)
            continue
        problems.add(
            where,
            f"there is no actor {quoted(slug)} in the files or the database; add it "
            f"under “actors:”",
        )


def check_actor_parents(plan: Plan, problems: Problems) -> None:
    """A problem for every parent that cannot be."""
    slug_of = {actor.pk: actor.slug for actor in plan.db.actors.values()}
    parent_of = {actor.slug: slug_of.get(actor.parent_id) for actor in plan.db.actors.values()}
    parent_of.update({slug: spec.parent for slug, spec in plan.actors.items()})
    for slug, spec in plan.actors.items():
        if spec.parent is None:
            continue
        if spec.parent not in plan.actors and spec.parent not in plan.db.actors:
            problems.add(
                spec.at.get("parent", spec.at[""]),
                f"there is no actor {quoted(spec.parent)} in the files or the database to be "
                f"the parent of {quoted(slug)}",
            )
            continue
        seen, step = {slug}, spec.parent
        while step is not None and step not in seen:
            seen.add(step)
            step = parent_of.get(step)
        if step == slug and spec.parent != slug:
            problems.add(
                spec.at.get("parent", spec.at[""]),
                f"{quoted(spec.parent)} is within {quoted(slug)}; it cannot also be its parent",
            )


def recommendation_actor_slugs(plan: Plan, row: Recommendation) -> list[str]:
    """The slugs of the actors a recommendation in the database names, sorted."""
    by_id = {actor.pk: actor.slug for actor in plan.db.actors.values()}
    return sorted(by_id[pk] for pk in plan.db.actors_of.get(row.pk, set()))
