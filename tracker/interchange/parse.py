"""One scorecard file → plain specs, with every problem the file has on its own.

The specs it builds, and the sections and keys a file may have, are in `specs`.
Cross-references (an evaluation's grade, a link's target, a source cited by key) are only
collected here, with their places; `checks` and `evaluation_checks` resolve them against
the other files of the import and the database.
"""

import re
from pathlib import Path

import yaml

from tracker import rules
from tracker.actors import LEGACY_ACTORS
from tracker.interchange.responses import parse_responses
from tracker.interchange.sections import Evaluations, Recommendations
from tracker.interchange.specs import (
    ACTOR_KEYS,
    AREA_KEYS,
    EDITION_KEYS,
    ENTRY_KEYS,
    EVALUATOR_KEYS,
    EVIDENCE_KEYS,
    FORMAT,
    GRADE_KEYS,
    LINK_KEYS,
    REPORT_KEYS,
    SCALE_KEYS,
    SOURCE_KEYS,
    TOP_KEYS,
    TOPIC_KEYS,
    ActorSpec,
    AreaSpec,
    EditionSpec,
    EntrySpec,
    EvaluationSpec,
    EvaluatorSpec,
    EvidenceSpec,
    FileSpec,
    GradeSpec,
    LinkSpec,
    RecommendationSpec,
    ReportSpec,
    ScaleSpec,
    SourceSpec,
    TopicSpec,
)
from tracker.interchange.stream import Unreadable, walk
from tracker.interchange.translations import parse_translations
from tracker.interchange.yamlread import (
    SLUG_RE,
    Mapping,
    Places,
    Problems,
    Reader,
    Unique,
    quoted,
)
from tracker.models import (
    Actor,
    ActorKind,
    Area,
    DueSetBy,
    Edition,
    Evaluation,
    Evaluator,
    EvaluatorKind,
    EvidenceLink,
    Grade,
    GradeScale,
    LegacyActor,
    LinkKind,
    Recommendation,
    RecommendationLink,
    Report,
    Source,
    SourceKind,
    Stance,
    Status,
    Topic,
)

CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*-[0-9]+$")


def max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _places(m: Mapping) -> Places:
    return Places(m)


