"""Every flow test runs against the session's Prefect test harness (see tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _harness(prefect_harness):
    yield
