"""The hourly flow under Prefect's test harness on one store, and the meter-file ingest flow.

On a 2,000-meter fleet (the code path of 100,000).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from cli.main import app
from flows.hourly import hourly
from flows.ingest import ingest_meters
from gridcore.data.validation import ContractError
from gridcore.store import Store
from tasks.chain import HOURLY

METERS = 2_000
AT = "2016-07-01T14:00Z"


def _feeder_products(root) -> dict[str, xr.Dataset]:
    return {p: xr.open_zarr(root / f"{p}.zarr").load() for p in ("feeder_load", "feeder_load_hourly")}


@pytest.fixture(scope="module")
def hour_store(tmp_path_factory) -> tuple[Path, dict[str, object]]:
    """A store after one hourly run (read by the tests below, changed only in copies)."""
    root = tmp_path_factory.mktemp("hour")
    return root, hourly(at=AT, store=str(root), meters=METERS)


def _copy(store: Path, tmp_path: Path) -> Path:
    shutil.copytree(store, tmp_path / "store")
    return tmp_path / "store"


def test_an_hourly_run_lands_its_readings_as_feeder_loads(hour_store) -> None:
    root, out = hour_store
    assert out["hour"] == "2016-07-01T14:00:00Z" and out["store"] == str(root)
    assert out["readings_in"] >= 4 * METERS
    assert out["readings_valid"] + sum(out["quarantined"].values()) == out["readings_in"]
    assert out["feeders"] == 10 and out["seconds"] > 0
    st = Store(root)
    hour = st.read("feeder_load_hourly").sel(time="2016-07-01T14:00")
    assert float(hour["coverage_pct"].min()) > 95.0
    assert np.isclose(float(hour["p_mw"].sum()), out["system_p_mw"], rtol=1e-3)
    # the hour's energy is that of the meters' valid quarter-hour readings, within what coverage leaves out
    kwh = st.read("readings")["kwh"].sel(time=slice("2016-07-01T14:00", "2016-07-01T14:45"))
    metered_mw = float(kwh.sum()) / 1000  # kWh in one hour -> mean MW
    assert metered_mw == pytest.approx(out["system_p_mw"], rel=0.05)


def test_on_a_fresh_store_the_decision_steps_skip_and_say_why(hour_store) -> None:
    root, out = hour_store
    steps = out["steps"]
    assert list(steps) == list(HOURLY)  # every step of the plan, in its order
    assert [k for k, v in steps.items() if v["state"] == "Completed"] == [
        "ingest",
        "feeder_load",
        "topology",
        "monitoring",
        "report",
    ]
    assert steps["forecast_check"]["reason"] == "no stored demand forecast covers 2016-07-01T14:00Z"
    for step in ("renewables", "constraints", "batteries", "prices"):
        assert steps[step]["reason"].startswith("needs demand_forecast (skipped): no champion model"), step
    for step in ("constraints_remaining", "shedding"):
        assert "(skipped): no champion model" in steps[step]["reason"], step
    assert out["constraints"] == {"skipped": steps["constraints_remaining"]["reason"]}
    text = Path(out["report"]["markdown"]).read_text()
    assert out["report"]["figures"] == {} and "| batteries | Skipped |" in text and "| readings in |" in text


def test_a_rerun_through_the_command_leaves_the_store_unchanged(hour_store, tmp_path) -> None:
    root, first = hour_store
    store = _copy(root, tmp_path)
    args = ["run", "hourly", "--at", AT, "--store", str(store), "--meters", str(METERS), "--json"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout.strip().splitlines()[-1])
    assert again["store"] == str(store) and again["seconds"] > 0
    for key in ("hour", "readings_in", "readings_valid", "quarantined", "feeders", "system_p_mw"):
        assert again[key] == first[key], key
    for name, ds in _feeder_products(store).items():
        xr.testing.assert_identical(_feeder_products(root)[name], ds)
    quality = xr.open_zarr(root / "quality.zarr").load()
    xr.testing.assert_identical(quality, xr.open_zarr(store / "quality.zarr").load())


def test_ingest_of_a_utility_file_merges_corrections(hour_store, tmp_path) -> None:
    store = _copy(hour_store[0], tmp_path)
    st = Store(store)
    before = st.read("readings").sel(time="2016-07-01T14:00").load()
    meter = str(before["meter"].values[0])
    path = tmp_path / "corrections.csv"
    pd.DataFrame(
        {
            "meter_id": [meter, meter, "UNKNOWN"],
            "timestamp": ["2016-07-01T14:15:00Z", "2016-07-01T14:30:00Z", "2016-07-01T14:15:00Z"],
            "kwh": ["5.0", "6.0", "1.0"],
        }
    ).to_csv(path, index=False)
    out = ingest_meters(path=str(path), store=str(store), meters=METERS)
    assert (out["readings_in"], out["readings_valid"], out["quarantined"]) == (3, 2, {"unknown_meter": 1})
    assert out["days_written"] == ["2016-07-01"]
    after = st.read("readings").sel(time=slice("2016-07-01T14:00", "2016-07-01T14:15")).load()
    assert after["kwh"].sel(meter=meter).values.tolist() == [5.0, 6.0]
    other = after["kwh"].isel(meter=slice(1, None)).sel(time="2016-07-01T14:00")
    xr.testing.assert_equal(other, before["kwh"].isel(meter=slice(1, None)))
    q = st.read("quarantine").load()
    mine = q.where(q["run_id"].str.startswith("ingest/"), drop=True)
    assert mine["value"].values.tolist() == ["UNKNOWN"]


def test_ingest_refuses_a_file_without_kwh(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("meter_id,timestamp,energy\nM000001,2016-07-01T14:15:00Z,1\n")
    with pytest.raises(ContractError, match="kwh"):
        ingest_meters(path=str(path), store=str(tmp_path), meters=METERS)


def test_hourly_feeder_loads_follow_an_outage(tmp_path) -> None:
    """The meter -> bus -> feeder map of the hourly products is the topology in force at each hour."""
    from gridcore.network.feeders import derive_feeders
    from gridcore.network.grid import load_grid
    from gridcore.network.topology import ChangeLog, make_change

    grid = load_grid()
    base = derive_feeders(grid)
    feeder = base.feeders[1]
    ChangeLog(tmp_path).append(
        make_change(
            grid,
            "line",
            base.head_line[feeder],
            effective_from="2016-07-01T15:00Z",
            effective_to="2016-07-01T16:00Z",
            who="test",
            why="maintenance",
        )
    )
    for at in ("2016-07-01T14:00Z", "2016-07-01T15:00Z"):
        hourly(at=at, store=str(tmp_path), meters=METERS, forecast=False)
    ds = Store(tmp_path).read("feeder_load_hourly", complete_only=False).load()
    expected = ds["meters_expected"].sel(feeder=feeder)
    before = int(expected.sel(time="2016-07-01T14:00").item())
    during = int(expected.sel(time="2016-07-01T15:00").item())
    assert before > 0 and during == 0  # its meters are cut off: counted for no feeder during the outage
    total = ds["meters_expected"].sum("feeder")
    assert (
        int(total.sel(time="2016-07-01T15:00").item())
        == int(total.sel(time="2016-07-01T14:00").item()) - before
    )
