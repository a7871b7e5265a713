"""Shared fixtures: the default grid (built once into the cache), small fleets, temporary stores."""

from __future__ import annotations

import sys

sys.dont_write_bytecode = False  # as the gridflow command does (flows/__init__.py): compile each module once

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from gridcore.system import System, default_system  # noqa: E402


@pytest.fixture(scope="session")
def system() -> System:
    """The default grid with a 2,000-meter fleet (fast, same code path as 100,000)."""
    return default_system(2_000)


@pytest.fixture
def hour() -> pd.Timestamp:
    return pd.Timestamp("2016-07-01T14:00Z")