def parse_file(path: str | Path, problems: Problems) -> FileSpec | None:
    """Read one file completely; every problem in it is added to `problems`.

    The long lists (recommendations, evaluations) are read one item at a time
    (tracker.interchange.stream): each item is checked, counted in its list's indexes and
    let go; the spec's lists read them again from the file when they are gone through."""
    file = str(path)
    reader = Reader(file, problems)
    spec = FileSpec(file=file)
    spec.recommendations = Recommendations(file, _recommendation_item)
    spec.evaluations = Evaluations(file, _evaluation_item)
    before = len(problems)
    root = None
    try:
        for name, index, node in walk(path, reader):
            if name is None:
                root = node
            else:
                section = getattr(spec, name)
                section.read(reader, index, node, spec.unreadable)
    except Unreadable as error:
        # A file that cannot be read at all has that problem only (as when it was composed
        # whole before its items were read).
        del problems.items[before:]
        problems.items.append(error.problem)
        spec.recommendations.close()
        spec.evaluations.close()
        return None
    if not isinstance(root, yaml.MappingNode):
        problems.add(
            reader.where(root, ""),
            "is not a scorecard file: expected “format: 1” and sections such as “report:” "
            "at the top level",
        )
        return None
    top = reader.mapping(root, "", TOP_KEYS, "the file")
    if top is None:
        return None
    if not top.has("format"):
        top.problem(None, "“format: 1” is missing at the top; this reader understands format 1")
    else:
        version = top.integer("format", minimum=0, maximum=10**6)
        if version is not None and version != FORMAT:
            top.problem(
                "format",
                f"this file is in format {version}; this version of Alliance Scorecard reads "
                f"format {FORMAT} (see docs/interchange-format.md)",
            )
    report = top.mapping("report", REPORT_KEYS, "the report")
    if report is not None:
        spec.report = _report(report)
    if top.has("grade_scale"):
        scale = top.mapping("grade_scale", SCALE_KEYS, "the grade scale")
        if scale is not None:
            spec.grade_scale = _scale(scale, problems, spec.unreadable)
    spec.topics = _list(top, "topics", TOPIC_KEYS, "topics", _topic, "slug", problems)
    spec.actors = _list(top, "actors", ACTOR_KEYS, "actors", _actor, "slug", problems)
    for actor in spec.actors:
        if actor.parent == actor.slug:
            problems.add(actor.at["parent"], "an actor cannot be its own parent")
    spec.areas = [
        area
        for index, m in enumerate(top.items("areas", AREA_KEYS, "areas"))
        if m is not None and (area := _area(m, index + 1))
    ]
    _unique_by(spec.areas, "slug", "area slugs", problems)
    # A list composed whole (one with an anchor) is read here; a streamed one was read above.
    for index, node in enumerate(top.nodes("recommendations", "recommendations")):
        spec.recommendations.kept_read(reader, index, node, spec.unreadable)
    spec.links = _list(top, "links", LINK_KEYS, "links", _link, None, problems)
    unique = Unique("links", problems)
    for link in spec.links:
        if link.source == link.target_code and link.target_report in ("", _slug(spec)):
            problems.add(link.at["to"], "a recommendation cannot link to itself")
        unique.check(
            (link.source, link.target_report or _slug(spec), link.target_code, link.kind),
            link.at[""],
            f"the link {link.source} {link.kind} {link.target_report or _slug(spec)}/"
            f"{link.target_code}",
        )
    spec.evaluators = _list(
        top, "evaluators", EVALUATOR_KEYS, "evaluators", _evaluator, "slug", problems
    )
    spec.sources = _list(top, "sources", SOURCE_KEYS, "sources", _source, "key", problems)
    for index, node in enumerate(top.nodes("evaluations", "evaluations")):
        spec.evaluations.kept_read(reader, index, node, spec.unreadable)
    spec.editions = [
        edition
        for m in top.items("editions", EDITION_KEYS, "editions")
        if m is not None and (edition := _edition(m, problems))
    ]
    _unique_by(spec.editions, "slug", "edition slugs", problems)
    spec.responses = parse_responses(top, problems)
    spec.evaluations.keys_seen = {}  # (only for finding a key used twice in the file)
    return spec


def _recommendation_item(m: Mapping, index: int, problems: Problems, unreadable: set):
    return _recommendation(m, index + 1)


def _evaluation_item(m: Mapping, index: int, problems: Problems, unreadable: set):
    return _evaluation(m, problems, unreadable)


def _slug(spec: FileSpec) -> str:
    return spec.report.slug if spec.report is not None else ""


def _list(top: Mapping, key, keys, what, build, unique_key, problems) -> list:
    items = [item for m in top.items(key, keys, what) if m is not None and (item := build(m))]
    if unique_key:
        _unique_by(items, unique_key, f"{what} {unique_key}s", problems)
    return items


def _unique_by(items: list, name: str, what: str, problems: Problems) -> None:
    unique = Unique(what, problems)
    for item in items:
        unique.check(getattr(item, name), item.at.get(name, item.at[""]))


def _complete(m: Mapping, before: int, values: dict) -> bool:
    """Whether the mapping read without problems and has its required values."""
    return len(m.reader.problems) == before and all(v is not None for v in values.values())


def _report(m: Mapping) -> ReportSpec | None:
    required = {
        "slug": m.slug("slug"),
        "published_on": m.date("published_on", required=True),
        "grade_scale": m.slug("grade_scale", what="the slug of a grade scale"),
    }
    spec = ReportSpec(
        slug=required["slug"],
        short_name=m.text(
            "short_name",
            required=True,
            max_length=max_length(Report, "short_name"),
            single_line=True,
        ),
        title=m.text(
            "title", required=True, max_length=max_length(Report, "title"), single_line=True
        ),
        authors=m.text("authors", max_length=max_length(Report, "authors"), single_line=True),
        institution=m.text(
            "institution", max_length=max_length(Report, "institution"), single_line=True
        ),
        published_on=required["published_on"],
        url=m.url("url", max_length=max_length(Report, "url")),
        citation=m.text("citation", max_length=max_length(Report, "citation"), single_line=True),
        description=m.text("description"),
        grade_scale=required["grade_scale"],
        at=_places(m),
    )
    spec.translations = parse_translations(
        m,
        Report,
        {"short_name": spec.short_name, "title": spec.title, "description": spec.description},
    )
    return spec if required["slug"] is not None else None


