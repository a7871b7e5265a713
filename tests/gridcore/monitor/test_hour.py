"""One hour from a store written the way the hourly cycle writes it, with faults put into its feeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore.data import products
from gridcore.data.meters import validate_readings
from gridcore.data.scada import sensor_readings, sensor_registry, validate_sensors
from gridcore.data.synthetic import FaultRates, meter_readings
from gridcore.forecast.registry import slug
from gridcore.lookahead import write_constraint_periods
from gridcore.lookahead.report import ConstraintReport
from gridcore.monitor.hour import check_store_grid, monitor_store_hour, readings_present, store_grid
from gridcore.network.constraints import ConstraintPeriod
from gridcore.store import Store, issue_path, write_whole

AT = pd.Timestamp("2016-07-04T19:00Z")  # evening: the feeders draw, PV is low
FEEDER = "MV2.101 Line 1"


def _land(root, system, hour):
    end = hour + pd.Timedelta(hours=1)
    raw = meter_readings(system.grid, system.fleet, hour, faults=FaultRates.none())
    if hour == AT:
        raw.loc[raw["meter_id"] == "M000010", "kwh"] = 0.0
        raw.loc[raw.index[raw["meter_id"] == "M000020"][1], "kwh"] = -0.4
    ami = validate_readings(raw, system.fleet, end, end, source="ami")
    registry = sensor_registry(system.grid, system.feeders)
    sraw = sensor_readings(system.grid, system.feeders, registry, hour, faults=FaultRates.none())
    sraw.loc[sraw["sensor_id"] == "P:MV2.101 Line 23", "value"] *= 1.4
    if hour == AT:  # a spike beyond the physical bound: refused by validation, out of range for the monitor
        sraw.loc[sraw.index[sraw["sensor_id"] == "I:MV2.101 Line 35"][2], "value"] = 9.9
    scada = validate_sensors(sraw, registry, end, end)
    st = Store(root)
    products.land_hour(
        st, ami, system.fleet, system.feeders.bus_feeder, system.feeders.feeders, hour, system.provenance
    )
    products.land_sensors(st, scada, registry, hour, system.provenance)
    run = f"hourly/{hour:%Y-%m-%dT%H:%M}Z"
    products.write_quality_batch(st, [(ami, run, "ami", hour), (scada, run, "scada", hour)])


@pytest.fixture(scope="module")
def store(system, tmp_path_factory):
    root = tmp_path_factory.mktemp("monitor-store")
    for h in range(2, -1, -1):
        _land(root, system, AT - pd.Timedelta(hours=h))
    st = Store(root)
    # a day of feeder load before: 1 MW per feeder every hour (what the forecasts are scored on)
    hours = pd.date_range(AT - pd.Timedelta(hours=30), AT - pd.Timedelta(hours=4), freq="1h")
    feeders = system.feeders.feeders
    load = xr.Dataset(
        {"p_mw": (("feeder", "time"), np.ones((len(feeders), len(hours))))},
        coords={"feeder": np.asarray(feeders, dtype=object), "time": hours.tz_convert(None)},
    )
    st.write_time_region("feeder_load_hourly", load, "1h", products.HOURLY_CHUNK)
    actual = float(st.read("feeder_load_hourly")["p_mw"].sel(feeder=FEEDER, time=AT.tz_convert(None)))
    # a forecast issued 30 h before: twice the actual for the feeder (drift), its band far above the actual
    issue = AT - pd.Timedelta(hours=30)
    lead = np.arange(1, 49)
    series = ["system", f"feeder:{FEEDER}"]
    point = np.array([np.full(48, float(len(feeders))), np.full(48, 2.0)])
    point[1, 29] = 2 * actual
    quantiles = np.array([0.05, 0.5, 0.95])
    band = point[:, :, None] * np.array([1.0, 1.05, 1.1])[None, None, :]
    target = pd.DatetimeIndex([issue.tz_convert(None) + pd.Timedelta(hours=int(h) - 1) for h in lead])
    ds = xr.Dataset(
        {
            "point_mw": (("series", "issue_time", "lead"), point[:, None, :]),
            "quantile_mw": (("series", "issue_time", "lead", "quantile"), band[:, None, :, :]),
            "day_ahead_mape_pct": (("series",), np.array([5.0, 5.0])),
        },
        coords={
            "series": series,
            "issue_time": [issue.tz_convert(None)],
            "lead": lead,
            "quantile": quantiles,
            "target_time": (("issue_time", "lead"), target.values[None, :]),
            "group": ("series", ["system", FEEDER]),
        },
    )
    write_whole(ds, issue_path(root, "demand_forecast", issue))
    # the feeder group's champion, registered with a day-ahead MAPE of 40 % (the registry's meta.json)
    meta = root / "models" / slug(FEEDER) / "v0003" / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(
        json.dumps({"group": FEEDER, "version": 3, "status": "champion", "metrics": {"mape_pct": 40.0}})
    )
    period = ConstraintPeriod(
        element="line:5",
        kind="overload",
        start=AT - pd.Timedelta(hours=1),
        end=AT + pd.Timedelta(hours=2),
        worst=131.0,
        worst_time=AT,
        relief_mw=0.8,
        hours=3,
        limit=100.0,
    )
    report = ConstraintReport(
        "1-MV-semiurb--0-sw", AT - pd.Timedelta(hours=2), 24, [period], {"load": "test"}
    )
    write_constraint_periods(root, report)
    return str(root)


def test_the_hour_in_the_store(store, system):
    assert readings_present(store, AT)
    assert not readings_present(store, AT + pd.Timedelta(hours=1))
    report = monitor_store_hour(store, AT, system=system)
    got = {(r.type, r.place): r for r in report.anomalies.itertuples()}
    assert ("zero_reading", "M000010") in got
    assert ("reverse_flow", "M000020") in got
    assert got[("reverse_flow", "M000020")].evidence["kwh"] == pytest.approx(-0.4)
    assert ("sensor_disagreement", "P:MV2.101 Line 23") in got
    spike = got[("sensor_out_of_range", "I:MV2.101 Line 35")]
    assert spike.severity == "high" and spike.evidence["value"] == pytest.approx(9.9)
    assert spike.start == AT + pd.Timedelta(minutes=30)
    assert got[("loading_excursion", "line:5")].severity == "high"
    assert got[("loading_excursion", "line:5")].place_kind == "line"
    assert got[("forecast_error", f"feeder:{FEEDER}")].severity == "high"
    drift = got[("model_drift", f"feeder:{FEEDER}")]
    assert drift.evidence["rolling_mape_pct"] == pytest.approx(100.0, abs=1)
    assert drift.evidence["hours"] == 24
    assert (
        drift.evidence["registered_mape_pct"] == 40.0
        and drift.evidence["reference"] == f"registry {FEEDER} v3"
    )
    assert drift.severity == "medium"  # 100 % is 2.5 times 40 %, not more
    assert ("model_drift", "system") not in got
    assert report.missing == []
    assert report.checked["meters"] == len(system.fleet)
    assert report.sources["network"].startswith("constraint periods issued")
    out = report.to_dict()
    assert out["total"] == len(report.anomalies)
    assert out["counts"]["zero_reading"]["medium"] >= 1
    assert sum(out["by_severity"].values()) == out["total"]
    assert out["anomalies"][0]["severity"] == "high"


def test_an_empty_store_says_what_is_missing(tmp_path, system):
    report = monitor_store_hour(tmp_path / "empty", AT, system=system)
    assert report.anomalies.empty
    assert len(report.missing) == 3
    assert "gridflow run hourly --at 2016-07-04T19:00Z" in report.missing[0]
    assert "gridflow grid constraints --at 2016-07-04T19:00Z" in report.missing[1]
    assert "gridflow forecast demand --at 2016-07-04T19:00Z" in report.missing[2]
    assert report.to_dict()["counts"] == {}
    assert not readings_present(tmp_path / "empty", AT)


def test_an_hour_outside_the_forecasts_and_periods(store, system):
    later = AT + pd.Timedelta(days=3)
    report = monitor_store_hour(store, later, system=system)
    assert any("meter readings" in m for m in report.missing)
    assert any("constraint periods" in m for m in report.missing)
    assert any("feeder load" in m for m in report.missing)  # a forecast covers it, no actual does
    before = monitor_store_hour(store, AT - pd.Timedelta(days=2), system=system)
    assert any("demand forecast" in m for m in before.missing)


def test_the_system_comes_from_the_store(store, system):
    from gridcore.system import default_system

    report = monitor_store_hour(store, AT)  # fleet size and seed from the readings' provenance
    assert report.checked["meters"] == len(system.fleet)
    other = monitor_store_hour(store, AT, system=default_system(1_000))
    assert any("1000" in m and "2000" in m for m in other.missing)


def test_another_grid_than_the_readings_is_refused(store, system):
    import xarray as xr

    from gridcore.errors import InputError

    made_on = xr.open_zarr(Store(store).path("readings"), consolidated=True).attrs["grid"]
    assert made_on == system.grid.code
    same = monitor_store_hour(store, AT, grid=made_on)
    assert same.checked["meters"] == len(system.fleet)
    told = f"--grid 1-MV-semiurb--2-sw: the store {store} holds meter readings made on {made_on} "
    with pytest.raises(InputError) as err:
        monitor_store_hour(store, AT, grid="1-MV-semiurb--2-sw")
    assert str(err.value).startswith(told) and err.value.field == "--grid"
    assert store_grid(store) == made_on and store_grid(Path(store) / "empty") is None
    check_store_grid(Path(store) / "empty", "1-MV-semiurb--2-sw")  # no readings: any grid
    with pytest.raises(InputError, match=r"grid 1-LV-rural2--2-sw: the store .* \(use grid ") as err:
        check_store_grid(store, "1-LV-rural2--2-sw", field="grid")
    assert err.value.field == "grid"
