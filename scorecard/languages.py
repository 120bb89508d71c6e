"""Which language a request is answered in, and where the same page is in the others.

A page's language is the one its path names: English at the site's own URLs (they are cited,
so they never move), every other language of settings.LANGUAGES under its prefix (`/ja/…`,
`i18n_patterns` in scorecard/urls.py). Nothing else decides it: not Accept-Language, not a
cookie, so one URL is one page in one language, for readers and caches alike. The API and
the health endpoints are outside the prefixed patterns and answer in English.

The editors' admin (/admin/…) is the exception: its pages are private, never cached for
anyone else, so it follows the editor's browser (`editor_language`: Accept-Language among
settings.LANGUAGES, English by default) and says so (`Content-Language`,
`Vary: Accept-Language`).

`page_languages` gives every page its counterparts in each language (the switch in the header,
the `hreflang` alternates), with the query string kept, so a filtered scorecard switches to
the same filtered scorecard.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.urls import get_script_prefix, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.encoding import escape_uri_path
from django.utils.functional import SimpleLazyObject

from scorecard import links, response_cache

# Where the editors' admin is mounted (scorecard/urls.py), as `request.path_info` shows it.
ADMIN_PATH = "/admin/"


def editor_language(request: HttpRequest) -> str | None:
    """The language of an admin page: the editor's browser's (Accept-Language) among
    settings.LANGUAGES, English by default; None for every other page (the path decides)."""
    if not request.path_info.startswith(ADMIN_PATH):
        return None
    return translation.get_language_from_request(request, check_path=False)


class PathLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, without its `Vary: Accept-Language`: with the default
    language unprefixed (`prefix_default_language=False`), Django takes the language from the
    path alone, so the header would only split shared caches for nothing. The admin's pages
    take the editor's language instead (`editor_language`), and vary by the header."""

    def process_request(self, request: HttpRequest) -> None:
        language = editor_language(request)
        if language is None:
            super().process_request(request)
            return
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response.headers.setdefault("Content-Language", translation.get_language())
        if request.path_info.startswith(ADMIN_PATH):
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
