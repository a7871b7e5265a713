"""Where the grid is short: locational prices, response and the remedies, measured by AC power flow.

Real SimBench grids: the export side on 1-MV-semiurb--2-sw (PV lifts the end of feeder "MV2.101 Line 1"
above 1.05 p.u. at midday in July) and the import side on 1-LV-rural2--2-sw at SimBench's hL study case
(the MV/LV transformer above its rating).
"""

from __future__ import annotations

import numpy as np
import pytest

from gridcore.errors import InputError
from gridcore.market.inputs import market_inputs
from gridcore.market.relief import relieve, study_case_inputs
from gridcore.market.whatif import signal_for
from gridcore.network.grid import load_grid, pandapower_net
from gridcore.network.study_case import apply_study_case

FEEDER = "MV2.101 Line 1"


@pytest.fixture(scope="module")
def export_hours():
    inputs = market_inputs(load_grid("1-MV-semiurb--2-sw"), "2016-07-25T11:00Z", 2)
    return inputs, relieve(inputs, signal_for(inputs, "flat"), time_budget_s=2.0)


def test_export_congestion_gets_a_falling_price_on_its_own_feeder(export_hours) -> None:
    inputs, r = export_hours
    over = [c for c in r.constraints if c["kind"] == "overvoltage"]
    assert over and {c["feeder"] for c in over} == {FEEDER}
    assert all(c["direction"] == "export" and c["worst_before"] > 1.05 for c in over)
    j = r.feeders.index(FEEDER)
    own = r.feeder_component_per_kwh[:, j]
    others = np.delete(r.feeder_component_per_kwh, j, axis=1)
    assert own.max() < -0.5 and (own < others.min(axis=1)).all()  # its own, lowest price
    # flexible load moves into the export hours on that feeder
    on = inputs.load_feeder == FEEDER
    assert (r.load_after_mw[:, on].sum(axis=1) > r.load_before_mw[:, on].sum(axis=1)).all()


def test_response_clears_part_of_the_overvoltage_and_curtailment_the_rest(export_hours) -> None:
    _, r = export_hours
    worst = max((c for c in r.constraints if c["kind"] == "overvoltage"), key=lambda c: c["excess_before"])
    # the AC power flow after the response: lower, not yet within the band
    assert worst["worst_after_response"] < worst["worst_before"]
    assert 0.0 < worst["clears_by_response_pct"] < 50.0
    d = r.to_dict()
    assert d["order"] == ["price", "batteries", "curtailment", "shedding"]
    assert d["remedies"]["batteries"]["charged_mwh"] > 0 and d["remedies"]["batteries"]["discharged_mwh"] == 0
    assert d["remedies"]["curtailment"]["mwh"] > 0 and d["remedies"]["shedding"]["mwh"] == 0
    assert all(c["residual_after_remedies"] is None for c in r.constraints)
    f = d["feeders"][FEEDER]
    assert f["hours"] == 2 and f["clears_by_response_pct"] > 0
    assert set(f["residual_after_response"]["excess"]) == set(f["constraints"])
    assert f["remedies"]["batteries"] > 0


def test_import_overload_at_the_hl_study_case_clears_by_response_before_shedding() -> None:
    grid = load_grid("1-LV-rural2--2-sw")
    net = apply_study_case(pandapower_net(grid.code), "hL")
    inputs = study_case_inputs(market_inputs(grid, "2016-01-15T17:00Z", 1), net)
    r = relieve(inputs, signal_for(inputs, "flat"), net=net, order=("price", "batteries"))
    trafo = next(c for c in r.constraints if c["element"] == "trafo:0")
    assert trafo["direction"] == "import" and trafo["worst_before"] > 120.0
    # the peak price takes off about half of the excess; the batteries discharge the rest
    assert 30.0 < trafo["clears_by_response_pct"] < 70.0
    assert trafo["residual_after_remedies"] is None
    assert r.component_per_kwh.min() >= 0 and r.feeder_component_per_kwh.max() > 1.0
    d = r.to_dict()
    assert d["remedies"]["batteries"]["discharged_mwh"] > 0 and "curtailment" not in d["remedies"]
    assert (r.load_after_mw.sum() < r.load_before_mw.sum()) and inputs.source["load"] == "study case"


def test_the_price_comes_first(export_hours) -> None:
    inputs, _ = export_hours
    with pytest.raises(InputError, match="price first"):
        relieve(inputs, signal_for(inputs, "flat"), order=("batteries", "price"))


def test_stages_figure_and_the_most_congested_feeder(export_hours, tmp_path) -> None:
    from gridcore.market.plot import plot_relief

    _, r = export_hours
    feeder, quantity, limit = r.most_congested()
    assert (feeder, quantity, limit) == (FEEDER, "vmax_pu", 1.05)
    st = r.stages
    assert (st["before_vmax_pu"] > 1.05).all() and (st["remedies_vmax_pu"] <= 1.05 + 1e-3).all()
    assert (st["response_vmax_pu"] <= st["before_vmax_pu"]).all()
    png = plot_relief(r, feeder, tmp_path / "r.png", quantity, limit, "t")
    with open(png, "rb") as fh:
        assert fh.read(4) == b"\x89PNG"


def test_batteries_from_a_given_fleet_or_the_networks_own(export_hours) -> None:
    import pandas as pd

    from gridcore.market.relief import battery_fleet

    inputs, _ = export_hours
    given = pd.DataFrame({"bus": [25], "power_mw": [1.0], "energy_mwh": [2.0], "x": [0]})
    assert list(battery_fleet(inputs, None, given).columns) == ["bus", "power_mw", "energy_mwh"]
    lv = market_inputs(load_grid("1-LV-rural2--2-sw"), "2016-01-15T17:00Z", 1)
    net = pandapower_net(lv.grid.code)
    own = battery_fleet(lv, net)
    assert len(own) == len(net.storage) and (own["power_mw"] > 0).all()
    assert battery_fleet(lv, None).empty  # no place for the default fleet, no network given


def test_no_constraint_no_congestion_component(export_hours) -> None:
    inputs, _ = export_hours
    night = market_inputs(inputs.grid, "2016-07-25T01:00Z", 1)
    r = relieve(night, signal_for(night, "flat"))
    assert r.constraints == [] and r.most_congested() is None
    assert np.all(r.component_per_kwh == 0.0)
    d = r.to_dict()
    assert all(f["hours"] == 0 and f["clears_by_response_pct"] is None for f in d["feeders"].values())
