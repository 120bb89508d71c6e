"""What every operation of the OpenAPI schema shares, added once after generation, and the
view that serves the schema.

The partner guide (the schema's description), conditional-request headers and their 304,
the 429 of the rate limits, and patterns for path parameters.
"""

from typing import Any, ClassVar

from django.conf import settings
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response

GUIDE = """
Data of the Alliance Scorecard: reports, their recommendations, graded evaluations of
them over time, the evidence behind every grade, and frozen editions of a scorecard.
Everything under `/api/v1/`; this page is generated from the code that serves it.

## Authentication
Reading needs no account. A token (`python manage.py create_account NAME --role partner`
prints it) raises your rate limit; editors' and publishers' tokens also see drafts and may
write. Send it as `Authorization: Token <key>`. An invalid token is a 401, also on reads.

## Lists and pages
Lists are paged: `?page=2&page_size=100` (default 50, at most 200), with `count`, `next`
and `previous`. The change feed (`/evaluations/`) pages by cursor instead: follow `next`
(or send back its `cursor` as `?cursor=`).
`?format=json` forces JSON (browsers otherwise get a browsable page).

## Recommendations by code
Reports cite their recommendations by code, and each has an address by report and code
(in any case): `/api/v1/reports/armitage-nye-2000/recommendations/SEC-3/`. The list
takes the code as a filter too: `/api/v1/recommendations/?code=SEC-3`.

## The change feed
`GET /api/v1/evaluations/?updated_since=2024-05-01T00:00:00Z` lists evaluations changed
after that moment, oldest change first. Follow `next` until it is null, remember the
`updated_at` of the last evaluation, and next time ask with that value. Published
evaluations only (editors and publishers also get drafts); one withdrawn after publication
comes once more as `{"id": …, "status": "withdrawn", …}`, so you can drop your copy.

## Conditional requests
Every read answers with `ETag` and `Last-Modified`. Send them back as `If-None-Match` /
`If-Modified-Since` and get `304 Not Modified`, with no body, while nothing changed. To
change an evaluation or a source, send its `ETag` in `If-Match`: without it the answer is
428, and if someone changed it since you read it, 412 (nothing is saved).

## Sources
Editors' tokens add sources (`POST /api/v1/sources/`) and correct them (`PATCH`). One
source per URL: a URL already on file is a 409 whose body carries that source (`source`,
and its address in `Location`); cite it by its key.

## Errors
Always JSON: `{"detail": "…", "code": "invalid", "errors": {"field": ["message"]}}`.
`errors` names each query parameter, body field or header at fault. Unknown values of
filters (`?grade=nonexistent`) are a 400, not an empty list.

## Languages
Answers are in English or Japanese: ask with `?lang=ja` (it wins), or with
`Accept-Language: ja` (q-values are weighed; `q=0` refuses a language); English otherwise.
`Content-Language` says which was used, and answers vary on `Accept-Language`. What is
translated: messages for people (`detail`, the messages in `errors`). What never is: field
names, `code`, slugs, keys and enum values, the same in every language. An unknown `lang`
is a 400 naming `lang` and the languages offered.

## Rate limits
Anonymous clients: a low number of requests per minute per address; accounts: a higher
one per account (the operator sets both). Past it: 429 with `Retry-After` in seconds.
""".strip()

TAGS = [
    {"name": "Recommendations", "description": "Recommendations, current grades, histories."},
    {"name": "Evaluations", "description": "Graded judgments, their evidence and sources."},
    {"name": "Editions", "description": "Frozen, dated scorecards and their comparison."},
    {"name": "Reports", "description": "Reports, their areas and grade scales."},
    {"name": "Editing", "description": "Writes, for editors' and publishers' tokens."},
    {"name": "Webhooks", "description": "Signed event deliveries to your own endpoints."},
]

_HEADER = {"schema": {"type": "string"}}
_ERROR = {"$ref": "#/components/schemas/Error"}


def _read_headers() -> dict[str, Any]:
    return {
        "ETag": {**_HEADER, "description": "Send it back in If-None-Match."},
        "Last-Modified": {
            **_HEADER,
            "description": "The last change to the record; send it back in If-Modified-Since.",
        },
        "Cache-Control": _HEADER,
        "Content-Language": _CONTENT_LANGUAGE,
    }