def _scale(m: Mapping, problems: Problems, unreadable: set) -> ScaleSpec | None:
    slug = m.slug("slug")
    grades = []
    for m_grade in m.items("grades", GRADE_KEYS, "grades"):
        grade = _grade(m_grade) if m_grade is not None else None
        if grade is not None:
            grades.append(grade)
        elif m_grade is not None and m_grade.has("slug"):
            unreadable.add(("grade", m_grade.values["slug"].value))
    if not m.has("grades"):
        m.problem(None, "“grades” is required: the levels of the scale")
    _unique_by(grades, "slug", "grade slugs", problems)
    _unique_by(grades, "score", "grade scores", problems)
    spec = ScaleSpec(
        slug=slug,
        name=m.text(
            "name", required=True, max_length=max_length(GradeScale, "name"), single_line=True
        ),
        description=m.text("description"),
        grades=grades,
        at=_places(m),
    )
    spec.translations = parse_translations(
        m, GradeScale, {"name": spec.name, "description": spec.description}
    )
    return spec if slug is not None else None


def _grade(m: Mapping) -> GradeSpec | None:
    before = len(m.reader.problems)
    values = {"slug": m.slug("slug"), "score": m.integer("score"), "colour": m.colour("colour")}
    label = m.text("label", required=True, max_length=max_length(Grade, "label"), single_line=True)
    description = m.text("description")
    guidance = m.text("guidance")
    done = m.choice("counts_as_done", ["true", "false"], what="true or false", default="false")
    translations = parse_translations(m, Grade, {"label": label, "description": description})
    if not _complete(m, before, values):
        return None
    return GradeSpec(
        label=label,
        description=description,
        guidance=guidance,
        counts_as_done=done == "true",
        at=_places(m),
        translations=translations,
        **values,
    )


def _topic(m: Mapping) -> TopicSpec | None:
    slug = m.slug("slug")
    name = m.text("name", required=True, max_length=max_length(Topic, "name"), single_line=True)
    return TopicSpec(slug, name, at=_places(m)) if slug is not None else None


def _actor(m: Mapping) -> ActorSpec | None:
    slug = m.slug("slug", max_length=max_length(Actor, "slug"))
    name = m.text("name", required=True, max_length=max_length(Actor, "name"), single_line=True)
    kind = m.choice("kind", ActorKind.values, what="a kind of actor", default=ActorKind.GOVERNMENT)
    parent = m.slug("parent", required=False, max_length=max_length(Actor, "slug"))
    if slug is None or kind is None:
        return None
    return ActorSpec(slug, name, kind, parent, at=_places(m))


def _area(m: Mapping, position: int) -> AreaSpec | None:
    slug = m.slug("slug")
    name = m.text("name", required=True, max_length=max_length(Area, "name"), single_line=True)
    intro = m.text("intro")
    translations = parse_translations(m, Area, {"name": name, "intro": intro})
    if slug is None:
        return None
    return AreaSpec(slug, name, intro, position, at=_places(m), translations=translations)


def _code(m: Mapping, key: str, *, required: bool = True) -> str | None:
    value = m.text(key, required=required, single_line=True)
    if not value:
        return None
    if not CODE_RE.match(value) or len(value) > max_length(Recommendation, "code"):
        m.problem(
            key,
            f"{quoted(value)} is not a recommendation code; use capitals, a hyphen and a "
            f"number (e.g. SEC-2), at most {max_length(Recommendation, 'code')} characters",
        )
        return None
    return value


