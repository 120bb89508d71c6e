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
