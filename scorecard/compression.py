"""Compressed responses (gzip), only where compression cannot leak a secret.

BREACH-style attacks guess a secret in a compressed response from its length, which needs
the secret and text the attacker chose in the same body. So no response is compressed
that may carry a secret: the admin, any response that rendered a CSRF token or sets a
cookie. The public pages, feeds, exports and API reads that remain hold only published
data, the same for every reader, and no secret at all, so there is nothing to guess.

A response whose strong ETag a client sends back in If-Match (a resource that accepts
PUT, PATCH or DELETE) also goes out as it is: compressing weakens its ETag (W/), and
If-Match compares strongly.
"""

from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers

_WRITES = {"PUT", "PATCH", "DELETE"}


def may_carry_a_secret(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        request.path.startswith("/admin/")
        or bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
        or bool(request.META.get("CSRF_COOKIE_USED"))
        or bool(response.cookies)
        or response.has_header("Set-Cookie")
    )


def needs_a_strong_etag(response: HttpResponse) -> bool:
    etag = response.get("ETag", "")
    allowed = {method.strip().upper() for method in response.get("Allow", "").split(",")}
    return bool(etag) and not etag.startswith("W/") and bool(allowed & _WRITES)


class CompressionMiddleware(GZipMiddleware):
    """Django's gzip middleware, skipping responses where compression would not be safe."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if may_carry_a_secret(request, response) or needs_a_strong_etag(response):
            return response
        # Whether or not this one is compressed (a 304, a short body), its 200 may be: the
        # same Vary on all of them, as RFC 9110 asks of a 304.
        patch_vary_headers(response, ("Accept-Encoding",))
        return super().process_response(request, response)