def _recommendation(m: Mapping, position: int) -> RecommendationSpec | None:
    code = _code(m, "code")
    area = m.slug("area", what="the slug of an area")
    title = m.text(
        "title", required=True, max_length=max_length(Recommendation, "title"), single_line=True
    )
    actors = m.slugs("actors", "actor slugs")
    if m.has("actor"):
        # Today's files say `actor: both`; each value names the actors it always meant.
        if m.has("actors"):
            m.problem("actor", "give either “actors” (a list of actor slugs) or “actor”, not both")
        legacy = m.choice("actor", LegacyActor.values, what="an actor")
        if legacy is not None:
            actors = [(named.slug, m.where("actor")) for named in LEGACY_ACTORS[legacy]]
    due_on = m.date("due_on")
    due_set_by = m.choice("due_set_by", DueSetBy.values, what="whose due date it is", default="")
    if due_on is not None and not due_set_by:
        m.problem("due_set_by", "say whose due date it is (report or editors)")
    if due_on is None and due_set_by:
        m.problem("due_on", "whose due date it is is given, but not the date")
    topics = m.slugs("topics", "topic slugs")
    text = m.text("text", required=True)
    translations = parse_translations(m, Recommendation, {"title": title, "text": text})
    if code is None:
        return None
    spec = RecommendationSpec(
        code=code,
        area=area,
        title=title,
        actors=[slug for slug, _ in actors],
        due_on=due_on,
        due_set_by=due_set_by or "",
        topics=[slug for slug, _ in topics],
        text=text,
        position=position,
        at=_places(m),
        translations=translations,
    )
    spec.topic_at = [where for _, where in topics]
    spec.actor_at = [where for _, where in actors]
    if len(set(spec.actors)) != len(spec.actors):
        m.problem("actors", "an actor is listed twice")
    seen = set()
    for slug, where in topics:
        if slug in seen:
            m.reader.problems.add(where, f"the topic {quoted(slug)} is listed twice")
        seen.add(slug)
    return spec


def _link(m: Mapping) -> LinkSpec | None:
    before = len(m.reader.problems)
    source = _code(m, "from")
    target = m.text("to", required=True, single_line=True)
    report, code = "", None
    if target:
        report, _, code = target.rpartition("/")
        if (report and not SLUG_RE.match(report)) or not CODE_RE.match(code):
            m.problem(
                "to",
                f"{quoted(target)} is not a recommendation; write REPORT/CODE "
                f"(e.g. armitage-nye-2000/SEC-7), or CODE for one of this report",
            )
            code = None
    kind = m.choice("kind", LinkKind.values, what="a kind of link")
    note = m.text("note", max_length=max_length(RecommendationLink, "note"), single_line=True)
    values = {"source": source, "target_code": code, "kind": kind}
    if not _complete(m, before, values):
        return None
    return LinkSpec(target_report=report, note=note, at=_places(m), **values)


def _evaluator(m: Mapping) -> EvaluatorSpec | None:
    slug = m.slug("slug")
    spec = EvaluatorSpec(
        slug=slug,
        name=m.text(
            "name", required=True, max_length=max_length(Evaluator, "name"), single_line=True
        ),
        kind=m.choice(
            "kind",
            EvaluatorKind.values,
            what="a kind of evaluator",
            default=EvaluatorKind.ORGANIZATION,
        ),
        affiliation=m.text(
            "affiliation", max_length=max_length(Evaluator, "affiliation"), single_line=True
        ),
        url=m.url("url", max_length=max_length(Evaluator, "url")),
        at=_places(m),
    )
    return spec if slug is not None else None


def _source(m: Mapping) -> SourceSpec | None:
    key = m.slug("key", max_length=max_length(Source, "key"), what="a source key")
    spec = SourceSpec(
        key=key,
        title=m.text(
            "title", required=True, max_length=max_length(Source, "title"), single_line=True
        ),
        author=m.text("author", max_length=max_length(Source, "author"), single_line=True),
        publisher=m.text("publisher", max_length=max_length(Source, "publisher"), single_line=True),
        published_on=m.date("published_on"),
        url=m.url("url", max_length=max_length(Source, "url")),
        archived_url=m.url("archived_url", max_length=max_length(Source, "archived_url")),
        kind=m.choice("kind", SourceKind.values, what="a kind of source", default=SourceKind.OTHER),
        citation=m.text("citation"),
        at=_places(m),
    )
    return spec if key is not None else None


