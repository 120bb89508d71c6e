"""Writing a report out in the interchange format, deterministically.

The same database always gives the same bytes: keys in the documented order, every list
in a stable order, multi-line text as block scalars. Importing an export into an empty
database and exporting again gives the same file.
"""

import datetime

import yaml
from django.db.models import Prefetch

from tracker.actors import ActorTree
from tracker.interchange.responses import export_responses
from tracker.interchange.specs import FORMAT
from tracker.interchange.translations import Exported
from tracker.models import (
    Actor,
    Area,
    Edition,
    EditionEntry,
    Evaluation,
    EvidenceLink,
    Grade,
    GradeScale,
    Recommendation,
    RecommendationLink,
    Report,
    Topic,
)

WIDTH = 72
# Longer single-line text is folded (">-") over several lines instead of running on.
FOLD_AFTER = 72


class _Dumper(yaml.SafeDumper):
    """Indents lists under their key, as a person writes them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


class _Flow(list):
    """A short list written on one line: `topics: [china, trade]`."""


class _Timestamp(str):
    """A date and time, written plain (unquoted) like the dates."""


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = None
    if "\n" in value:
        style = "|"
    elif len(value) > FOLD_AFTER:
        style = ">"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_Dumper.add_representer(
    _Timestamp, lambda d, v: d.represent_scalar("tag:yaml.org,2002:timestamp", str(v))
)


def timestamp(value: datetime.datetime) -> _Timestamp:
    text = value.astimezone(datetime.UTC).isoformat()
    return _Timestamp(text.removesuffix("+00:00") + "Z")


def _put(target: dict, key: str, value) -> None:
    """Optional values are written only when they have something to say."""
    if value not in ("", None, []):
        target[key] = value


def export_report(report: Report) -> str:
    """The report's whole scorecard (drafts included, with their status) as YAML text."""
    scale = report.grade_scale
    recommendations = list(
        report.recommendations.select_related("area")
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by("slug")),
            Prefetch("actors", queryset=Actor.objects.order_by("slug")),
        )
        .order_by("position", "code")
    )
    links = (
        RecommendationLink.objects.filter(source__report=report)
        .select_related("source", "target__report")
        .order_by(
            "source__position", "source__code", "target__report__slug", "target__code", "kind"
        )
    )
    evaluations = list(
        Evaluation.objects.filter(recommendation__report=report)
        .select_related("recommendation", "evaluator", "grade", "publication")
        .prefetch_related(
            Prefetch(
                "evidence",
                queryset=EvidenceLink.objects.select_related("source").order_by("position", "id"),
            )
        )
        .order_by("as_of", "evaluator__slug", "recommendation__position", "recommendation__code")
    )
    editions = report.editions.order_by("as_of", "published_at", "slug").prefetch_related(
        Prefetch(
            "entries",
            queryset=EditionEntry.objects.select_related(
                "recommendation", "evaluation__evaluator"
            ).order_by("recommendation__position", "recommendation__code"),
        )
    )

    # The published translations of every item written (one query; drafts stay out).
    tr = Exported(
        [
            Report.objects.filter(pk=report.pk),
            GradeScale.objects.filter(pk=scale.pk),
            Grade.objects.filter(scale=scale),
            Area.objects.filter(report=report),
            Recommendation.objects.filter(report=report),
            Evaluation.objects.filter(recommendation__report=report),
            EvidenceLink.objects.filter(evaluation__recommendation__report=report),
            Edition.objects.filter(report=report),
        ]
    )
    data: dict = {"format": FORMAT}
    data["report"] = _report(report, tr)
    data["grade_scale"] = _scale(scale, tr)
    # Shared definitions: those the report uses, in order of first use.
    topics = {t.slug: t for rec in recommendations for t in rec.topics.all()}
    evaluators = {e.evaluator.slug: e.evaluator for e in evaluations}
    sources = {}
    for evaluation in evaluations:
        if evaluation.publication:
            sources.setdefault(evaluation.publication.key, evaluation.publication)
        for link in evaluation.evidence.all():
            sources.setdefault(link.source.key, link.source)
    responses, response_sources = export_responses(report)
    for source in response_sources:
        sources.setdefault(source.key, source)
    _put(data, "topics", [{"slug": t.slug, "name": t.name} for t in topics.values()])
    _put(data, "actors", _actors(recommendations))
    data["areas"] = [_area(area, tr) for area in report.areas.order_by("position", "slug")]
    data["recommendations"] = [_recommendation(rec, tr) for rec in recommendations]
    _put(data, "links", [_link(link, report) for link in links])
    _put(data, "evaluators", [_evaluator(e) for e in evaluators.values()])
    _put(data, "sources", [_source(s) for s in sources.values()])
    _put(data, "evaluations", [_evaluation(e, tr) for e in evaluations])
    _put(data, "editions", [_edition(e, tr) for e in editions])
    for item in responses:
        if "published_at" in item:
            item["published_at"] = timestamp(item["published_at"])
    _put(data, "responses", responses)
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=WIDTH,
        indent=2,
        default_flow_style=False,
    )


