"""`gridflow storage study`: a tiny study checked against its allocations and profiles, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app

WEEKS = {"summer_week": "2016-07-01T00:00Z", "winter_week": "2016-01-11T00:00Z"}
ETA = 0.96  # charge and discharge efficiency of both site kinds (community areas, grid plants)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> dict[str, object]:
    """A tiny study (the two weeks, the base size, the base throughput cost) in a store."""
    store = tmp_path_factory.mktemp("study")
    args = ["storage", "study", "--no-year", "--sizes", "1", "--multipliers", "1", "--json"]
    res = CliRunner().invoke(app, [*args, "--store", str(store)])
    assert res.exit_code == 0, res.output
    return {"store": store, **json.loads(res.stdout)}


def test_storage_study_json_keys_and_files(study) -> None:
    out = study
    for key in ("strategies", "periods", "table", "best", "degradation_tradeoff", "written", "seconds"):
        assert key in out
    assert out["strategies"] == ["none", "uniform", "proportional_pv", "constrained_feeders", "central"]
    assert out["periods"] == ["summer_week", "winter_week"] and out["sites"] == 114
    assert len(out["table"]) == 2 * 5 and len(out["degradation_tradeoff"]) == 2
    assert set(out["best"]) == {"summer_week", "winter_week"}
    totals = {r["total_mwh"] for r in out["table"] if r["strategy"] != "none"}
    assert totals == {out["base_mwh"]}
    util = out["utilization_pct_at_base"]["summer_week"]
    assert util[out["best"]["summer_week"]] == max(v for k, v in util.items() if k != "none")
    folder = out["store"] / "storage_study"
    assert {Path(p).parent for p in out["written"].values()} == {folder}
    for path in out["written"].values():
        assert Path(path).stat().st_size > 0
    table = pd.read_csv(out["written"]["table"])
    assert len(table) == 10 and "utilization_pct" in table
    assert Path(out["written"]["plot"]).read_bytes()[:4] == b"\x89PNG"


def test_storage_study_allocations_follow_their_rules(study) -> None:
    alloc = pd.read_csv(study["written"]["allocation"], index_col="battery")
    alloc["feeder"] = alloc["feeder"].fillna("")
    base = study["base_mwh"]
    assert base == pytest.approx(alloc["pv_mw"].sum(), abs=1e-3)  # 1 MWh per MW of PV on the sites
    for strategy in study["strategies"][1:]:
        assert alloc[strategy].sum() == pytest.approx(base, rel=1e-5), strategy
    np.testing.assert_allclose(alloc["uniform"], base / len(alloc), rtol=1e-5)
    np.testing.assert_allclose(
        alloc["proportional_pv"], alloc["pv_mw"] * base / alloc["pv_mw"].sum(), rtol=1e-4
    )
    central = alloc["central"]
    assert (central > 0).sum() == 1 and central.idxmax() == alloc["curtailment_mwh"].idxmax()
    # constrained feeders: the top third of the feeders by curtailment, each site by its own curtailment
    by_feeder = alloc.groupby("feeder")["curtailment_mwh"].sum().sort_values(ascending=False)
    top = by_feeder.index[: int(np.ceil(len(by_feeder) / 3))]
    chosen = alloc["feeder"].isin(top) & (alloc["curtailment_mwh"] > 0)
    assert (alloc.loc[~chosen, "constrained_feeders"] == 0).all()
    weights = alloc.loc[chosen, "curtailment_mwh"]
    np.testing.assert_allclose(
        alloc.loc[chosen, "constrained_feeders"], weights * base / weights.sum(), rtol=1e-4
    )
    table = pd.DataFrame(study["table"])
    for strategy in study["strategies"][1:]:
        rows = table[table["strategy"] == strategy]
        assert (rows["sites_with_storage"] == (alloc[strategy] > 0).sum()).all(), strategy


def test_storage_study_energy_figures_balance(study) -> None:
    from gridcore.network.grid import load_grid

    grid = load_grid()
    alloc = pd.read_csv(study["written"]["allocation"], index_col="battery")
    sgens = [int(b.split("-")[1]) for b in alloc.index]
    sgen = grid.sgen
    expected = sgen.index[
        (sgen["type"] == "PV_MV") | ((sgen["type"] == "lv_RES") & sgen["bus"].isin(grid.load["bus"]))
    ]
    assert sorted(sgens) == sorted(expected)
    cols = grid.sgen.index.get_indexer(sgens)
    table = pd.DataFrame(study["table"])
    for period, start in WEEKS.items():
        rows = table[table["period"] == period].set_index("strategy")
        # the PV energy the sites had: their generators' 15-minute profiles over the week
        quarters = pd.date_range(start, periods=168 * 4, freq="15min")
        pv_mwh = grid.sgen_p_mw[grid.profile_index(quarters)][:, cols].clip(min=0).sum() / 4
        np.testing.assert_allclose(rows["renewable_mwh"], pv_mwh, rtol=1e-4)
        used = rows["renewable_mwh"] - rows["curtailment_mwh"]
        np.testing.assert_allclose(rows["utilization_pct"], 100 * used / rows["renewable_mwh"], atol=1e-3)
        # storage only takes curtailment away; without it nothing is stored, lost or cycled
        assert (rows["curtailment_mwh"] <= rows.at["none", "curtailment_mwh"] + 1e-6).all()
        assert rows.loc["none", ["losses_mwh", "efc", "fade_pct_per_year"]].tolist() == [0, 0, 0]
        # losses against cycles: the SoC moves eta*charge + discharge/eta = 2 * total * efc [MWh] and the
        # losses are (1 - eta)*charge + (1/eta - 1)*discharge: between (1 - eta) and (1 - eta)/eta of that
        stored = rows.drop("none")
        moved = 2 * stored["total_mwh"] * stored["efc"]
        assert (stored["losses_mwh"] >= (1 - ETA) * moved - 2e-3).all(), period
        assert (stored["losses_mwh"] <= (1 - ETA) / ETA * moved + 2e-3).all(), period
        np.testing.assert_allclose(stored["efc_per_year"], stored["efc"] * 8766 / 168, rtol=1e-3)
    # the trade-off at the base cost is the uniform strategy of the table
    for row in study["degradation_tradeoff"]:
        same = table[(table["period"] == row["period"]) & (table["strategy"] == "uniform")].iloc[0]
        for key in ("utilization_pct", "curtailment_mwh", "losses_mwh", "efc"):
            assert row[key] == pytest.approx(same[key], abs=1e-3), (row["period"], key)


def test_storage_study_year_with_progress_bar(tmp_path: Path) -> None:
    out_dir = tmp_path / "study"
    args = ["storage", "study", "--weeks", "1", "--sizes", "1", "--multipliers", "1", "--out", str(out_dir)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (
        "utilization" in res.stdout and "best" in res.stdout and str(out_dir) in res.stdout.replace("\n", "")
    )
    table = pd.read_csv(out_dir / "study.csv")
    assert set(table["period"]) == {"summer_week", "winter_week", "year"}


def test_storage_study_bad_input_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["storage", "study", "--sizes", "1,x", "--json", "--store", str(tmp_path)])
    assert res.exit_code == 1 and "--sizes" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["storage", "study", "--sizes", "", "--json", "--store", str(tmp_path)])
    assert res.exit_code == 1 and "at least one number" in res.stderr
    res = runner.invoke(
        app, ["storage", "study", "--summer", "2016-07-01", "--json", "--store", str(tmp_path)]
    )
    assert res.exit_code == 1 and "no UTC offset" in res.stderr