def _evaluation(m: Mapping, problems: Problems, unreadable: set) -> EvaluationSpec | None:
    before = len(problems)
    values = {
        "recommendation": _code(m, "recommendation"),
        "evaluator": m.slug("evaluator", what="the slug of an evaluator"),
        "as_of": m.date("as_of", required=True),
        "status": m.choice("status", Status.values, what="a status"),
    }
    # A grade, or the reason the recommendation is not rateable: exactly one (tracker.rules).
    grade = m.slug("grade", required=False, what="the slug of a grade")
    not_rateable_reason = m.text("not_rateable_reason").strip()
    if not m.has("grade") and not not_rateable_reason:
        m.problem(
            "grade",
            "is required (the slug of a grade), unless “not_rateable_reason” says why the "
            "recommendation cannot be graded",
        )
    elif m.has("grade") and not_rateable_reason:
        m.problem(
            "not_rateable_reason",
            "an evaluation either grades the recommendation or says why it cannot be graded; "
            "remove the grade or the not_rateable_reason",
        )
    wording = m.text("wording", max_length=max_length(Evaluation, "wording"), single_line=True)
    narrative = m.text("narrative")
    publication = m.slug(
        "publication", required=False, max_length=max_length(Source, "key"), what="a source key"
    )
    published_at = m.datetime("published_at")
    translations = parse_translations(m, Evaluation, {"wording": wording, "narrative": narrative})
    evidence = []
    unique = Unique(
        "sources within an evaluation's evidence",
        problems,
        "{value} is already cited by this evaluation (line {line}); cite a source once, "
        "with every passage relied on in its quote",
    )
    for position, item in enumerate(m.items("evidence", EVIDENCE_KEYS, "evidence")):
        if item is None:
            continue
        source = item.slug("source", max_length=max_length(Source, "key"), what="a source key")
        stance = item.choice("stance", Stance.values, what="a stance", default=Stance.SUPPORTS)
        quote = item.text("quote")
        page = item.text("page", max_length=max_length(EvidenceLink, "page"), single_line=True)
        places = _places(item)
        translated = parse_translations(item, EvidenceLink, {"quote": quote})
        if source is not None and unique.check(source, places["source"]) and stance is not None:
            evidence.append(
                EvidenceSpec(
                    source, stance, quote, page, position, at=places, translations=translated
                )
            )
    if values["status"] == Status.DRAFT and published_at is not None:
        m.problem(
            "published_at",
            "a draft has no publication time; remove published_at or set status: published",
        )
    # What publishing requires (tracker.rules): the narrative is the file's own business;
    # evidence may also be in the database, so evaluation_checks.py looks at that.
    missing = rules.missing_for_publication(narrative=narrative, evidence_count=1)
    if values["status"] == Status.PUBLISHED and "narrative" in missing:
        m.problem("narrative", "a published evaluation needs a narrative: say why this grade")
    if len(problems) > before or any(v is None for v in values.values()):
        unreadable.add(
            ("evaluation", values["recommendation"], values["evaluator"], values["as_of"])
        )
        return None
    return EvaluationSpec(
        grade=grade,
        not_rateable_reason=not_rateable_reason,
        wording=wording,
        narrative=narrative,
        publication=publication,
        published_at=published_at,
        evidence=evidence,
        at=_places(m),
        translations=translations,
        **values,
    )


def _edition(m: Mapping, problems: Problems) -> EditionSpec | None:
    before = len(problems)
    slug = m.slug("slug")
    name = m.text("name", required=True, max_length=max_length(Edition, "name"), single_line=True)
    as_of = m.date("as_of", required=True)
    status = m.choice("status", Status.values, what="a status", default=Status.PUBLISHED)
    published_at = m.datetime("published_at")
    description = m.text("description")
    translations = parse_translations(m, Edition, {"name": name, "description": description})
    if status == Status.DRAFT and published_at is not None:
        m.problem(
            "published_at",
            "a draft edition has no publication time; remove published_at or set status: published",
        )
    entries = None
    if m.has("entries"):
        entries = []
        unique = Unique("recommendations within an edition", problems)
        for item in m.items("entries", ENTRY_KEYS, "entries"):
            if item is None:
                continue
            values = {
                "recommendation": _code(item, "recommendation"),
                "evaluator": item.slug("evaluator", what="the slug of an evaluator"),
                "as_of": item.date("as_of", required=True),
            }
            places = _places(item)
            if all(v is not None for v in values.values()) and unique.check(
                values["recommendation"], places["recommendation"]
            ):
                entries.append(EntrySpec(at=places, **values))
    if len(problems) > before or None in (slug, as_of, status):
        return None
    return EditionSpec(
        slug=slug,
        name=name,
        as_of=as_of,
        status=status,
        published_at=published_at,
        description=description,
        entries=entries,
        at=_places(m),
        translations=translations,
    )
