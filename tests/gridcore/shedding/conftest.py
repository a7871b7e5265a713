from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.shedding.blocks import Blocks


def make_blocks(p_mw, order, voll=None, never=None, max_out=None, dim_floor=None, critical=None) -> Blocks:
    """Blocks of one load each (share 1): ``p_mw`` at load power 1:1."""
    n = len(p_mw)
    customers = np.zeros((n, 4), dtype=np.int64)
    crit = np.zeros(n, bool) if critical is None else np.asarray(critical, bool)
    customers[~crit, 0] = 10
    customers[crit, 3] = 1
    return Blocks(
        block_id=np.array([f"b{i}" for i in range(n)]),
        kind=np.array(["load_point"] * n),
        load=np.arange(n),
        share=np.ones(n),
        bus=np.arange(n),
        order=np.asarray(order, dtype=np.int64),
        voll_eur_per_mwh=np.full(n, 10000.0) if voll is None else np.asarray(voll, float),
        customers=customers,
        never_shed=np.zeros(n, bool) if never is None else np.asarray(never, bool),
        max_outage_h=np.full(n, np.inf) if max_out is None else np.asarray(max_out, float),
        dim_floor_mw=np.full(n, np.nan) if dim_floor is None else np.asarray(dim_floor, float),
    )


@pytest.fixture
def blocks_of():
    """:func:`make_blocks` as a fixture."""
    return make_blocks


@pytest.fixture
def toy_grid() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three loads (one a heat pump) and a fleet of 8 meters."""
    load = pd.DataFrame(
        {"bus": [1, 2, 3], "profile": ["H0-A", "G1-A", "Air_Parallel_1"], "p_mw": [0.1, 0.2, 0.01]},
        index=pd.Index([10, 11, 12]),
    )
    fleet = pd.DataFrame(
        {
            "load": [10, 10, 10, 11, 11, 11, 11, 12],
            "customer_class": [
                "residential",
                "residential",
                "critical",
                "commercial",
                "commercial",
                "industrial",
                "critical",
                "residential",
            ],
            "critical_kind": ["", "", "hospital", "", "", "", "water", ""],
            "share": [0.4, 0.4, 0.2, 0.2, 0.2, 0.4, 0.2, 1.0],
        },
        index=pd.Index([f"M{i:06d}" for i in range(1, 9)], name="meter_id"),
    )
    return load, fleet
