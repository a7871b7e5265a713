"""Remedy order, horizon clearing with a supply shortfall, metrics, store, plots and inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridcore.errors import InputError
from gridcore.market.balance import balance, battery_remedy, price_remedy, shedding_remedy
from gridcore.market.books import default_books, renewable_cost
from gridcore.market.horizon import clear_horizon
from gridcore.market.inputs import hours
from gridcore.market.metrics import effectiveness, supply_cost_eur
from gridcore.market.plot import plot_frontier, plot_whatif
from gridcore.market.store import read_clearing, read_prices, write_clearing, write_prices
from gridcore.market.whatif import whatif
from gridcore.storage.fleet import default_fleet

TIMES = pd.date_range("2016-07-01T16:00Z", periods=4, freq="h")


def test_remedies_cover_in_the_order_given() -> None:
    need = np.array([0.0, 2.0, 5.0, 1.0])
    remedies = {"price": price_remedy(np.array([1.0, 1.0, 1.0, 1.0])), "batteries": battery_remedy(2.0, 3.0)}
    r = balance(TIMES, need, remedies, ("price", "batteries"))
    np.testing.assert_allclose(r.covered_mw["price"], [0, 1, 1, 1])
    np.testing.assert_allclose(r.covered_mw["batteries"], [0, 1, 2, 0])  # 3 MWh: 1 then 2, then empty
    np.testing.assert_allclose(r.residual_mw, [0, 0, 2, 0])
    d = r.to_dict()
    assert d["order"] == ["price", "batteries"] and d["hours_with_residual"] == 1
    assert d["per_hour"][1] == {
        "time": "2016-07-01T18:00Z",
        "need_mw": 5.0,
        "price_mw": 1.0,
        "batteries_mw": 2.0,
        "residual_mw": 2.0,
    }
    flipped = balance(TIMES, need, remedies, ("batteries", "price"))
    assert flipped.covered_mw["batteries"].sum() == pytest.approx(3.0)
    with pytest.raises(InputError, match="no remedy 'shedding'"):
        balance(TIMES, need, remedies, ("price", "shedding"))
    with pytest.raises(InputError, match="twice"):
        balance(TIMES, need, remedies, ("price", "price"))


def test_shedding_remedy_uses_the_shedding_planner(two_days) -> None:
    cover = shedding_remedy(two_days.grid, two_days.load_mw, two_days.times)
    need = np.zeros(48)
    need[18] = 0.5
    got, info = cover(need)
    assert got[18] == pytest.approx(0.5, rel=0.25) and got.sum() == got[18]
    assert info["hours"] == 1 and info["customers_affected"]["critical"] == 0
    assert cover(np.zeros(48))[1] == {"hours": 0}


def test_horizon_clears_and_balances_a_supply_shortfall(two_days) -> None:
    fleet = default_fleet(two_days.grid)
    short = clear_horizon(two_days, import_limit_mw=1.0, batteries=fleet)
    f = short.frame
    assert (f.imbalance_mw > 0).any()
    hour = int(np.argmax(f.imbalance_mw.to_numpy()))
    assert f.price_per_mwh.iloc[hour] >= 300.0  # short of supply: the price climbs to the flexible bids
    b = short.balance.to_dict()
    assert b["order"] == ["price", "batteries", "shedding"]
    assert b["covered_mwh"]["price"] > 0 and b["covered_mwh"]["batteries"] > 0
    assert sum(b["covered_mwh"].values()) + b["residual_mwh"] == pytest.approx(b["need_mwh"])
    plenty = clear_horizon(two_days).to_dict()
    assert plenty["imbalance_mwh"] == 0.0 and max(plenty["residual_imbalance_mw"]) == 0.0
    # surplus hours clear at the export bid (20), the others at an import tranche (40, 55)
    assert plenty["price_min_per_mwh"] >= 20.0 and plenty["price_max_per_mwh"] <= 55.0


def test_default_books_hold_every_party(two_days) -> None:
    offers, bids = default_books(two_days, 0, batteries=default_fleet(two_days.grid))
    kinds = {i.split(":")[0] for i in offers.id}
    assert kinds == {"sgen", "battery", "import"}
    assert bids.quantity_mw.sum() == pytest.approx(two_days.load_mw[0].sum() + two_days.capacity_mw, rel=1e-9)
    assert list(renewable_cost(pd.Series(["PV_MV", "Biomass_MV", "other"]))) == [0.0, 60.0, 0.0]


def test_metrics_of_a_cpp_week(summer_week) -> None:
    r = whatif(summer_week, "cpp")
    m = r.metrics
    assert 13.0 <= m["peak_reduction_pct"] <= 20.0
    assert m["rebound_peak_mw"] > 0 and m["rebound_mwh"] > 0
    assert m["shifted_mwh"] > 0 and m["curtailed_mwh"] > m["shifted_mwh"] * 0.5
    assert set(m["bill_change_pct"]) == {"residential", "commercial", "industrial", "critical"}
    assert m["peak_to_average"] > 1
    assert supply_cost_eur(np.array([10.0, -5.0]), 10.0) == pytest.approx(
        2 * 40 + 2 * 55 + 2 * 75 + 2 * 110 + 2 * 180
    )
    assert supply_cost_eur(np.array([12.0]), 10.0) == pytest.approx(2.4 * (40 + 55 + 75 + 110 + 180))
    flat = effectiveness(
        whatif(summer_week, "flat").response, whatif(summer_week, "flat").signal, np.zeros(168)
    )
    assert flat["peak_reduction_pct"] == 0.0 and flat["revenue_change_pct"] == pytest.approx(0.0)


def test_store_and_plots(tmp_path, two_days) -> None:
    r = whatif(two_days, "tou")
    path = write_prices(
        tmp_path,
        two_days.times,
        r.signal.price_per_kwh,
        r.signal.peak_hours,
        r.response.system_before_mw,
        r.response.system_after_mw,
        {"scheme": "tou", "n": 1},
    )
    ds = read_prices(tmp_path)
    assert path.endswith("market/prices/20160111T0000Z.zarr") and ds.attrs["scheme"] == "tou"
    np.testing.assert_allclose(ds.price_per_kwh.values, r.signal.price_per_kwh)
    feeders = list(two_days.feeder_limit_mw.index)
    write_prices(
        tmp_path,
        two_days.times,
        np.ones((48, len(feeders))) * 0.3,
        r.signal.peak_hours,
        r.response.system_before_mw,
        r.response.system_after_mw,
        {},
        feeders=feeders,
    )
    assert read_prices(tmp_path).price_per_kwh.dims == ("time", "feeder")
    summary = clear_horizon(two_days)
    write_clearing(tmp_path, summary)
    assert read_clearing(tmp_path).attrs["remedy_order"] == "price,batteries,shedding"
    png = plot_whatif(
        two_days.times,
        r.response.system_before_mw,
        r.response.system_after_mw,
        r.signal.price_per_kwh,
        tmp_path / "p" / "w.png",
        "t",
        r.signal.peak_hours,
    )
    assert Path(png).read_bytes()[:4] == b"\x89PNG"
    table = pd.DataFrame(
        {
            "label": ["a", "b"],
            "peak_reduction_pct": [0, 5],
            "bill_impact_pct": [0, 1],
            "renewable_absorbed_mwh": [0, 1],
        }
    )
    assert Path(plot_frontier(table, tmp_path / "f.png")).read_bytes()[:4] == b"\x89PNG"


def test_inputs_say_their_source_and_refuse_naive_times(two_days) -> None:
    assert two_days.source == {"load": "profiles", "generation": "profiles"}
    assert two_days.class_shares.shape == (len(two_days.grid.load), 4)
    np.testing.assert_allclose(two_days.class_shares.sum(axis=1), 1.0)
    assert two_days.class_demand_mw().sum(axis=1).to_numpy() == pytest.approx(two_days.demand_mw.to_numpy())
    fn = two_days.feeder_net_mw()
    assert fn.shape == (48, len(two_days.feeder_limit_mw))
    with pytest.raises(InputError, match="no offset"):
        hours("2016-01-01T00:00", 24)
    with pytest.raises(InputError, match="at least 1"):
        hours("2016-01-01T00:00Z", 0)
