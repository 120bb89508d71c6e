"""The raw lower bound: each API payload from one hand-written SQL query, psycopg2 and orjson.

No Django, no DRF, no model instances: what producing the same bytes costs at the least.
The harness (bench/run.py) checks that each payload equals the API's, so the comparison
is between two ways of computing one answer. PostgreSQL only.
"""

import base64
import datetime
from typing import Any
from urllib.parse import urlencode

import orjson
import psycopg2
import psycopg2.extras

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
DUE_SOON_DAYS = 90  # tracker.deadlines: "due soon" from this many days before the date


def connect(database_url: str):
    """A psycopg2 connection in UTC, with json columns parsed by orjson."""
    connection = psycopg2.connect(database_url, options="-c timezone=UTC")
    connection.autocommit = True
    psycopg2.extras.register_default_json(connection, loads=orjson.loads)
    psycopg2.extras.register_default_jsonb(connection, loads=orjson.loads)
    return connection


def _url(base: str, params: dict[str, Any]) -> str:
    # The order DRF's replace_query_param writes them in: sorted by name.
    return f"{base}?{urlencode(sorted((k, str(v)) for k, v in params.items()))}"


# --- 1. recommendations: a page with current grades ----------------------------------------

RECOMMENDATIONS_SQL = """
WITH page AS (
    SELECT r.* FROM tracker_recommendation r
    JOIN tracker_report rep ON rep.id = r.report_id
    WHERE rep.slug = %(report)s
    ORDER BY r.position
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT
    (SELECT count(*) FROM tracker_recommendation c
     JOIN tracker_report cr ON cr.id = c.report_id WHERE cr.slug = %(report)s),
    r.id, rep.slug, a.slug, a.name, r.code, r.position, r.title, r.text,
    ARRAY(
        SELECT json_build_object('slug', ac.slug, 'name', ac.name, 'kind', ac.kind)
        FROM tracker_recommendationactor ra JOIN tracker_actor ac ON ac.id = ra.actor_id
        WHERE ra.recommendation_id = r.id ORDER BY ac.name, ac.id
    ),
    ARRAY(
        SELECT t.slug FROM tracker_recommendation_topics rt
        JOIN tracker_topic t ON t.id = rt.topic_id
        WHERE rt.recommendation_id = r.id ORDER BY t.name
    ),
    r.due_on, r.due_set_by,
    g.slug, g.label, g.score, g.colour, g.counts_as_done,
    e.id, e.as_of, ev.slug, ev.name, e.not_rateable_reason, e.wording, e.narrative,
    e.published_at
FROM page r
JOIN tracker_report rep ON rep.id = r.report_id
JOIN tracker_area a ON a.id = r.area_id
LEFT JOIN LATERAL (
    SELECT * FROM tracker_evaluation e
    WHERE e.recommendation_id = r.id AND e.status = 'published'
    ORDER BY e.as_of DESC, e.published_at DESC, e.id DESC
    LIMIT 1
) e ON true
LEFT JOIN tracker_grade g ON g.id = e.grade_id
LEFT JOIN tracker_evaluator ev ON ev.id = e.evaluator_id
ORDER BY r.position
"""