def _report(report: Report, tr: Exported) -> dict:
    out = {"slug": report.slug, "short_name": report.short_name, "title": report.title}
    _put(out, "authors", report.authors)
    _put(out, "institution", report.institution)
    out["published_on"] = report.published_on
    _put(out, "url", report.url)
    _put(out, "citation", report.citation)
    _put(out, "description", report.description)
    out["grade_scale"] = report.grade_scale.slug
    tr.put(out, report)
    return out


def _scale(scale, tr: Exported) -> dict:
    out = {"slug": scale.slug, "name": scale.name}
    _put(out, "description", scale.description)
    out["grades"] = []
    for grade in scale.grades.order_by("-score", "slug"):
        item = {"slug": grade.slug, "label": grade.label, "score": grade.score}
        item["colour"] = grade.colour
        _put(item, "description", grade.description)
        _put(item, "guidance", grade.guidance)
        if grade.counts_as_done:
            item["counts_as_done"] = True
        tr.put(item, grade)
        out["grades"].append(item)
    tr.put(out, scale)
    return out


def _area(area, tr: Exported) -> dict:
    out = {"slug": area.slug, "name": area.name}
    _put(out, "intro", area.intro)
    tr.put(out, area)
    return out


def _recommendation(rec, tr: Exported) -> dict:
    out = {"code": rec.code, "area": rec.area.slug, "title": rec.title}
    _put(out, "actors", _Flow(a.slug for a in rec.actors.all()))
    _put(out, "due_on", rec.due_on)
    _put(out, "due_set_by", rec.due_set_by)
    _put(out, "topics", _Flow(t.slug for t in rec.topics.all()))
    out["text"] = rec.text
    tr.put(out, rec)
    return out


def _actors(recommendations) -> list[dict]:
    """The actors the report names and the ones they are within, each after its parent."""
    tree = ActorTree.read()
    wanted: set[int] = set()
    for rec in recommendations:
        for actor in rec.actors.all():
            wanted.add(actor.pk)
            wanted.update(a.pk for a in tree.ancestors(tree.actors[actor.pk]))
    out = []
    for actor, _ in tree.in_order():
        if actor.pk in wanted:
            item = {"slug": actor.slug, "name": actor.name, "kind": actor.kind}
            if actor.parent_id is not None:
                item["parent"] = tree.actors[actor.parent_id].slug
            out.append(item)
    return out


def _link(link: RecommendationLink, report: Report) -> dict:
    target = link.target
    to = target.code if target.report_id == report.pk else f"{target.report.slug}/{target.code}"
    out = {"from": link.source.code, "to": to, "kind": link.kind}
    _put(out, "note", link.note)
    return out


def _evaluator(evaluator) -> dict:
    out = {"slug": evaluator.slug, "name": evaluator.name, "kind": evaluator.kind}
    _put(out, "affiliation", evaluator.affiliation)
    _put(out, "url", evaluator.url)
    return out


def _source(source) -> dict:
    out = {"key": source.key, "title": source.title}
    for name in ("author", "publisher", "published_on", "url", "archived_url"):
        _put(out, name, getattr(source, name))
    out["kind"] = source.kind
    _put(out, "citation", source.citation)
    return out


def _evaluation(evaluation: Evaluation, tr: Exported) -> dict:
    out = {
        "recommendation": evaluation.recommendation.code,
        "evaluator": evaluation.evaluator.slug,
        "as_of": evaluation.as_of,
    }
    if evaluation.grade is not None:
        out["grade"] = evaluation.grade.slug
    _put(out, "not_rateable_reason", evaluation.not_rateable_reason)
    _put(out, "wording", evaluation.wording)
    _put(out, "narrative", evaluation.narrative)
    _put(out, "publication", evaluation.publication.key if evaluation.publication else None)
    out["status"] = evaluation.status
    if evaluation.published_at is not None and evaluation.is_published:
        out["published_at"] = timestamp(evaluation.published_at)
    evidence = []
    for link in evaluation.evidence.all():
        item = {"source": link.source.key, "stance": link.stance}
        _put(item, "quote", link.quote)
        _put(item, "page", link.page)
        tr.put(item, link)
        evidence.append(item)
    _put(out, "evidence", evidence)
    tr.put(out, evaluation)
    return out


def _edition(edition, tr: Exported) -> dict:
    out = {"slug": edition.slug, "name": edition.name, "as_of": edition.as_of}
    out["status"] = edition.status
    if edition.published_at is not None and edition.is_published:
        out["published_at"] = timestamp(edition.published_at)
    _put(out, "description", edition.description)
    out["entries"] = [
        {
            "recommendation": entry.recommendation.code,
            "evaluator": entry.evaluation.evaluator.slug,
            "as_of": entry.evaluation.as_of,
        }
        for entry in edition.entries.all()
    ]
    tr.put(out, edition)
    return out
