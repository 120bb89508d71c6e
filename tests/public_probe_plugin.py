import pytest
from django.db import connection, connections
@pytest.fixture(scope="session", autouse=True)
def _probe_session(request, django_db_setup):
    print("\nSESSION", len(getattr(connection, "_test_serialized_contents", "") or ""), id(connections["default"]))
    ls = request.getfixturevalue("live_server")
    print("\nAFTER LIVE", len(getattr(connections["default"], "_test_serialized_contents", "") or ""), id(connections["default"]))
    b = request.getfixturevalue("browser")
    print("\nAFTER BROWSER", len(getattr(connections["default"], "_test_serialized_contents", "") or ""), id(connections["default"]))
