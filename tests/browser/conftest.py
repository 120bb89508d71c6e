"""Browser tests: Playwright drives the system's Chromium against a live server.

No browser is downloaded: the tests use Debian's `chromium` (`make browser` installs it), or
the one CHROMIUM_PATH names. Without it they fail, saying how to get it; they never skip.
Screenshots of every page visited are saved under test-artifacts/screenshots/<database>/.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, connections
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}. Install it with `make browser` "
            "(Debian's chromium package, via apt-get) or point CHROMIUM_PATH at one."
        )
    # Playwright's sync API keeps an asyncio event loop running in the main thread while the
    # browser is open, and Django refuses database calls from a thread with a running loop
    # (SynchronousOnlyOperation). The tests only touch the database between browser steps,
    # from this same thread, never from inside the loop, so allowing it is safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def _restore_migrated_rows(django_db_blocker) -> Iterator[None]:
    """After the test has emptied the database, put back the rows migrations create.

    Set up before `transactional_db`, so torn down after its flush. Later tests rely on
    those rows (the role groups), as they would on a freshly migrated database.
    """
    yield
    with django_db_blocker.unblock():
        for database in connections.all():
            contents = getattr(database, "_test_serialized_contents", None)
            if contents:
                database.creation.deserialize_db_from_string(contents)


@pytest.fixture
def site(
    _restore_migrated_rows, transactional_db, django_db_serialized_rollback, live_server, demo
) -> str:
    """The live server's address, with the demo scorecard loaded.

    The live server reads committed data, so these tests commit and empty the database
    afterwards (serialized rollback keeps a copy of the migrated rows to restore).
    """
    return live_server.url


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot as a test artifact, named after what it shows."""
    folder = ARTIFACTS / connection.vendor
    folder.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
