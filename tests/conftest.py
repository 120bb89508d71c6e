import pytest

from tests import factories


@pytest.fixture
def scale(db):
    return factories.make_scale("progress")


@pytest.fixture
def report(scale):
    return factories.make_report("armitage-nye-2000", scale)


@pytest.fixture
def recommendation(report):
    return factories.make_recommendation(report, code="SEC-1")
