"""``gridflow storage health`` and the Prefect task of the daily health update."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from prefect import flow
from typer.testing import CliRunner

import cli.storage.health  # noqa: F401 (registers `storage health` on storage_app)
from cli.main import app
from cli.storage.health import storage_health
from gridcore.storage.health import FLEET_COLUMNS, read_health
from gridcore.storage.store import schedule_path
from gridcore.store import write_whole
from tasks.storage import update_storage_health

T0 = pd.Timestamp("2016-07-01T00:00Z")
KEYS = {"units", "soh_mean_pct", "soh_min_pct", "efc_mean", "near_end_of_life", "alarms", "seconds"}


def _fleet() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": ["home", "grid", "home"],
            "chemistry": ["NMC", "LFP", "LFP"],
            "energy_mwh": [0.01, 2.0, 0.01],
            "soc_min_frac": 0.1,
            "soc_max_frac": 0.9,
            "eta_charge": 0.95,
            "eta_discharge": 0.95,
            "commissioned": pd.DatetimeIndex(["2004-01-01", "2015-01-01", "2016-01-01"], tz="UTC"),
        },
        index=pd.Index(["B1", "B2", "B3"], name="battery"),
    )


def _write_schedules(root, fleet: pd.DataFrame, days: int = 3) -> None:
    """Daily 48 h issues, each unit two cycles of 0.8 a day, with the fleet columns per battery."""
    for d in range(days):
        issue = T0 + pd.Timedelta(days=d)
        t = pd.date_range(issue.tz_convert(None), periods=48, freq="h")
        wave = 0.5 + 0.4 * np.cos(2 * np.pi * np.arange(1, 49) / 12)
        soc = wave[None, :] * fleet["energy_mwh"].to_numpy()[:, None]
        delta = np.diff(np.concatenate([soc[:, :1], soc], axis=1), axis=1)
        coords = {c: ("battery", fleet[c].to_numpy()) for c in FLEET_COLUMNS if c != "commissioned"}
        coords["commissioned"] = ("battery", fleet["commissioned"].dt.tz_localize(None).to_numpy())
        ds = xr.Dataset(
            {
                "charge_mw": (("battery", "time"), np.clip(delta, 0, None) / 0.95),
                "discharge_mw": (("battery", "time"), np.clip(-delta, 0, None) * 0.95),
                "soc_mwh": (("battery", "time"), soc),
            },
            coords={"battery": fleet.index.to_numpy(dtype=str), "time": t, **coords},
            attrs={"issue_time": issue.isoformat()},
        )
        write_whole(ds, schedule_path(root, issue))


def test_storage_health_json_keys_and_store(tmp_path) -> None:
    _write_schedules(tmp_path, _fleet())
    res = CliRunner().invoke(app, ["storage", "health", "--json", "--store", str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) >= KEYS
    assert out["units"] == 3
    assert out["at"] == "2016-07-05T00:00Z"  # end of the stored schedules
    assert out["history_start"] == "2016-07-01T00:00Z"
    assert 80 < out["soh_min_pct"] <= out["soh_mean_pct"] < 100
    assert out["efc_mean"] > 0
    assert isinstance(out["near_end_of_life"], list) and isinstance(out["alarms"], list)
    ds = read_health(tmp_path)
    assert ds["soh_daily"].sizes == {"battery": 3, "time": 4}
    # the JSON's figures are those of the stored units
    assert out["soh_mean_pct"] == pytest.approx(100 * float(ds["soh"].mean()), abs=0.01)
    assert out["soh_min_pct"] == pytest.approx(100 * float(ds["soh"].min()), abs=0.01)
    assert out["efc_mean"] == pytest.approx(float(ds["efc"].mean()), abs=0.1)
    np.testing.assert_allclose(ds["soh_daily"].isel(time=-1), ds["soh"], atol=1e-6)
    # the schedules in force over 4 days swing every SoC 0.1 <-> 0.9 of its capacity four times a day: at
    # most 4 x 4 x 2 x 0.8 / 2 = 6.4 cycles each (a little less: the first swing starts at 0.85)
    efc = ds["efc_stored"].values
    assert np.allclose(efc, efc[0]) and 6.0 < efc[0] <= 6.4
    res = CliRunner().invoke(
        app,
        [
            "storage",
            "health",
            "--json",
            "--store",
            str(tmp_path),
            "--at",
            "2016-07-02T00:00Z",
            "--alarm",
            "95",
            "--warn",
            "99",
        ],
    )
    out = json.loads(res.stdout)
    assert out["at"] == "2016-07-02T00:00Z"
    assert out["alarms"][0]["battery"] == "B1"  # the 12-year-old home NMC is the most worn
    assert set(out["alarms"][0]) == {"battery", "kind", "soh_pct", "efc", "years_to_eol"}
    assert out["alarms"][0]["soh_pct"] == out["soh_min_pct"]


def test_storage_health_bad_input_exits_1(tmp_path) -> None:
    _write_schedules(tmp_path, _fleet(), days=1)
    res = CliRunner().invoke(app, ["storage", "health", "--store", str(tmp_path), "--at", "2016-07-02T00:00"])
    assert res.exit_code == 1
    assert "no UTC offset" in res.stderr
    res = CliRunner().invoke(app, ["storage", "health", "--store", str(tmp_path), "--warn", "70"])
    assert res.exit_code == 1
    assert "alarm_soh" in res.stderr


def test_storage_health_function_with_a_fleet_and_no_schedules(tmp_path) -> None:
    out = storage_health(store=str(tmp_path), at="2016-07-01T00:00Z", fleet=_fleet(), write=False)
    assert out["history_start"] is None and out["written"] is None
    assert out["units"] == 3 and set(out) >= KEYS


@pytest.mark.flows
def test_the_daily_task_updates_health_and_alarms(tmp_path) -> None:
    _write_schedules(tmp_path, _fleet())

    @flow
    def daily_health() -> dict[str, object]:
        return update_storage_health(_fleet(), str(tmp_path), T0 + pd.Timedelta(days=3), 0.99, 0.95)

    out = daily_health()
    assert "B1" in [a["battery"] for a in out["alarms"]]
    assert out["written"].endswith("20160704T0000Z.zarr")
    assert read_health(tmp_path)["soh"].sizes == {"battery": 3}
