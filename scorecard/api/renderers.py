"""JSON out through orjson, with times in UTC written with a `Z`.

`Z` rather than `+00:00` matters to partners: a `+` pasted unencoded into a query string
(`?updated_since=...+00:00`) arrives as a space.
"""

import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer


class JSONRenderer(ORJSONRenderer):
    options = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
