from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from scorecard import response_cache
from scorecard.api import throttling
from tests import factories
from tracker import services, translations
from tracker.models import Report


@pytest.fixture(autouse=True, scope="session")
def _collected_static_files():
    """Static files collected under their hashed names, as production serves them.

    Collected again only when one of the site's own static files is newer than the
    manifest (the packages' files change only with a new version, i.e. a new checkout).
    """
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    sources = Path(settings.BASE_DIR, "scorecard", "static").rglob("*")
    newest = max(path.stat().st_mtime for path in sources if path.is_file())
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True, scope="session")
def _compiled_catalogues():
    """The translations compiled (as `make test` does first), for a bare `pytest` too:
    each catalogue of locale/ newer than its .mo, or without one, is compiled again."""
    for catalogue in Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po"):
        compiled = catalogue.with_suffix(".mo")
        if not compiled.exists() or compiled.stat().st_mtime < catalogue.stat().st_mtime:
            call_command(
                "compilemessages",
                locale=[catalogue.parts[-3]],
                ignore_patterns=[".venv", "node_modules"],
                verbosity=0,
            )


@pytest.fixture(autouse=True)
def _forget_kept_responses(request):
    """Each test starts without the responses earlier ones kept (scorecard.response_cache),
    nor the translations (tracker.translations.forget_kept).

    In production the data's state moves with every write; tests also set timestamps by
    hand, and two tests could then share a key for different data. The shared tier is a
    database table: rolled back with a test's transaction, emptied after tests that commit.
    """
    yield
    committed = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    response_cache.clear(shared=committed)
    translations.forget_kept()
    throttling.forget_starts()


@pytest.fixture
def scale(db):
    return factories.make_scale("progress")


@pytest.fixture
def report(scale):
    return factories.make_report("armitage-nye-2000", scale)


@pytest.fixture
def recommendation(report):
    return factories.make_recommendation(report, code="SEC-1")


# People of the editors' workspace, in the groups migration 0003_roles creates.
@pytest.fixture
def editor_user(db):
    return factories.make_user("edna", role="editor")


@pytest.fixture
def publisher_user(db):
    return factories.make_user("paul", role="publisher")


@pytest.fixture
def partner_user(db):
    return factories.make_user("parker", role="partner")


FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO_FILES = (FIXTURES / "armitage-nye-2000.yaml", FIXTURES / "heritage-2004.yaml")


@pytest.fixture
def demo(db):
    """The demo scorecard, imported from fixtures/*.yaml as `make run` does.

    Returns the Armitage-Nye Report (25 recommendations, 2004 grades by Heritage, a 2008
    sample review, two published editions); the Heritage 2004 report is there too.
    """
    services.import_scorecard(files=DEMO_FILES)
    return Report.objects.get(slug="armitage-nye-2000")


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request leaves its language active in the thread (Django's way: the next request
    activates its own); the tests after these ones call the services outside any request."""
    yield
    translation.deactivate()
