"""DLMP: the linearised power flow against a full AC power flow, and congestion cleared by response."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gridcore.market.locational import balance_congestion, check_against_ac, linearise, locational_prices
from gridcore.market.whatif import signal_for
from gridcore.network.grid import pandapower_net
from gridcore.storage.fleet import default_fleet

#: Stated tolerances of the linearisation against pandapower's Newton-Raphson (params of the check):
#: flow change of the branches feeding a load within 5 % of the AC one (the lossless flows leave out the
#: change of the losses themselves, up to the loss factor: 6 % here); marginal loss factor within 20 %
#: relative or 0.002 MW/MW absolute (the linearisation takes nominal voltage; the AC voltages sit ~1.02-1.05
#: p.u., which lowers losses by their square).
FLOW_RTOL = 0.05
MLF_RTOL, MLF_ATOL = 0.20, 0.002


@pytest.mark.parametrize("hour", [12, 36])
def test_linearised_flows_and_loss_factors_match_ac(congested_grid, hour: int) -> None:
    net = pandapower_net(congested_grid.grid.code)
    table = check_against_ac(net, congested_grid, hour)
    assert len(table) == 6
    np.testing.assert_allclose(table.flow_change_linear_mw, table.flow_change_ac_mw, rtol=FLOW_RTOL)
    np.testing.assert_allclose(table.mlf_linear, table.mlf_ac, rtol=MLF_RTOL, atol=MLF_ATOL)
    assert (np.sign(table.mlf_linear) == np.sign(table.mlf_ac)).all()


def test_parallel_substation_transformers_form_one_branch(congested_grid) -> None:
    lin = linearise(pandapower_net(congested_grid.grid.code))
    trafo = [i for i, b in enumerate(lin.branches) if b.startswith("trafo")]
    assert len(trafo) == 1 and lin.limit_mva[trafo[0]] == pytest.approx(80.0)
    assert lin.ptdf[trafo[0]].sum() > 100  # the substation feeds the whole MV grid


def _overloaded(inputs, scale: float):
    """The inputs without generation and with loads scaled, so load-direction overloads appear."""
    return replace(inputs, load_mw=inputs.load_mw * scale, sgen_mw=inputs.sgen_mw * 0.0)


def test_a_congested_feeder_sees_its_own_price_and_clears_by_response(two_days) -> None:
    inputs = _overloaded(two_days, 1.0)
    sig = signal_for(inputs, "flat")
    free = locational_prices(inputs, sig, loading_limit_pct=100.0)
    assert free.congestion == []
    # a limit at 95 % of the heaviest head-line loading: only that feeder is congested, in its peak hours
    lin = linearise(pandapower_net(inputs.grid.code))
    head = [i for i, b in enumerate(lin.branches) if b.startswith("line")]
    feeds = lin.ptdf[head] > 0
    cols = {b: i for i, b in enumerate(lin.buses)}
    load_cols = np.array([cols[b] for b in inputs.grid.load["bus"]])
    flows = inputs.load_mw @ feeds[:, load_cols].T.astype(float)
    pct = flows.max(axis=0) / lin.limit_mva[head] * 100
    limit = 0.95 * pct.max()
    loc = locational_prices(inputs, sig, loading_limit_pct=limit)
    assert loc.congestion, "no congestion at the tightened limit"
    worst = max(loc.congestion, key=lambda c: c["need_mw_max"])
    assert worst["direction"] == "load" and worst["cleared_by_response"]
    assert worst["loading_after_pct"] <= limit + 1e-3 < worst["loading_before_pct"]
    j = loc.feeders.index(worst["feeder"])
    others = [k for k in range(len(loc.feeders)) if k != j]
    assert loc.feeder_price_per_kwh[:, j].max() > loc.feeder_price_per_kwh[:, others].max() + 0.01
    bal = balance_congestion(inputs, loc, default_fleet(inputs.grid))[worst["branch"]]
    assert bal["covered_mwh"]["shedding"] == 0.0 and bal["residual_mwh"] == pytest.approx(0.0, abs=1e-9)
    assert bal["covered_mwh"]["price"] == pytest.approx(bal["need_mwh"])


def test_what_response_cannot_clear_goes_to_batteries_then_shedding(two_days) -> None:
    inputs = _overloaded(two_days, 1.0)
    loc = locational_prices(inputs, signal_for(inputs, "flat"), loading_limit_pct=8.0)
    load = [c for c in loc.congestion if c["direction"] == "load" and not c["cleared_by_response"]]
    assert load
    bal = balance_congestion(inputs, loc, default_fleet(inputs.grid))[load[0]["branch"]]
    assert bal["order"] == ["price", "batteries", "shedding"]
    covered = bal["covered_mwh"]
    assert covered["price"] > 0 and covered["shedding"] > 0
    assert covered["price"] + covered["batteries"] + covered["shedding"] + bal[
        "residual_mwh"
    ] == pytest.approx(bal["need_mwh"])
    no_bat = balance_congestion(inputs, loc, None, order=("price", "shedding", "batteries"))[
        load[0]["branch"]
    ]
    assert no_bat["covered_mwh"]["batteries"] == 0.0


def test_generation_overloads_get_a_lower_price_and_no_shedding(congested_grid) -> None:
    loc = locational_prices(congested_grid, signal_for(congested_grid, "flat"), loading_limit_pct=90.0)
    gen = [c for c in loc.congestion if c["direction"] == "generation"]
    assert gen
    bal = balance_congestion(congested_grid, loc)[gen[0]["branch"]]
    assert bal["covered_mwh"]["shedding"] == 0.0
    assert "curtailment" in bal["details"]["shedding"]["note"]
    d = loc.to_dict()
    assert d["mlf_min"] < 0 < d["mlf_max"] or d["mlf_min"] < 0


def test_other_response_models_price_the_same_way(two_days) -> None:
    sig = signal_for(two_days, "tou")
    a = locational_prices(two_days, sig, model="elasticity")
    assert a.load_after_mw.shape == two_days.load_mw.shape
    assert np.isclose(a.load_after_mw.sum(), two_days.load_mw.sum(), rtol=1e-6)
