"""Market inputs on the default and the congested SimBench grids (the default world, built once)."""

from __future__ import annotations

import pytest

from gridcore.market.inputs import MarketInputs, market_inputs
from gridcore.network.grid import load_grid


@pytest.fixture(scope="session")
def summer_week() -> MarketInputs:
    return market_inputs(load_grid("1-MV-semiurb--0-sw"), "2016-07-04T00:00Z", 168)


@pytest.fixture(scope="session")
def two_days() -> MarketInputs:
    return market_inputs(load_grid("1-MV-semiurb--0-sw"), "2016-01-11T00:00Z", 48)


@pytest.fixture(scope="session")
def congested_grid() -> MarketInputs:
    return market_inputs(load_grid("1-MV-semiurb--2-sw"), "2016-07-04T00:00Z", 48)