_CONDITIONAL_PARAMETERS = [
    {
        "in": "header",
        "name": "If-None-Match",
        "schema": {"type": "string"},
        "description": "An ETag you hold: 304 while it is still current.",
    },
    {
        "in": "header",
        "name": "If-Modified-Since",
        "schema": {"type": "string"},
        "description": "A Last-Modified you hold (HTTP date): 304 if nothing changed since.",
    },
]

# Every operation answers in the language asked for (scorecard/languages.py): said once here.
_LANGUAGE_PARAMETERS = [
    {
        "in": "query",
        "name": "lang",
        "required": False,
        "schema": {"type": "string", "enum": [code for code, _ in settings.LANGUAGES]},
        "description": "The language of the answer's messages; wins over Accept-Language. "
        "Any other value is a 400.",
    },
    {
        "in": "header",
        "name": "Accept-Language",
        "required": False,
        "schema": {"type": "string"},
        "description": "Languages you read, with q-values (`ja, en;q=0.5`); English when "
        "none of them is offered. Field names, codes, slugs and enum values never change.",
    },
]
_CONTENT_LANGUAGE = {
    **_HEADER,
    "description": "The language of the answer: `lang`, else Accept-Language, else English.",
}
_BAD_REQUEST = {
    "description": "Bad request: a parameter names nothing (an unknown `lang`, a filter).",
    "content": {"application/json": {"schema": _ERROR}},
}

_PATH_PATTERNS = {
    "string": {"pattern": "^[-a-zA-Z0-9_]+$"},
    "integer": {"minimum": 1, "maximum": 10**18 - 1},
}


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict:
    result["info"]["description"] = GUIDE
    result["tags"] = TAGS
    schemes = result.get("components", {}).get("securitySchemes", {})
    if "tokenAuth" in schemes:
        schemes["tokenAuth"]["description"] = (
            "`Authorization: Token <key>`; `manage.py create_account` prints the key."
        )
    if "cookieAuth" in schemes:
        schemes["cookieAuth"]["description"] = (
            "The admin's session, for reading (drafts too, for editors) in a browser logged "
            "in to /admin/. Writes from the docs take a token."
        )
    if schemes:
        # The docs' Authorize dialog lists the schemes in this order: the token first.
        result["components"]["securitySchemes"] = dict(
            sorted(schemes.items(), key=lambda item: item[0] != "tokenAuth")
        )
    for path in result["paths"].values():
        for method, operation in path.items():
            responses = operation["responses"]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["schema"].update(_PATH_PATTERNS[parameter["schema"]["type"]])
            security = operation.get("security")
            if security is not None and method == "get":
                # Every read answers anonymous clients too (published data only).
                if {} not in security:
                    security.append({})
            elif security is not None:
                # The session cookie is for reading in a browser; a write needs a token.
                operation["security"] = [{"tokenAuth": []}]
            operation.setdefault("parameters", []).extend(_LANGUAGE_PARAMETERS)
            responses.setdefault("400", _BAD_REQUEST)
            if method == "get":
                operation["parameters"].extend(_CONDITIONAL_PARAMETERS)
                responses["200"]["headers"] = _read_headers()
                responses["304"] = {
                    "description": "Not modified: what you hold is current (no body).",
                    "headers": {"ETag": _HEADER, "Last-Modified": _HEADER},
                }
            else:
                for code in ("200", "201"):
                    if code in responses:
                        responses[code]["headers"] = {
                            "ETag": {**_HEADER, "description": "Send it in If-Match next time."}
                        }
            responses["429"] = {
                "description": "Too many requests: wait `Retry-After` seconds.",
                "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                "content": {"application/json": {"schema": _ERROR}},
            }
    return result


class SchemaView(SpectacularAPIView):
    """The schema, generated once per process and language (the language negotiated, as
    for the rest of the API): it changes only with the code, and generating it costs a
    tenth of a second that anonymous clients could otherwise spend."""

    _schemas: ClassVar[dict[str, dict]] = {}

    def _get_schema_response(self, request: Request) -> Response:
        if self.api_version or request.GET.get("version"):
            return super()._get_schema_response(request)
        language = translation.get_language() or ""
        schema = SchemaView._schemas.get(language)
        if schema is None:
            generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
            schema = generator.get_schema(request=request, public=self.serve_public)
            SchemaView._schemas[language] = schema
        filename = self._get_filename(request, None)
        return Response(
            data=schema,
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )
