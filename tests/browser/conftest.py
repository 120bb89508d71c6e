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
from pytest_django.live_server_helper import LiveServer

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
    # The running loop also gives this thread fresh database connection objects (Django's
    # connections are context-local); carry over the migrated rows the test runner
    # serialized on the old ones, so serialized rollback keeps working.
    serialized = {
        database.alias: database._test_serialized_contents
        for database in connections.all()
        if hasattr(database, "_test_serialized_contents")
    }
    try:
        with sync_playwright() as playwright:
            for alias, contents in serialized.items():
                connections[alias]._test_serialized_contents = contents
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
            # Close the connections opened in the loop's context, or the test database
            # could not be dropped at the end of the session.
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def live_server(request) -> Iterator[LiveServer]:
    """pytest-django's live server, serving static files as production does.

    Its own static handler looks files up by their names in the apps, but pages name them
    by their hashed names (the manifest storage): whitenoise, in the site's middleware,
    serves those from the collected files, so the server is left to answer for itself.
    """
    addr = request.config.getvalue("liveserver") or "localhost"
    server = LiveServer(addr, start=False)
    server.thread.static_handler = lambda application: application
    server.start()
    yield server
    server.stop()


_RESTORE_AFTER_TEARDOWN = pytest.StashKey()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a browser test has emptied the database, put back the rows migrations create.

    Later tests rely on those rows (the role groups), as on a freshly migrated database.
    This runs after every fixture's teardown, so after the flush, which pytest-django's
    live-server helper otherwise schedules last.
    """
    result = yield
    restore = item.stash.get(_RESTORE_AFTER_TEARDOWN, None)
    # After the last test the test database is already gone: nothing to restore.
    if restore is not None and nextitem is not None:
        restore()
    return result


@pytest.fixture
def site(
    request, transactional_db, django_db_serialized_rollback, django_db_blocker, live_server, demo
) -> str:
    """The live server's address, with the demo scorecard loaded.

    The live server reads committed data, so these tests commit, and the database is
    emptied afterwards; serialized rollback keeps the migrated rows to restore then.
    """
    saved = {
        database.alias: database._test_serialized_contents
        for database in connections.all()
        if getattr(database, "_test_serialized_contents", None)
    }

    def restore() -> None:
        with django_db_blocker.unblock():
            for alias, contents in saved.items():
                connections[alias].creation.deserialize_db_from_string(contents)

    request.node.stash[_RESTORE_AFTER_TEARDOWN] = restore
    return live_server.url


@pytest.fixture
def page(browser) -> Iterator:
    """A browser tab; the test fails if a page logs an error (a blocked style, a 404...)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], "The browser reported errors (Content-Security-Policy, missing files?)"


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
