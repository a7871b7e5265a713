"""Landing validated batches in the store: hours, imports, quality tables, reports, file reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore.data import products
from gridcore.data.meters import validate_readings
from gridcore.data.quality import all_reasons, quality_table, run_summary, summary_markdown
from gridcore.data.synthetic import meter_readings
from gridcore.data.validation import ContractError
from gridcore.interfaces.ami import file_digest, read_meter_file
from gridcore.store import Store


def _hour(system, hour):
    raw = meter_readings(system.grid, system.fleet, hour)
    return validate_readings(raw, system.fleet, hour + pd.Timedelta(hours=1))


def _land(store, system, hour):
    res = _hour(system, hour)
    loads = products.land_hour(
        store, res, system.fleet, system.feeders.bus_feeder, system.feeders.feeders, hour, system.provenance
    )
    products.write_quality(store, res, f"hourly/{hour:%Y-%m-%dT%H:%M}Z", "ami", hour)
    return res, loads


def test_land_hour_writes_readings_loads_and_quality(tmp_path, system, hour) -> None:
    st = Store(tmp_path)
    res, loads = _land(st, system, hour)
    readings = st.read("readings").sel(time=slice(hour.tz_convert(None), None)).isel(time=slice(0, 4))
    assert int(readings["kwh"].notnull().sum()) == res.readings_valid
    hourly = st.read("feeder_load_hourly").sel(time=hour.tz_convert(None))
    np.testing.assert_allclose(hourly["p_mw"], loads["p_mw"].mean("time"))
    q = st.read("quality").load()
    assert q["run"].values.tolist() == ["hourly/2016-07-01T14:00Z/meter_readings"]
    assert int(q["readings_in"].item()) == res.readings_in
    assert int(q["quarantined"].sum()) == res.readings_in - res.readings_valid
    quarantine = st.read("quarantine").load()
    assert quarantine.sizes["record"] == res.readings_in - res.readings_valid
    assert set(quarantine["contract"].values) == {"meter_readings"}
    assert products.incomplete_hours(st, hour.floor("D")) == [
        h for h in pd.date_range(hour.floor("D"), periods=24, freq="1h") if h != hour
    ]
    report = products.feeder_day_report(st, hour.floor("D"))
    assert report["hours_complete"] == 1
    assert report["energy_mwh"]["system"] == pytest.approx(float(hourly["p_mw"].sum()), rel=1e-3)


def test_an_empty_store_misses_every_hour(tmp_path) -> None:
    day = pd.Timestamp("2016-07-01T00:00Z")
    assert len(products.incomplete_hours(Store(tmp_path), day)) == 24


def test_merge_import_keeps_other_meters_and_refreshes_loads(tmp_path, system, hour) -> None:
    st = Store(tmp_path)
    _land(st, system, hour)
    before = st.read("feeder_load").sel(time=hour.tz_convert(None)).load()
    meter = system.fleet.index[0]
    raw = pd.DataFrame({"meter_id": [meter], "timestamp": [hour + pd.Timedelta(minutes=15)], "kwh": [50.0]})
    res = validate_readings(raw, system.fleet, pd.Timestamp.now(tz="UTC"))
    days = products.merge_import(
        st, res, system.fleet, system.feeders.bus_feeder, system.feeders.feeders, system.provenance
    )
    assert days == [hour.floor("D")]
    after = st.read("feeder_load").sel(time=hour.tz_convert(None)).load()
    feeder = system.feeders.bus_feeder[system.fleet.at[meter, "bus"]]
    assert float(after["p_mw_measured"].sel(feeder=feeder)) > float(
        before["p_mw_measured"].sel(feeder=feeder)
    )
    others = [f for f in system.feeders.feeders if f != feeder]
    xr.testing.assert_allclose(
        after["p_mw_measured"].sel(feeder=others), before["p_mw_measured"].sel(feeder=others)
    )
    assert (
        products.merge_import(
            st,
            validate_readings(raw.iloc[:0], system.fleet, hour),
            system.fleet,
            system.feeders.bus_feeder,
            system.feeders.feeders,
            system.provenance,
        )
        == []
    )


def test_quality_tables_and_summaries(system, hour) -> None:
    res = _hour(system, hour)
    t = quality_table(res, "r1/meter_readings", "ami", None)
    assert t["reason"].values.tolist() == all_reasons()
    assert np.isnat(t["hour"].values[0])
    s = run_summary(res, system.feeders.feeders, None)
    assert s["readings_in"] == res.readings_in and "system_p_mw" not in s
    md = summary_markdown("Run", s)
    assert md.startswith("# Run") and "kwh_missing" in md
    assert "none" in summary_markdown("Run", {"quarantined": {}})


def test_reading_meter_files(tmp_path) -> None:
    csv = tmp_path / "m.csv"
    csv.write_text(
        "meter_id,timestamp,kwh\nM000001,2016-07-01T14:15:00Z,\nM000002,2016-07-01T14:15:00Z,abc\n"
    )
    df = read_meter_file(csv)
    assert df["kwh"].isna().tolist() == [True, False] and df["kwh"].iloc[1] == "abc"
    pq = tmp_path / "m.parquet"
    pd.DataFrame(
        {"meter_id": ["M000001"], "timestamp": [pd.Timestamp("2016-07-01T14:15Z")], "kwh": [0.2]}
    ).to_parquet(pq)
    assert read_meter_file(pq)["kwh"].tolist() == [0.2]
    assert len(file_digest(csv)) == 16 and file_digest(csv) != file_digest(pq)
    with pytest.raises(ContractError, match="no such file"):
        read_meter_file(tmp_path / "missing.csv")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(ContractError, match="not a readable"):
        read_meter_file(broken)
