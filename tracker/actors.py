"""Actors: who a recommendation asks to act, and the reads about them.

An actor is a government or a body within one (a ministry, a legislature, an
administration), with its parent. Whatever is asked of an actor is asked of its sub-bodies
too: "Japan" includes its Ministry of Defense, at any depth. `addressed_to(slug)` is that
rule, once, as a condition the database answers in the same query (a recursive common table
expression, which SQLite and PostgreSQL both know), so a filter by actor costs no query of
its own however deep the tree.

Before actors were records, the responsible party was a fixed choice (`LegacyActor`);
`LEGACY_ACTORS` says which actors each of its values names, for the interchange format,
which keeps reading them.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from tracker.models import Actor, ActorKind, LegacyActor, Recommendation, RecommendationActor

# The `actor` filter's value for recommendations that name no actor (as `ungraded` is the
# grade filter's for those without a grade).
UNSPECIFIED = LegacyActor.UNSPECIFIED.value


@dataclass(frozen=True)
class LegacyNamed:
    """An actor a value of the old fixed choice names: created as a government when the
    record does not have it yet."""

    slug: str
    name: str
    kind: str = ActorKind.GOVERNMENT


_UNITED_STATES = LegacyNamed("united-states", "United States")
_JAPAN = LegacyNamed("japan", "Japan")
LEGACY_ACTORS: dict[str, tuple[LegacyNamed, ...]] = {
    LegacyActor.UNITED_STATES: (_UNITED_STATES,),
    LegacyActor.JAPAN: (_JAPAN,),
    LegacyActor.BOTH: (_UNITED_STATES, _JAPAN),
    LegacyActor.UNSPECIFIED: (),
}


# The recommendations addressed to the actor whose slug is the parameter, or to a body within
# it. UNION (not UNION ALL) stops at actors already reached, should a loop ever exist.
_WITHIN = (
    "WITH RECURSIVE within_actor(id) AS ("
    "SELECT id FROM <actor> WHERE slug = %s "
    "UNION SELECT a.id FROM <actor> a JOIN within_actor w ON a.parent_id = w.id) "
    "SELECT recommendation_id FROM <link> WHERE actor_id IN (SELECT id FROM within_actor)"
)


def _within_sql() -> str:
    # Only the models' own table names go into the text; the slug stays a parameter.
    quote = connection.ops.quote_name
    return _WITHIN.replace("<actor>", quote(Actor._meta.db_table)).replace(
        "<link>", quote(RecommendationActor._meta.db_table)
    )


def addressed_to(slug: str) -> Q:
    """The recommendations addressed to the actor `slug` or to any body within it, at any
    depth; `UNSPECIFIED`: those that name no actor. On a queryset of Recommendation."""
    if slug == UNSPECIFIED:
        return ~Q(pk__in=RecommendationActor.objects.values("recommendation_id"))
    return Q(pk__in=RawSQL(_within_sql(), [slug]))  # noqa: S611 -- the slug is a parameter


def known_actor_slugs(report: object = None) -> list[str]:
    """Every actor's slug, and `UNSPECIFIED` (one query; asked only when nothing matched)."""
    return [*Actor.objects.values_list("slug", flat=True), UNSPECIFIED]


# --- The tree ---------------------------------------------------------------------------


@dataclass
class ActorTree:
    """Every actor, read in one query, with what the tree says about each."""

    actors: dict[int, Actor]

    @classmethod
    def read(cls) -> "ActorTree":
        return cls({actor.pk: actor for actor in Actor.objects.order_by("name", "id")})

    def children(self, actor: Actor | None) -> list[Actor]:
        parent_id = actor.pk if actor else None
        return [a for a in self.actors.values() if a.parent_id == parent_id]

    def within(self, actor: Actor) -> set[int]:
        """The ids of `actor` and of every body within it."""
        found, todo = set(), [actor.pk]
        while todo:
            pk = todo.pop()
            if pk in found:
                continue
            found.add(pk)
            todo += [a.pk for a in self.actors.values() if a.parent_id == pk]
        return found

    def ancestors(self, actor: Actor) -> list[Actor]:
        """From the government down to `actor`'s parent."""
        chain, seen = [], {actor.pk}
        parent_id = actor.parent_id
        while parent_id is not None and parent_id not in seen and parent_id in self.actors:
            seen.add(parent_id)
            chain.append(self.actors[parent_id])
            parent_id = self.actors[parent_id].parent_id
        return list(reversed(chain))

    def in_order(self) -> list[tuple[Actor, int]]:
        """Every actor with its depth, each government followed by the bodies within it."""
        ordered: list[tuple[Actor, int]] = []
        seen: set[int] = set()

        def walk(actor: Actor | None, depth: int) -> None:
            for child in self.children(actor):
                if child.pk not in seen:
                    seen.add(child.pk)
                    ordered.append((child, depth))
                    walk(child, depth + 1)

        walk(None, 0)
        return ordered


def counts_within(tree: ActorTree, named: dict[int, list[Actor]]) -> dict[int, int]:
    """Actor id → how many of the recommendations in `named` (recommendation id → the
    actors it names) are addressed to it or to a body within it."""
    counts: dict[int, int] = {}
    for actors in named.values():
        reached: set[int] = set()
        for actor in actors:
            reached.add(actor.pk)
            reached.update(a.pk for a in tree.ancestors(actor))
        for pk in reached:
            counts[pk] = counts.get(pk, 0) + 1
    return counts


# --- A recommendation's actors ------------------------------------------------------------


def actors_prefetch() -> Prefetch:
    return Prefetch("actors", queryset=Actor.objects.order_by("name", "id"))


def with_actors(recommendations: QuerySet[Recommendation]) -> QuerySet[Recommendation]:
    return recommendations.prefetch_related(actors_prefetch())


def recommendation_actors(recommendations: Iterable[int] | QuerySet) -> dict[int, list[Actor]]:
    """Recommendation id → the actors it names (by name), in one query.

    `recommendations`: a queryset of Recommendation (its ids are a subquery) or ids."""
    if isinstance(recommendations, QuerySet):
        recommendations = recommendations.values("pk")
    links = RecommendationActor.objects.filter(
        recommendation_id__in=recommendations
    ).select_related("actor")
    named: dict[int, list[Actor]] = {}
    for link in sorted(links, key=lambda link: (link.actor.name, link.actor_id)):
        named.setdefault(link.recommendation_id, []).append(link.actor)
    return named
