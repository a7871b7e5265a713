"""Shared fixtures: the default grid (built once into the cache), small fleets, temporary stores."""

from __future__ import annotations

import os
import sys

sys.dont_write_bytecode = False  # as the gridflow command does (flows/__init__.py): compile each module once

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from gridcore.system import System, default_system  # noqa: E402


@pytest.fixture(autouse=True)
def _environment_restored():
    """Undo what a test left in ``os.environ``.

    A command run in-process (typer's CliRunner) sets its defaults there (``PREFECT_LOGGING_LEVEL=WARNING``
    under ``--json``, Dask's log levels, ...), where they would outlive it: every later test, and every
    command a test starts as a process, would inherit them.
    """
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def system() -> System:
    """The default grid with a 2,000-meter fleet (fast, same code path as 100,000)."""
    return default_system(2_000)


@pytest.fixture
def hour() -> pd.Timestamp:
    return pd.Timestamp("2016-07-01T14:00Z")


@pytest.fixture(scope="session")
def prefect_harness():
    """Prefect's test harness, once per session; commands see its API through PREFECT_API_URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        os.environ["PREFECT_API_URL"] = PREFECT_API_URL.value()
        yield
        os.environ.pop("PREFECT_API_URL", None)
