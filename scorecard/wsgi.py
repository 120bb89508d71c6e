import gc
import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scorecard.settings")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as error:
    # One line the operator can act on (a missing or malformed setting), not a traceback.
    print(f"scorecard: {error}", file=sys.stderr, flush=True)
    sys.exit(3)

# What loading made (modules, settings, URL patterns: a hundred thousand objects) lives as
# long as the process. Frozen, it is left out of the collector's full passes, which would
# otherwise walk all of it in the middle of a request: 70 to 90 ms on a 2-core machine,
# every few requests (bench/README.md, "Garbage collection").
gc.freeze()
