"""The market tasks on the default grid, outside a flow (their bodies): store products and figures."""

from __future__ import annotations

import pandas as pd
from prefect.logging import disable_run_logger

from gridcore.market.store import read_clearing, read_prices
from tasks.market import market_horizon, publish_day_ahead


def test_market_horizon_clears_every_hour_and_writes_the_store(tmp_path) -> None:
    with disable_run_logger():
        summary = market_horizon.fn(str(tmp_path), pd.Timestamp("2016-07-01T00:00Z"), 24, artifact=False)
    d = summary.to_dict()
    assert d["horizon_h"] == 24 and len(d["residual_imbalance_mw"]) == 24
    assert d["source"]["load"] == "profiles"  # empty store: the default world
    ds = read_clearing(tmp_path)
    assert ds.sizes["time"] == 24
    assert ds["price_per_mwh"].attrs["units"] == "EUR/MWh"
    assert (ds["matched_mw"] > 0).all()
    assert d["written"].endswith("20160701T0000Z.zarr")


def test_day_ahead_prices_are_published_as_markdown(tmp_path) -> None:
    with disable_run_logger():
        md = publish_day_ahead.fn(str(tmp_path), pd.Timestamp("2016-07-01T00:00Z"), artifact=False)
    assert md.startswith("# Day-ahead prices 2016-07-01 (cpp")
    assert md.count("\n| ") == 25  # header + 24 hours
    ds = read_prices(tmp_path)
    assert ds.sizes["time"] == 24
    # 1 July 2016 is not among the week's forecast peak days: no CPP event, the discounted price all day
    assert int(ds["peak_hour"].sum()) == 0 and float(ds["price_per_kwh"].max()) < 0.30
    with disable_run_logger():
        md = publish_day_ahead.fn(str(tmp_path), pd.Timestamp("2016-07-02T00:00Z"), artifact=False)
    event = read_prices(tmp_path, pd.Timestamp("2016-07-02T00:00Z"))  # a peak day of its week: one event
    assert int(event["peak_hour"].sum()) == 4 and float(event["price_per_kwh"].max()) == 0.60
    assert "13.9 % lower in 4 peak hours" in md
    with disable_run_logger():
        tou = publish_day_ahead.fn(
            str(tmp_path), pd.Timestamp("2016-07-03T00:00Z"), scheme="tou", artifact=False
        )
    assert (
        "(tou," in tou
        and int(read_prices(tmp_path, pd.Timestamp("2016-07-03T00:00Z"))["peak_hour"].sum()) == 4
    )
