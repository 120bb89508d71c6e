"""Responses in the scorecard files: what the actor says (docs/interchange-format.md).

A file's `responses:` list, read, checked, written and exported here, so the other modules
only call in: one response per recommendation, actor and date; the actor is the slug of an
actor on file; the sources are keys of sources in the files or the database. A response
that a published edition relies on cannot change (tracker.rules, RESPONSE_FREEZES).
"""

import datetime
from dataclasses import dataclass, field

from tracker import rules
from tracker.interchange.specs import noon_utc
from tracker.interchange.yamlread import Mapping, Places, Problems, quoted
from tracker.models import Actor, Recommendation, Response, ResponsePosition, ResponseSource, Status

RESPONSE_KEYS = (
    "recommendation",
    "actor",
    "said_on",
    "position",
    "statement",
    "status",
    "published_at",
    "sources",
)
RESPONSE_SOURCE_KEYS = ("source", "quote", "page")


@dataclass
class ResponseSourceSpec:
    source: str
    quote: str
    page: str
    at: Places | None = field(default=None, compare=False, repr=False)


@dataclass
class ResponseSpec:
    recommendation: str
    actor: str
    said_on: datetime.date
    position: str
    statement: str
    status: str
    published_at: datetime.datetime | None
    sources: list[ResponseSourceSpec]
    at: Places | None = field(default=None, compare=False, repr=False)


def parse_responses(top: Mapping, problems: Problems) -> list[ResponseSpec]:
    found: list[ResponseSpec] = []
    seen: set[tuple] = set()
    for m in top.items("responses", RESPONSE_KEYS, "responses"):
        if m is None:
            continue
        before = len(problems)
        values = {
            "recommendation": m.text("recommendation", required=True, single_line=True),
            "actor": m.slug("actor", what="the slug of an actor"),
            "said_on": m.date("said_on", required=True),
            "position": m.choice("position", ResponsePosition.values, what="a position"),
            "status": m.choice("status", Status.values, what="a status"),
        }
        statement = m.text("statement")
        published_at = m.datetime("published_at")
        sources = []
        for item in m.items("sources", RESPONSE_SOURCE_KEYS, "sources"):
            if item is None:
                continue
            key = item.slug("source", max_length=100, what="a source key")
            if key is not None:
                sources.append(
                    ResponseSourceSpec(
                        key, item.text("quote"), item.text("page", single_line=True), Places(item)
                    )
                )
        if values["status"] == Status.PUBLISHED:
            for name, message in (
                ("statement", not statement.strip()),
                ("sources", not sources),
            ):
                if message:
                    m.problem(name, rules.RESPONSE_PUBLICATION_REQUIRES[name])
        if len(problems) > before or any(v is None for v in values.values()):
            continue
        key = (values["recommendation"], values["actor"], values["said_on"])
        if key in seen:
            m.problem("said_on", "this actor already has a response to it dated so in this file")
            continue
        seen.add(key)
        found.append(
            ResponseSpec(
                statement=statement,
                published_at=published_at,
                sources=sources,
                at=Places(m),
                **values,
            )
        )
    return found


def check_responses(plan, f, problems: Problems) -> None:
    """References to nothing, and changes to a frozen response."""
    if not f.responses:
        return
    codes = f.recommendations.codes.keys() | set(
        Recommendation.objects.filter(report__slug=f.report.slug).values_list("code", flat=True)
    )
    actors = set(Actor.objects.values_list("slug", flat=True))
    for spec in f.responses:
        if spec.recommendation not in codes:
            problems.add(
                spec.at["recommendation"],
                f"there is no recommendation {spec.recommendation} in the report "
                f"{quoted(f.report.slug)}",
            )
        if spec.actor not in actors:
            problems.add(spec.at["actor"], f"there is no actor {quoted(spec.actor)} on file")
        for item in spec.sources:
            if item.source not in plan.sources and item.source not in plan.db.sources:
                problems.add(
                    item.at["source"],
                    f"there is no source {quoted(item.source)} in the files or the database; "
                    f"add it under “sources:”",
                )
        row = _existing(f.report.slug, spec)
        if row is not None and rules.frozen_in(row) is not None and _values(spec) != _row(row):
            problems.add(
                spec.at[""],
                f"this response is frozen in the published edition "
                f"{quoted(rules.frozen_in(row).name)} and cannot change",
            )


def _existing(report_slug: str, spec: ResponseSpec) -> Response | None:
    return (
        Response.objects.filter(
            recommendation__report__slug=report_slug,
            recommendation__code=spec.recommendation,
            actor__slug=spec.actor,
            said_on=spec.said_on,
        )
        .prefetch_related("sources__source")
        .first()
    )


def _values(spec: ResponseSpec) -> tuple:
    return (
        spec.position,
        spec.statement,
        spec.status,
        [(s.source, s.quote, s.page) for s in spec.sources],
    )


def _row(row: Response) -> tuple:
    return (
        row.position,
        row.statement,
        row.status,
        [(s.source.key, s.quote, s.page) for s in row.sources.all()],
    )


def write_responses(writer, f) -> None:
    """Create or update each response of the file, with its sources as the file lists them."""
    report = writer.reports[f.report.slug]
    actors = {a.slug: a for a in Actor.objects.all()}
    for spec in f.responses:
        row = _existing(f.report.slug, spec)
        published_at = None
        if spec.status == Status.PUBLISHED:
            published_at = spec.published_at or (row.published_at if row else None)
            published_at = published_at or noon_utc(spec.said_on)
        values = {
            "position": spec.position,
            "statement": spec.statement,
            "status": spec.status,
            "published_at": published_at,
        }
        if row is not None and _values(spec) == _row(row) and row.published_at == published_at:
            continue
        recommendation = Recommendation.objects.get(report=report, code=spec.recommendation)
        if row is None:
            row = Response(
                recommendation=recommendation,
                actor=actors[spec.actor],
                said_on=spec.said_on,
                **values,
            )
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.version += 1
        row._history_user = writer.user
        row.save()
        row.sources.all().delete()
        ResponseSource.objects.bulk_create(
            ResponseSource(
                response=row,
                source=writer.sources[item.source],
                quote=item.quote,
                page=item.page,
                position=position,
            )
            for position, item in enumerate(spec.sources)
        )


def export_responses(report) -> tuple[list[dict], list]:
    """The report's responses as the file lists them, and the sources they cite."""
    rows = (
        Response.objects.filter(recommendation__report=report)
        .select_related("recommendation", "actor")
        .prefetch_related("sources__source")
        .order_by("said_on", "actor__slug", "recommendation__position", "recommendation__code")
    )
    out, sources = [], []
    for row in rows:
        item = {
            "recommendation": row.recommendation.code,
            "actor": row.actor.slug,
            "said_on": row.said_on,
            "position": row.position,
        }
        if row.statement:
            item["statement"] = row.statement
        item["status"] = row.status
        if row.is_published and row.published_at is not None:
            item["published_at"] = row.published_at
        cited = []
        for link in row.sources.all():
            entry = {"source": link.source.key}
            if link.quote:
                entry["quote"] = link.quote
            if link.page:
                entry["page"] = link.page
            cited.append(entry)
            sources.append(link.source)
        if cited:
            item["sources"] = cited
        out.append(item)
    return out, sources
