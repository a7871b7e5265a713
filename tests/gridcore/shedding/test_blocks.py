from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.shedding.blocks import build_blocks, default_meters
from gridcore.shedding.priorities import DEFAULT_PRIORITIES, load_priorities, parse_priorities


def test_blocks_group_customers_by_load_and_class(toy_grid):
    load, fleet = toy_grid
    b = build_blocks(load, fleet, load_priorities())
    ids = set(b.block_id)
    assert ids == {
        "load:10:residential",
        "customer:M000003",
        "load:11:commercial",
        "customer:M000006",
        "customer:M000007",
        "device:12",
    }
    assert b.customers.sum() == len(fleet)
    # each load's blocks draw its whole power
    np.testing.assert_allclose(np.bincount(b.load, weights=b.share), [1.0, 1.0, 1.0])
    i = {k: j for j, k in enumerate(b.block_id)}
    assert b.kind[i["device:12"]] == "device"
    assert b.dim_floor_mw[i["device:12"]] == pytest.approx(0.0042)
    assert np.isnan(b.dim_floor_mw[i["load:10:residential"]])
    # hospital: never shed (default file), shed last
    assert b.never_shed[i["customer:M000003"]]
    assert b.order[i["customer:M000003"]] > b.order[i["customer:M000007"]] > b.order[i["customer:M000006"]]
    assert b.critical[i["customer:M000007"]] == 1
    p = b.p_mw(load["p_mw"].to_numpy())
    assert p[i["load:11:commercial"]] == pytest.approx(0.08)
    # a 10 kW heat pump dims by 5.8 kW
    assert b.dimmable_mw(p)[i["device:12"]] == pytest.approx(0.0058)
    assert b.dimmable_mw(p)[i["load:10:residential"]] == 0.0
    sub = b.subset(b.kind == "customer")
    assert len(sub) == 3 and sub.n_customers.sum() == 3


def test_overrides_and_never_shed_items(toy_grid):
    load, fleet = toy_grid
    data = tomllib.loads(DEFAULT_PRIORITIES.read_text())
    data["never_shed"]["items"] = ["load:11", "M000008"]
    data["overrides"] = {"M000001": {"shed_order": 3, "max_outage_h": 0.5}, "M999999": {"never_shed": True}}
    b = build_blocks(load, fleet, parse_priorities(data))
    i = {k: j for j, k in enumerate(b.block_id)}
    assert "customer:M000001" in i  # an override makes the customer a block of its own
    assert b.order[i["customer:M000001"]] == 30
    assert b.max_outage_h[i["customer:M000001"]] == 0.5
    assert b.never_shed[i["load:11:commercial"]] and b.never_shed[i["customer:M000006"]]
    assert b.never_shed[i["device:12"]]
    assert not b.never_shed[i["customer:M000003"]]  # hospitals no longer listed


def test_meter_on_unknown_load_is_named(toy_grid):
    load, fleet = toy_grid
    fleet = fleet.copy()
    fleet.loc["M000002", "load"] = 99
    with pytest.raises(InputError, match="M000002"):
        build_blocks(load, fleet, load_priorities())


def test_default_meters():
    bus = pd.DataFrame({"vn_kv": [20.0, 0.4]}, index=[0, 1])
    assert default_meters(pd.DataFrame({"bus": [1, 1, 1]}), bus) == 3
    assert default_meters(pd.DataFrame({"bus": [0, 1]}), bus) == 100_000
