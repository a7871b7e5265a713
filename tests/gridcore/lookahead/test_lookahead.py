"""The constraint look-ahead: its inputs from the store, topology per hour, the stored product."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore.errors import InputError
from gridcore.forecast.store import write_renewable_forecast
from gridcore.lookahead import (
    constraint_lookahead,
    list_constraint_periods,
    read_constraint_periods,
    write_constraint_periods,
)
from gridcore.lookahead.inputs import forecast_injections
from gridcore.network.grid_spec import grid_model, resolve_grid
from gridcore.network.timeseries import hourly_injections
from gridcore.store import issue_path, write_whole

LV = "1-LV-rural2--2-sw"
ISSUE = pd.Timestamp("2016-07-01T00:00Z")
CASE9 = Path(__file__).parents[2] / "data" / "power_flow" / "matpower_case9" / "case9.m"


def _forecast(
    names: list[str], prefix: str, values: np.ndarray, times: pd.DatetimeIndex, **attrs
) -> xr.Dataset:
    """A stored-forecast-shaped dataset: ``point_mw`` (series, issue_time, lead), ``target_time``."""
    return xr.Dataset(
        {"point_mw": (("series", "issue_time", "lead"), values.T[:, None, :].astype("float32"))},
        coords={
            "series": np.array([f"{prefix}{n}" for n in names], dtype=str),
            "issue_time": [times[0].tz_convert(None)],
            "lead": np.arange(1, len(times) + 1),
            "target_time": (("issue_time", "lead"), times.tz_convert(None).values[None, :]),
        },
        attrs=attrs,
    )


def _store(root: Path, times: pd.DatetimeIndex, grid_code: str = LV) -> None:
    grid = grid_model(LV)
    loads = grid.load["name"].astype(str).tolist()
    sgens = grid.sgen["name"].astype(str).tolist()
    demand = np.full((len(times), len(loads)), 0.002)
    write_whole(
        _forecast(loads, "load:", demand, times, grid=grid_code),
        issue_path(root, "demand_forecast", times[0]),
    )
    write_renewable_forecast(root, _forecast(sgens, "sgen:", np.full((len(times), len(sgens)), 0.01), times))
    bus = int(grid.load["bus"].iloc[0])
    schedule = xr.Dataset(
        {
            "charge_mw": (("battery", "time"), np.array([[0.05] * len(times), [0.0] * len(times)])),
            "discharge_mw": (("battery", "time"), np.zeros((2, len(times)))),
        },
        coords={
            "battery": ["B1", "B2"],
            "time": times.tz_convert(None).values,
            "bus": ("battery", np.array([bus, 10_000])),  # the second bus has no load: left out
        },
    )
    write_whole(schedule, issue_path(root, "storage_schedule", times[0]))


def test_inputs_come_from_the_stored_forecasts_and_schedule(tmp_path: Path) -> None:
    times = pd.date_range(ISSUE, periods=6, freq="1h")
    _store(tmp_path, times)
    grid = grid_model(LV)
    inj, source = forecast_injections(grid, times, str(tmp_path))
    assert source == {"load": "forecast", "generation": "forecast", "batteries": "schedule (1 batteries)"}
    at = np.flatnonzero(grid.load["bus"].to_numpy() == grid.load["bus"].iloc[0])
    others = np.setdiff1d(np.arange(len(grid.load)), at)
    assert np.allclose(inj.load_p_mw[:, others], 0.002)
    assert inj.load_p_mw[:, at].sum(axis=1) == pytest.approx(np.full(6, 0.002 * len(at) + 0.05))
    assert np.allclose(inj.sgen_p_mw, 0.01)
    _, q_profile, _, _ = hourly_injections(grid, times)
    assert np.isfinite(inj.load_q_mvar).all() and inj.load_q_mvar.shape == q_profile.shape


def test_a_forecast_for_another_grid_is_not_used(tmp_path: Path) -> None:
    times = pd.date_range(ISSUE, periods=3, freq="1h")
    _store(tmp_path, times, grid_code="1-MV-semiurb--0-sw")
    _, source = forecast_injections(grid_model(LV), times, str(tmp_path))
    assert source["load"] == "profiles" and source["generation"] == "forecast"


def test_look_ahead_reads_the_store_and_writes_the_product(tmp_path: Path) -> None:
    times = pd.date_range(ISSUE, periods=6, freq="1h")
    _store(tmp_path, times)
    report = constraint_lookahead(LV, ISSUE + pd.Timedelta(minutes=20), 6, root=str(tmp_path), supply_mw=0.0)
    assert report.issue_time == ISSUE and report.horizon_h == 6 and report.converged_hours == 6
    assert report.source["load"] == "forecast"
    short = [p for p in report.periods if p.kind == "shortfall"]
    assert len(short) == 1 and short[0].hours == 6  # 0.27 MW of forecast load against no supply
    path = write_constraint_periods(tmp_path, report)
    assert path.endswith("constraint_periods/20160701T0000Z.zarr")
    back, attrs = read_constraint_periods(tmp_path)
    assert back == report.periods and attrs["source"] == report.source and attrs["horizon_h"] == 6
    assert list_constraint_periods(tmp_path) == [ISSUE]


def test_no_period_is_stored_too(tmp_path: Path) -> None:
    report = constraint_lookahead(LV, ISSUE, 2, root=None)  # a July night: no constraint
    assert report.periods == []
    write_constraint_periods(tmp_path, report)
    back, attrs = read_constraint_periods(tmp_path, ISSUE)
    assert back == [] and attrs["grid"] == LV
    with pytest.raises(FileNotFoundError):
        read_constraint_periods(tmp_path, ISSUE + pd.Timedelta(hours=1))


def test_each_hour_in_the_topology_in_force(tmp_path: Path) -> None:
    from gridcore.network.grid import DEFAULT_GRID
    from gridcore.network.topology import ChangeLog, make_change

    grid = grid_model(DEFAULT_GRID)
    head = int(grid.line.index[0])
    ChangeLog(str(tmp_path)).append(
        make_change(grid, "line", head, in_service=False, effective_from=ISSUE + pd.Timedelta(hours=2))
    )
    resolved = resolve_grid(DEFAULT_GRID)
    report = constraint_lookahead(resolved, ISSUE, 4, root=str(tmp_path))
    base = constraint_lookahead(resolved, ISSUE, 4)
    assert report.converged_hours == base.converged_hours == 4
    assert report.to_dict()["vm_min_pu"] is not None


def test_bad_requests() -> None:
    with pytest.raises(InputError, match="no UTC offset"):
        constraint_lookahead(LV, pd.Timestamp("2016-07-01T00:00"), 1)
    with pytest.raises(InputError, match="--horizon 0"):
        constraint_lookahead(LV, ISSUE, 0)
    with pytest.raises(InputError, match="no yearly profiles"):
        constraint_lookahead(CASE9, ISSUE, 2)


def test_study_case_is_one_snapshot() -> None:
    report = constraint_lookahead(LV, ISSUE, study_case="hL")
    d = report.to_dict()
    assert d["study_case"] == "hL" and d["horizon_h"] == 1 and d["converged_hours"] == 1
    assert d["max_trafo_loading_pct"] == pytest.approx(120.0, abs=0.1)
    assert d["counts"]["overload"] == 1 and d["counts"]["undervoltage"] == 96
