"""Which language a request is answered in, and where the same page is in the others.

A page's language is the one its path names: English at the site's own URLs (they are cited,
so they never move), every other language of settings.LANGUAGES under its prefix (`/ja/…`,
`i18n_patterns` in scorecard/urls.py). Nothing else decides it: not Accept-Language, not a
cookie, so one URL is one page in one language, for readers and caches alike. The health
endpoints are outside the prefixed patterns and answer in English.

The API (everything under /api/) has one address per resource in every language, and
negotiates instead (`api_language`): `?lang=ja` if given (an unknown value is a 400 naming
`lang` and the languages offered), else the best of the client's `Accept-Language` (q-values
as RFC 9110 weighs them: `q=0` refuses a language), else English. Its answers say the
language used (`Content-Language`) and vary on `Accept-Language`; the response cache and the
ETags tell the languages apart (scorecard/response_cache.py, `answer_language`).

The editors' admin (/admin/…) follows the editor's browser too: its pages are private, never
cached for anyone else (`editor_language`: Accept-Language among settings.LANGUAGES, English
by default), and say so (`Content-Language`, `Vary: Accept-Language`).

`page_languages` gives every page its counterparts in each language (the switch in the header,
the `hreflang` alternates), with the query string kept, so a filtered scorecard switches to
the same filtered scorecard.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.urls import get_script_prefix, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.encoding import escape_uri_path
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext
from django.utils.translation.trans_real import parse_accept_lang_header

from scorecard import links, response_cache
from scorecard.api import errors as api_errors

# The API's query parameter naming the language of the answer (it wins over Accept-Language).
LANGUAGE_PARAMETER = "lang"


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def supported(code: str) -> str | None:
    """The language of settings.LANGUAGES that `code` asks for (`ja`, `ja-JP`, `JA`), or None."""
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def accepted_language(header: str) -> str:
    """The best language of settings.LANGUAGES in an Accept-Language header, by q-value
    (the header's order among equal ones); a range with `q=0` is refused, `*` is anything
    (the default); English when nothing offered is asked for, or the header is malformed."""
    for code, quality in parse_accept_lang_header(header):
        if quality <= 0:
            continue
        if code == "*":
            break
        found = supported(code)
        if found is not None:
            return found
    return settings.LANGUAGE_CODE


def api_language(request: HttpRequest) -> tuple[str, str | None]:
    """The language an API request is answered in, and the `lang` value refused (None when
    none was, or it names a language offered). A refused value is answered in the
    Accept-Language's language, the one the client reads best."""
    negotiated = accepted_language(request.headers.get("Accept-Language", ""))
    asked = request.GET.get(LANGUAGE_PARAMETER)
    if asked is None:
        return negotiated, None
    found = supported(asked) if "\x00" not in asked else None
    return (found, None) if found is not None else (negotiated, asked)


def unknown_language_message(value: str) -> str:
    offered = ", ".join(code for code, _ in settings.LANGUAGES)
    return gettext("“%(value)s” is not a language of this API. Choose one of: %(offered)s.") % {
        "value": value,
        "offered": offered,
    }


# Where the editors' admin is mounted (scorecard/urls.py), as `request.path_info` shows it.
ADMIN_PATH = "/admin/"


def editor_language(request: HttpRequest) -> str | None:
    """The language of an admin page: the editor's browser's (Accept-Language) among
    settings.LANGUAGES, English by default; None for every other page (the path decides)."""
    if not request.path_info.startswith(ADMIN_PATH):
        return None
    return translation.get_language_from_request(request, check_path=False)


class PathLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, without its `Vary: Accept-Language` on pages: with the
    default language unprefixed (`prefix_default_language=False`), Django takes a page's
    language from the path alone, so the header would only split shared caches for nothing.
    The API negotiates its language instead (`api_language`) and the admin takes the
    editor's (`editor_language`); both say so in `Vary`."""

    def process_request(self, request: HttpRequest) -> None:
        language = editor_language(request)
        if language is not None:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
            return
        super().process_request(request)
        if is_api(request):
            language, request.refused_language = api_language(request)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()

    def process_view(
        self, request: HttpRequest, view: Callable, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # After every middleware's process_request, so the 400 passes back through them
        # all (CORS headers included), before any view or rate limit.
        refused = getattr(request, "refused_language", None)
        if refused is None:
            return None
        return api_errors.bad_request({LANGUAGE_PARAMETER: [unknown_language_message(refused)]})

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response.headers.setdefault("Content-Language", translation.get_language())
        if is_api(request) or request.path_info.startswith(ADMIN_PATH):
            patch_vary_headers(response, ("Accept-Language",))
        return response


@dataclass(frozen=True)
class PageLanguage:
    code: str
    name: str  # in its own language: "English", "日本語"
    path: str  # the same page in this language, with the query string
    url: str  # the same, absolute (hreflang alternates must be)
    current: bool
    default: bool  # the language of the unprefixed URLs (hreflang="x-default")


def counterpart_path(request: HttpRequest, language: str) -> str | None:
    """The path of this page in `language`; None where the page has no other language (the
    API's documentation, the admin)."""
    current = translation.get_language_from_path(request.path_info)
    if request.resolver_match is not None:
        # Reversed in `language` (with the script prefix), or the path as given where the
        # route is the same in every language.
        translated = translate_url(request.path_info, language)
        if translated != request.path_info:
            return translated
        if language == (current or settings.LANGUAGE_CODE):
            return escape_uri_path(request.path)
        return None
    # No view answered (a 404 page, a refused request): the same address under the other
    # prefix, percent-encoded as an address is (whatever characters the request held).
    bare = request.path_info
    if current:
        bare = bare[len(current) + 1 :] or "/"
    prefix = "" if language == settings.LANGUAGE_CODE else f"{language}/"
    return escape_uri_path(f"{get_script_prefix()}{prefix}{bare.lstrip('/')}")


def languages_of(request: HttpRequest) -> list[PageLanguage]:
    """This page in every language (the current one included), or [] if it has one only."""
    active = translation.get_language()
    query = response_cache.normalised_query(request)
    found = []
    for code, name in settings.LANGUAGES:
        path = counterpart_path(request, code)
        if path is None:
            return []
        if query:
            path = f"{path}?{query}"
        url = links.absolute_url(request, path)
        found.append(
            PageLanguage(code, name, path, url, code == active, code == settings.LANGUAGE_CODE)
        )
    return found


def page_languages(request: HttpRequest) -> dict[str, SimpleLazyObject]:
    """Context processor: `page_languages`, computed once, and only for a template that
    uses it (the admin's and the API's pages do not)."""
    return {"page_languages": SimpleLazyObject(lambda: languages_of(request))}
