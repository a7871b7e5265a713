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
    s = run_summary(res, system.feeders.feeders, loads)
    expected_mw = float(loads["p_mw"].sum("feeder").mean())  # the mean system load of the hour [MW]
    assert s.system_p_mw == pytest.approx(expected_mw, abs=1e-4) and 0 < s.system_p_mw < 20
    assert s.coverage_pct_min == pytest.approx(float(loads["coverage_pct"].min()), abs=1e-3)
    assert s.to_dict()["system_p_mw"] == s.system_p_mw and 90 < s.to_dict()["coverage_pct_min"] <= 100
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
    assert s.readings_in == res.readings_in and s.system_p_mw is None
    d = s.to_dict()
    assert list(d) == ["readings_in", "readings_valid", "quarantined", "out_of_order", "feeders"]
    assert d["readings_valid"] + sum(d["quarantined"].values()) == d["readings_in"] and d["feeders"] == 10
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


def _import(store, system, raw):
    res = validate_readings(raw, system.fleet, pd.Timestamp("2016-07-03T00:00Z"))
    return products.merge_import(
        store, res, system.fleet, system.feeders.bus_feeder, system.feeders.feeders, system.provenance
    )


def test_an_import_writes_only_its_hours_and_they_stay_short_until_the_cycle_runs(tmp_path, system) -> None:
    st = Store(tmp_path)
    day = pd.Timestamp("2016-07-01T00:00Z")
    meters = system.fleet.index[:200]
    # 8 intervals of 200 meters: the intervals ending 01:15 ... 03:00 (starts 01:00 ... 02:45)
    ends = pd.date_range("2016-07-01T01:15Z", periods=8, freq="15min")
    raw = pd.DataFrame([(m, t, 0.25) for m in meters for t in ends], columns=["meter_id", "timestamp", "kwh"])
    assert _import(st, system, raw) == [day]
    flags = st.read("feeder_load_hourly", complete_only=False)["complete"].sel(
        time=slice("2016-07-01T00:00", "2016-07-01T03:00")
    )
    assert flags.values.tolist() == [0, 1, 1, 0]  # only the hours the import touched
    readings = st.read("readings")["kwh"].sel(time=slice("2016-07-01T00:00", "2016-07-01T03:45"))
    assert int(readings.notnull().sum()) == 200 * 8
    # both hours hold 200 of 2,000 meters: short, so the catch-up recomputes them with the rest of the day
    assert products.incomplete_hours(st, day) == list(pd.date_range(day, periods=24, freq="1h"))
    # the hourly cycle runs hour 01: the hour is complete, the import's readings of meters the feed did
    # not deliver are kept, the others replaced by the feed's
    res, _ = _land(st, system, pd.Timestamp("2016-07-01T01:00Z"))
    missing = [h for h in pd.date_range(day, periods=24, freq="1h") if h.hour != 1]
    assert products.incomplete_hours(st, day) == missing
    hour1 = st.read("readings")["kwh"].sel(time=slice("2016-07-01T01:00", "2016-07-01T01:45"))
    fed = products.dense_readings(
        res.valid, len(system.fleet), pd.date_range("2016-07-01T01:00Z", periods=4, freq="15min")
    )
    kept = np.isnan(fed[:200])
    np.testing.assert_array_equal(hour1.values[:200][kept], 0.25)
    np.testing.assert_array_equal(hour1.values[~np.isnan(fed)], fed[~np.isnan(fed)])
    # an import of every meter for hour 02 makes it complete without the cycle
    ends2 = pd.date_range("2016-07-01T02:15Z", periods=4, freq="15min")
    full = pd.DataFrame(
        [(m, t, 0.1) for m in system.fleet.index for t in ends2], columns=["meter_id", "timestamp", "kwh"]
    )
    _import(st, system, full)
    assert pd.Timestamp("2016-07-01T02:00Z") not in products.incomplete_hours(st, day)


def _start_together(folder, n: int, go) -> None:
    """Wait until ``n`` processes have built their fleets and stand at the start line, then let them go."""
    import time

    deadline = time.monotonic() + 300
    while not all((folder / f"r{k}").exists() for k in range(n)):
        assert time.monotonic() < deadline, "the processes did not reach the start line"
        time.sleep(0.02)
    go.touch()