def recommendations(connection, *, base_url: str, report: str, page: int, size: int) -> bytes:
    """GET /api/v1/recommendations/?report=…&page=…&page_size=… (anonymous)."""
    with connection.cursor() as cursor:
        cursor.execute(
            RECOMMENDATIONS_SQL, {"report": report, "limit": size, "offset": (page - 1) * size}
        )
        rows = cursor.fetchall()
    today = datetime.datetime.now(datetime.UTC).date()  # TIME_ZONE is UTC
    count = rows[0][0] if rows else 0
    results = []
    for row in rows:
        (_, pk, report_slug, area_slug, area_name, code, position, title, text, actors, topics,
         due_on, due_set_by, g_slug, g_label, g_score, g_colour, g_done,
         e_id, e_as_of, ev_slug, ev_name, not_rateable_reason, wording, narrative,
         published_at) = row  # fmt: skip
        evaluated = e_id is not None
        graded = evaluated and g_slug is not None
        due_state = None
        if due_on is not None and not g_done:
            if due_on < today:
                due_state = "overdue"
            elif due_on <= today + datetime.timedelta(days=DUE_SOON_DAYS):
                due_state = "soon"
        judgment = "graded" if graded else "not-rateable" if evaluated else "ungraded"
        results.append(
            {
                "id": pk,
                "report": report_slug,
                "area": {"slug": area_slug, "name": area_name},
                "code": code,
                "position": position,
                "title": title,
                "text": text,
                "actors": actors,
                "topics": topics,
                "due_on": due_on,
                "due_set_by": due_set_by,
                "due_state": due_state,
                "current_judgment": judgment,
                "current_grade": {
                    "slug": g_slug,
                    "label": g_label,
                    "score": g_score,
                    "colour": g_colour,
                }
                if graded
                else None,
                "current_grade_as_of": e_as_of,
                "current_evaluation": {
                    "id": e_id,
                    "as_of": e_as_of,
                    "evaluator": {"slug": ev_slug, "name": ev_name},
                    "not_rateable_reason": not_rateable_reason,
                    "wording": wording,
                    "narrative": narrative,
                    "published_at": published_at,
                }
                if evaluated
                else None,
            }
        )
    params = {"report": report, "page_size": size}
    last_page = max(1, -(-count // size))
    previous = None
    if page == 2:
        previous = _url(base_url, params)
    elif page > 2:
        previous = _url(base_url, {**params, "page": page - 1})
    body = {
        "count": count,
        "next": _url(base_url, {**params, "page": page + 1}) if page < last_page else None,
        "previous": previous,
        "results": results,
    }
    return orjson.dumps(body, option=JSON_OPTIONS)


# --- 2. and 3. evaluations with their evidence ----------------------------------------------

EVALUATION_COLUMNS = """
    e.id, r.id, rep.slug, r.code, r.title, ev.slug, ev.name,
    g.slug, g.label, g.score, g.colour, e.not_rateable_reason, e.wording, e.narrative, e.as_of,
    pub.key, pub.title, pub.url, e.status, e.published_at, e.created_at, e.updated_at,
    e.version,
    COALESCE((
        SELECT json_agg(json_build_object(
            'id', l.id,
            'source', json_build_object(
                'key', s.key, 'title', s.title, 'author', s.author,
                'publisher', s.publisher, 'published_on', s.published_on, 'url', s.url,
                'archived_url', s.archived_url, 'kind', s.kind, 'citation', s.citation),
            'stance', l.stance, 'quote', l.quote, 'page', l.page)
            ORDER BY l.position, l.id)
        FROM tracker_evidencelink l JOIN tracker_source s ON s.id = l.source_id
        WHERE l.evaluation_id = e.id
    ), '[]')
"""
EVALUATION_JOINS = """
JOIN tracker_recommendation r ON r.id = e.recommendation_id
JOIN tracker_report rep ON rep.id = r.report_id
JOIN tracker_evaluator ev ON ev.id = e.evaluator_id
LEFT JOIN tracker_grade g ON g.id = e.grade_id
LEFT JOIN tracker_source pub ON pub.id = e.publication_id
"""


def _evaluation(row: tuple) -> dict[str, Any]:
    (pk, r_id, report, code, title, ev_slug, ev_name, g_slug, g_label, g_score, g_colour,
     not_rateable_reason, wording, narrative, as_of, pub_key, pub_title, pub_url, status,
     published_at, created_at, updated_at, version, evidence) = row  # fmt: skip
    return {
        "id": pk,
        "recommendation": {"id": r_id, "report": report, "code": code, "title": title},
        "evaluator": {"slug": ev_slug, "name": ev_name},
        "grade": {"slug": g_slug, "label": g_label, "score": g_score, "colour": g_colour}
        if g_slug is not None
        else None,
        "not_rateable_reason": not_rateable_reason,
        "wording": wording,
        "narrative": narrative,
        "as_of": as_of,
        "publication": {"key": pub_key, "title": pub_title, "url": pub_url}
        if pub_key is not None
        else None,
        "status": status,
        "published_at": published_at,
        "created_at": created_at,
        "updated_at": updated_at,
        "version": version,
        "evidence": evidence,
    }


TIMELINE_SQL = f"""
SELECT {EVALUATION_COLUMNS}
FROM tracker_evaluation e {EVALUATION_JOINS}
WHERE e.recommendation_id = %(recommendation)s AND e.status = 'published'
ORDER BY e.as_of, e.published_at, e.id
"""  # noqa: S608 -- constant SQL, values are parameters
# What the actors say about it: published responses, oldest first, with their sources.
RESPONSES_SQL = """
SELECT json_build_object(
    'id', x.id,
    'recommendation', json_build_object(
        'id', r.id, 'report', rep.slug, 'code', r.code, 'title', r.title),
    'actor', json_build_object('slug', ac.slug, 'name', ac.name, 'kind', ac.kind),
    'position', x.position, 'statement', x.statement, 'said_on', x.said_on,
    'status', x.status, 'published_at', x.published_at, 'updated_at', x.updated_at,
    'version', x.version,
    'sources', COALESCE((
        SELECT json_agg(json_build_object(
            'source', json_build_object(
                'key', s.key, 'title', s.title, 'author', s.author,
                'publisher', s.publisher, 'published_on', s.published_on, 'url', s.url,
                'archived_url', s.archived_url, 'kind', s.kind, 'citation', s.citation),
            'quote', rs.quote, 'page', rs.page)
            ORDER BY rs.position, rs.id)
        FROM tracker_responsesource rs JOIN tracker_source s ON s.id = rs.source_id
        WHERE rs.response_id = x.id
    ), '[]'))
FROM tracker_response x
JOIN tracker_recommendation r ON r.id = x.recommendation_id
JOIN tracker_report rep ON rep.id = r.report_id
JOIN tracker_actor ac ON ac.id = x.actor_id
WHERE x.recommendation_id = %(recommendation)s AND x.status = 'published'
ORDER BY x.said_on, x.published_at, x.id
"""

# A recommendation without published evaluations still has a timeline: its reference.
TIMELINE_REF_SQL = """
SELECT r.id, rep.slug, r.code, r.title
FROM tracker_recommendation r JOIN tracker_report rep ON rep.id = r.report_id
WHERE r.id = %(recommendation)s
"""


def timeline(connection, *, recommendation: int) -> bytes:
    """GET /api/v1/recommendations/{id}/timeline/ (anonymous)."""
    with connection.cursor() as cursor:
        cursor.execute(TIMELINE_SQL, {"recommendation": recommendation})
        evaluations = [_evaluation(row) for row in cursor.fetchall()]
        if evaluations:
            reference = evaluations[0]["recommendation"]
        else:  # only for the ungraded: a second query the graded never pay
            cursor.execute(TIMELINE_REF_SQL, {"recommendation": recommendation})
            r_id, report, code, title = cursor.fetchone()
            reference = {"id": r_id, "report": report, "code": code, "title": title}
        cursor.execute(RESPONSES_SQL, {"recommendation": recommendation})
        responses = [row[0] for row in cursor.fetchall()]
    body = {"recommendation": reference, "evaluations": evaluations, "responses": responses}
    return orjson.dumps(body, option=JSON_OPTIONS)


FEED_SQL = f"""
SELECT {EVALUATION_COLUMNS}
FROM tracker_evaluation e {EVALUATION_JOINS}
WHERE e.status = 'published' AND e.updated_at > %(since)s
  AND (e.updated_at, e.id) > (%(after_at)s, %(after_id)s)
ORDER BY e.updated_at, e.id
LIMIT %(limit)s
"""  # noqa: S608 -- constant SQL, values are parameters


def feed_cursor(updated_at: datetime.datetime, pk: int) -> str:
    """The change feed's cursor naming a row, as the API writes it in `next` links."""
    text = f"{updated_at.astimezone(datetime.UTC).isoformat()}|{pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def feed(connection, *, base_url: str, since, after: tuple | None, size: int, since_text: str):
    """GET /api/v1/evaluations/?updated_since=…&page_size=…[&cursor=…] (anonymous).

    `after` is the (updated_at, id) the cursor names, or None for the first page.
    """
    after_at, after_id = after or (since, 0)
    with connection.cursor() as cursor:
        cursor.execute(
            FEED_SQL,
            {
                "since": since,
                "after_at": after_at,
                "after_id": after_id,
                "limit": size + 1,
            },
        )
        rows = cursor.fetchall()
    results = [_evaluation(row) for row in rows[:size]]
    next_url = next_cursor = None
    if len(rows) > size:
        last = results[-1]
        next_cursor = feed_cursor(last["updated_at"], last["id"])
        next_url = _url(
            base_url,
            {"cursor": next_cursor, "page_size": size, "updated_since": since_text},
        )
    body = {"next": next_url, "cursor": next_cursor, "results": results}
    return orjson.dumps(body, option=JSON_OPTIONS)