_IMPORTER = """
import os, sys, time
import pandas as pd
from gridcore.data import products
from gridcore.data.meters import validate_readings
from gridcore.store import Store
from gridcore.system import default_system
root, go, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
system = default_system(2_000)
ends = pd.date_range("2016-07-02T01:15Z", periods=8, freq="15min")
raw = pd.DataFrame([(m, t, 0.1 + 0.01 * k) for m in system.fleet.index[250 * k: 250 * (k + 1)] for t in ends],
                   columns=["meter_id", "timestamp", "kwh"])
res = validate_readings(raw, system.fleet, pd.Timestamp("2016-07-03T00:00Z"))
open(sys.argv[4], "w").close()  # at the start line
while not os.path.exists(go):
    time.sleep(0.005)
products.merge_import(Store(root), res, system.fleet, system.feeders.bus_feeder, system.feeders.feeders,
                      system.provenance)
"""


def test_imports_in_four_processes_at_once_equal_one_import_of_their_union(tmp_path, system) -> None:
    import subprocess
    import sys

    together, one = tmp_path / "together", tmp_path / "one"
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _IMPORTER, str(together), str(go), str(k), str(tmp_path / f"r{k}")],
            stderr=subprocess.PIPE,
        )
        for k in range(4)
    ]
    _start_together(tmp_path, 4, go)
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read().decode()
    ends = pd.date_range("2016-07-02T01:15Z", periods=8, freq="15min")
    union = pd.DataFrame(
        [
            (m, t, 0.1 + 0.01 * k)
            for k in range(4)
            for m in system.fleet.index[250 * k : 250 * (k + 1)]
            for t in ends
        ],
        columns=["meter_id", "timestamp", "kwh"],
    )
    _import(Store(one), system, union)
    window = slice("2016-07-02T00:00", "2016-07-02T03:45")
    a = Store(one).read("readings")["kwh"].sel(time=window).load()
    b = Store(together).read("readings")["kwh"].sel(time=window).load()
    assert int(a.notnull().sum()) == 1000 * 8
    xr.testing.assert_identical(a, b)
    for product in ("feeder_load", "feeder_load_hourly"):
        xr.testing.assert_allclose(
            Store(one).read(product).sel(time=window).load(),
            Store(together).read(product).sel(time=window).load(),
        )


_HOURLY = """
import os, sys, time
import pandas as pd
from gridcore.data import products
from gridcore.data.meters import validate_readings
from gridcore.data.synthetic import meter_readings
from gridcore.store import Store
from gridcore.system import default_system
root, go, hour = sys.argv[1], sys.argv[2], pd.Timestamp(sys.argv[3])
system = default_system(2_000)
raw = meter_readings(system.grid, system.fleet, hour)
res = validate_readings(raw, system.fleet, hour + pd.Timedelta(hours=1))
open(sys.argv[4], "w").close()  # at the start line
while not os.path.exists(go):
    time.sleep(0.005)
st = Store(root)
products.land_hour(st, res, system.fleet, system.feeders.bus_feeder, system.feeders.feeders, hour,
                   system.provenance)
products.write_quality(st, res, f"hourly/{hour:%Y-%m-%dT%H:%M}Z", "ami", hour)
print(res.readings_valid, res.readings_in - res.readings_valid)
"""


def test_hours_landed_by_four_processes_at_once_are_all_whole(tmp_path, system) -> None:
    import subprocess
    import sys

    go = tmp_path / "go"
    hours = [pd.Timestamp(f"2016-07-03T{h:02d}:00Z") for h in range(4)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _HOURLY,
                str(tmp_path / "s"),
                str(go),
                str(h),
                str(tmp_path / f"r{k}"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k, h in enumerate(hours)
    ]
    _start_together(tmp_path, 4, go)
    counts = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        counts.append(tuple(map(int, out.split())))
    st = Store(tmp_path / "s")
    readings = st.read("readings")["kwh"]
    q = st.read("quarantine").load()
    for hour, (valid, refused) in zip(hours, counts, strict=True):
        window = pd.date_range(hour, periods=4, freq="15min").tz_convert(None)
        assert int(readings.sel(time=window).notnull().sum()) == valid  # stored = valid, none lost
        assert (
            int((q["run_id"].values.astype(str) == f"hourly/{hour:%Y-%m-%dT%H:%M}Z/meter_readings").sum())
            == refused
        )
    assert products.incomplete_hours(st, pd.Timestamp("2016-07-03T00:00Z"))[0] == hours[-1] + pd.Timedelta(
        hours=1
    )
