"""Fleet health: schedules in force, commissioning history, heavy cycling flagged, the store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from numpy.testing import assert_allclose

from gridcore.storage.degradation import FadeState, age_constant, daily_cycle_soc
from gridcore.storage.health import (
    HealthConfig,
    assumed_use,
    fleet_health,
    health_fleet,
    health_time,
    history_end,
    in_force,
    read_health,
    read_history,
    update_health,
    write_health,
)
from gridcore.storage.store import schedule_path
from gridcore.store import write_whole

T0 = pd.Timestamp("2016-07-01T00:00Z")


def make_fleet() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": ["home", "home", "grid", "community"],
            "bus": [1, 2, 3, 4],
            "feeder": ["f1", "f1", "f2", "f2"],
            "power_mw": [0.005, 0.005, 1.0, 0.1],
            "energy_mwh": [0.01, 0.01, 2.0, 0.2],
            "soc_min_frac": [0.05, 0.1, 0.05, 0.1],
            "soc_max_frac": [0.95, 0.9, 0.95, 0.9],
            "soc_init_frac": 0.5,
            "eta_charge": 0.95,
            "eta_discharge": 0.95,
            "chemistry": ["NMC", "LFP", "LFP", "NMC"],
            "commissioned": pd.DatetimeIndex(
                ["2006-07-01", "2014-01-01", "2015-01-01", "2016-07-03"], tz="UTC"
            ),
        },
        index=pd.Index(["B0001", "B0002", "B0003", "B0004"], name="battery"),
    )


def make_schedule(
    issue: pd.Timestamp,
    fleet: pd.DataFrame,
    hours: int = 48,
    cycles_per_day: float = 1.0,
    depth: float | np.ndarray = 0.8,
) -> xr.Dataset:
    """Each unit does ``cycles_per_day`` triangle cycles of ``depth`` of its capacity around 0.5."""
    t = pd.date_range(issue.tz_convert(None), periods=hours, freq="h")
    energy = fleet["energy_mwh"].to_numpy()[:, None]
    depth = np.broadcast_to(np.asarray(depth, float), (len(fleet),))[:, None]
    phase = (np.arange(hours) * cycles_per_day / 24.0) % 1.0
    tri = np.where(phase < 0.5, 0.5 - 2 * phase, 2 * phase - 1.5)  # +0.5 -> -0.5 -> +0.5 per cycle
    soc = (0.5 + depth * np.roll(tri, -1)[None, :]) * energy
    prev = (0.5 + depth * tri[None, :1]) * energy
    delta = np.diff(np.concatenate([prev, soc], axis=1), axis=1)
    eta = 0.95
    charge = np.where(delta > 0, delta / eta, 0.0)
    discharge = np.where(delta < 0, -delta * eta, 0.0)
    dims = ("battery", "time")
    return xr.Dataset(
        {"charge_mw": (dims, charge), "discharge_mw": (dims, discharge), "soc_mwh": (dims, soc)},
        coords={
            "battery": fleet.index.to_numpy(dtype=str),
            "time": t,
            **{c: ("battery", fleet[c].to_numpy()) for c in ("kind", "chemistry", "energy_mwh")},
        },
        attrs={"issue_time": issue.isoformat(), "timezone": "UTC"},
    )


def write_schedules(root, schedules: list[xr.Dataset]) -> None:
    for ds in schedules:
        write_whole(ds, schedule_path(root, pd.Timestamp(ds.attrs["issue_time"])))


def test_the_latest_issue_covering_an_hour_is_in_force() -> None:
    fleet = make_fleet()
    first = make_schedule(T0, fleet, hours=48)
    second = make_schedule(T0 + pd.Timedelta(hours=24), fleet, hours=48, depth=0.2)
    hist = in_force([second, first])
    assert hist.sizes["time"] == 72
    issues = pd.DatetimeIndex(hist["issue_time"].values)
    assert (issues[:24] == T0.tz_convert(None)).all()
    assert (issues[24:] == (T0 + pd.Timedelta(hours=24)).tz_convert(None)).all()
    assert_allclose(hist["soc_mwh"].isel(time=slice(24, 72)), second["soc_mwh"])
    rerun = make_schedule(T0, fleet, hours=72, depth=0.5)
    rerun.attrs["issue_time"] = (T0 + pd.Timedelta(hours=25)).isoformat()  # the latest: supersedes both
    assert_allclose(in_force([first, second, rerun])["soc_mwh"], rerun["soc_mwh"])
    assert in_force([]) is None
    assert in_force([first], start=T0 + pd.Timedelta(days=5)) is None
    window = in_force([first, second], start=T0 + pd.Timedelta(hours=6), end=T0 + pd.Timedelta(hours=30))
    assert window.sizes["time"] == 24


def test_a_unit_missing_from_the_latest_issue_takes_the_assumed_use() -> None:
    fleet = make_fleet()
    first = make_schedule(T0, fleet, hours=48)
    second = make_schedule(T0 + pd.Timedelta(hours=24), fleet.iloc[:2], hours=24)
    hist = in_force([first, second])
    assert np.isnan(hist["soc_mwh"].sel(battery="B0003").isel(time=slice(24, 48))).all()
    at = T0 + pd.Timedelta(hours=48)
    health = fleet_health(fleet, hist, at)
    use = assumed_use(fleet)
    # B0003: day 1 scheduled (one cycle of 0.8 of its capacity, in cell throughput), day 2 assumed
    assert health.units.at["B0003", "efc_stored"] == pytest.approx(0.8, rel=0.02)
    day2 = health.units.at["B0003", "efc"] - health.units.at["B0003", "efc_stored"]
    pre = (T0 - fleet.at["B0003", "commissioned"]) / pd.Timedelta(days=1) * use.at["B0003", "efc_per_day"]
    assert day2 == pytest.approx(pre + use.at["B0003", "efc_per_day"], rel=1e-6)


def test_health_without_history_is_the_assumed_use_since_commissioning() -> None:
    fleet = make_fleet()
    health = fleet_health(fleet, None, T0)
    use = assumed_use(fleet)
    days = ((T0 - fleet["commissioned"]) / pd.Timedelta(days=1)).clip(lower=0).to_numpy()
    state = age_constant(
        FadeState.new(fleet["chemistry"]),
        days,
        use["efc_per_day"].to_numpy(),
        use["dod"].to_numpy(),
        daily_cycle_soc(use["dod"].to_numpy(), use["soc_mean"].to_numpy()),
    )
    assert_allclose(health.units["soh"], state.soh)
    assert health.units.at["B0004", "soh"] == 1.0  # commissioned after T0
    assert health.units.at["B0004", "age_years"] == 0.0
    assert health.soh.sizes["time"] == 1
    assert health.start is None
    assert health.units.at["B0001", "age_years"] == pytest.approx(10.0, abs=0.01)
    assert (health.units["efc_stored"] == 0).all()
    # the oldest unit has aged most and has the least life left
    assert health.units["soh"].idxmin() == "B0001"
    assert health.units["years_to_eol"].idxmin() == "B0001"


def test_a_heavily_cycled_unit_is_flagged() -> None:
    fleet = make_fleet()
    depth = np.array([0.9, 0.3, 0.3, 0.3])
    schedules = [
        make_schedule(T0 + pd.Timedelta(days=d), fleet, hours=24, cycles_per_day=6, depth=depth)
        for d in range(60)
    ]
    at = T0 + pd.Timedelta(days=60)
    hist = in_force(schedules)
    health = fleet_health(fleet, hist, at, HealthConfig(recent_days=7))
    u = health.units
    # a 10-year-old NMC unit now doing 5.4 EFC a day: near end of life (under a year left), the others not
    assert u.at["B0001", "status"] == "warn"
    assert u.at["B0001", "years_to_eol"] < 1.0
    assert (u["status"].iloc[1:] == "ok").all()
    assert u.at["B0001", "efc_stored"] == pytest.approx(60 * 6 * 0.9, rel=0.05)
    assert u.at["B0001", "cycles_rainflow"] == pytest.approx(7 * 6, abs=1)  # last 7 days
    assert u.at["B0001", "efc_rainflow"] == pytest.approx(7 * 6 * 0.9, rel=0.05)
    assert u.at["B0004", "age_years"] == pytest.approx(58 / 365.25)
    s = health.summary()
    assert [a["battery"] for a in s["near_end_of_life"]] == ["B0001"]
    assert s["alarms"] == []
    assert s["units"] == 4 and s["history_start"] == "2016-07-01T00:00Z"
    assert s["soh_min_pct"] == pytest.approx(100 * u["soh"].min(), abs=0.01)
    # SoH never rises, and the heavy unit falls fastest
    soh = health.soh.values
    assert (np.diff(soh, axis=1) <= 1e-12).all()
    assert health.soh.sizes["time"] == 60
    assert (soh[:, 0] - soh[:, -1]).argmax() == 0
    # with an alarm threshold above its SoH it raises the alarm
    alarm = fleet_health(fleet, hist, at, HealthConfig(warn_soh=0.95, alarm_soh=0.9, recent_days=7))
    assert [a["battery"] for a in alarm.summary()["alarms"]] == ["B0001"]
    assert alarm.units.at["B0001", "status"] == "alarm"


def test_hours_at_or_after_at_are_ignored() -> None:
    fleet = make_fleet()
    hist = in_force([make_schedule(T0, fleet, hours=72)])
    at = T0 + pd.Timedelta(hours=36)
    health = fleet_health(fleet, hist, at)
    assert health.soh.sizes["time"] == 2  # day 1 and the first half of day 2
    assert health.units.at["B0002", "efc_stored"] == pytest.approx(1.5 * 0.8, rel=0.05)
    early = fleet_health(fleet, hist, T0)  # nothing before at: no history
    assert early.start is None


def test_health_goes_to_the_store_and_back(tmp_path) -> None:
    fleet = make_fleet()
    write_schedules(tmp_path, [make_schedule(T0 + pd.Timedelta(days=d), fleet) for d in range(3)])
    assert history_end(tmp_path) == T0 + pd.Timedelta(days=4)
    assert history_end(tmp_path / "empty") is None
    hist = read_history(tmp_path, end=T0 + pd.Timedelta(days=3))
    assert hist.sizes["time"] == 72
    health = fleet_health(fleet, hist, T0 + pd.Timedelta(days=3))
    path = write_health(tmp_path, health)
    assert path.endswith("storage_health/20160704T0000Z.zarr")
    ds = read_health(tmp_path)
    assert_allclose(ds["soh"].values, health.units["soh"].to_numpy())
    assert list(ds["status"].values) == list(health.units["status"])
    assert ds["soh_daily"].dims == ("battery", "time")
    assert ds.attrs["at"].startswith("2016-07-04T00:00")
    again = read_health(tmp_path, at="2016-07-04T00:00Z")
    assert_allclose(again["soh_daily"], ds["soh_daily"])
    with pytest.raises(FileNotFoundError, match="no battery health"):
        read_health(tmp_path, at="2016-07-05T00:00Z")


def test_a_health_update_reads_assesses_and_writes_in_one_path(tmp_path) -> None:
    fleet = make_fleet()
    at = T0 + pd.Timedelta(days=3)
    # no schedules: the default time is now, the assumed use alone; nothing written when asked so
    now = pd.Timestamp("2016-07-02T05:00Z")
    assert health_time(tmp_path, now) == now
    dry = update_health(tmp_path, fleet, now, write=False)
    assert dry.written is None and dry.health.start is None
    write_schedules(tmp_path, [make_schedule(T0 + pd.Timedelta(days=d), fleet) for d in range(3)])
    assert health_time(tmp_path, pd.Timestamp("2016-07-10T00:00Z")) == T0 + pd.Timedelta(days=4)
    assert health_time(tmp_path, now) == now
    config = HealthConfig(warn_soh=0.99, alarm_soh=0.95)
    run = update_health(tmp_path, fleet, at, config)
    # the same health as its steps taken one by one, and in the store
    by_hand = fleet_health(fleet, read_history(tmp_path, end=at), at, config)
    assert_allclose(run.health.units["soh"], by_hand.units["soh"])
    assert run.written.endswith("storage_health/20160704T0000Z.zarr")
    assert_allclose(read_health(tmp_path)["soh"].values, by_hand.units["soh"].to_numpy())
    out = run.to_dict()
    assert out == {**by_hand.summary(), "written": run.written}
    assert out["units"] == 4 and [a["battery"] for a in out["alarms"]] == [
        a["battery"] for a in by_hand.summary()["alarms"]
    ]


def test_the_fleet_of_a_health_run_is_the_latest_schedules(tmp_path) -> None:
    from gridcore.storage.health import FLEET_COLUMNS

    fleet = make_fleet()
    ds = make_schedule(T0, fleet)
    ds = ds.assign_coords({c: ("battery", fleet[c].to_numpy()) for c in FLEET_COLUMNS if c not in ds.coords})
    ds = ds.assign_coords(commissioned=("battery", fleet["commissioned"].dt.tz_localize(None).to_numpy()))
    write_schedules(tmp_path, [ds])
    table = health_fleet(tmp_path)
    assert list(table.index) == list(fleet.index)
    assert (table["commissioned"] == fleet["commissioned"]).all()
    assert_allclose(table["energy_mwh"], fleet["energy_mwh"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="commissioned"), "missing column 'commissioned'"),
        (lambda f: f.assign(commissioned=f["commissioned"].dt.tz_localize(None)), "tz-aware"),
        (lambda f: f.assign(energy_mwh=[0.01, 0.0, 2.0, 0.2]), "energy_mwh: 0.0 of battery B0002"),
        (lambda f: f.assign(kind=["home", "home", "grid", "tram"]), "'tram' of battery B0004"),
    ],
)
def test_bad_fleet_rows_are_named(change, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fleet_health(change(make_fleet()), None, T0)


def test_bad_times_and_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="at: 2016-07-01 00:00:00 has no time zone"):
        fleet_health(make_fleet(), None, pd.Timestamp("2016-07-01"))
    with pytest.raises(ValueError, match="alarm_soh"):
        HealthConfig(warn_soh=0.7, alarm_soh=0.8)


def test_fleet_temperature_column_is_used() -> None:
    fleet = make_fleet()
    hot = fleet_health(fleet.assign(temp_c=40.0), None, T0)
    cool = fleet_health(fleet.assign(temp_c=15.0), None, T0)
    assert (hot.units["fade_calendar"] >= cool.units["fade_calendar"]).all()
    assert (hot.units["fade_calendar"].iloc[:3] > cool.units["fade_calendar"].iloc[:3]).all()


def test_the_typed_report_is_the_json_summary() -> None:
    """``report`` is typed (units as :class:`UnitHealth`); ``summary`` is its JSON, keys in order."""
    from gridcore.storage.health.result import HealthSummary, UnitHealth

    fleet = make_fleet()
    depth = np.array([0.9, 0.3, 0.3, 0.3])
    schedules = [
        make_schedule(T0 + pd.Timedelta(days=d), fleet, hours=24, cycles_per_day=6, depth=depth)
        for d in range(20)
    ]
    at = T0 + pd.Timedelta(days=20)
    health = fleet_health(
        fleet, in_force(schedules), at, HealthConfig(warn_soh=0.95, alarm_soh=0.9, recent_days=7)
    )
    report = health.report()
    assert isinstance(report, HealthSummary)
    assert (
        report.units == 4 and report.at == "2016-07-21T00:00Z" and report.history_start == "2016-07-01T00:00Z"
    )
    assert report.warn_soh_pct == 95.0 and report.alarm_soh_pct == 90.0
    assert report.near_end_of_life == (
        UnitHealth(
            battery="B0001",
            kind=str(fleet.at["B0001", "kind"]),
            soh_pct=round(100 * float(health.units.at["B0001", "soh"]), 2),
            efc=round(float(health.units.at["B0001", "efc"]), 1),
            years_to_eol=round(float(health.units.at["B0001", "years_to_eol"]), 2),
        ),
    )
    assert report.alarms == ()
    assert report.soh_min_pct == report.near_end_of_life[0].soh_pct
    d = report.to_dict()
    assert d == health.summary()
    assert list(d) == [
        "units",
        "at",
        "history_start",
        "soh_mean_pct",
        "soh_min_pct",
        "efc_mean",
        "efc_stored_mean",
        "fade_calendar_mean_pct",
        "fade_cycle_mean_pct",
        "years_to_eol_min",
        "warn_soh_pct",
        "alarm_soh_pct",
        "near_end_of_life",
        "alarms",
    ]
    assert d["near_end_of_life"] == [
        {
            "battery": "B0001",
            "kind": report.near_end_of_life[0].kind,
            "soh_pct": report.near_end_of_life[0].soh_pct,
            "efc": report.near_end_of_life[0].efc,
            "years_to_eol": report.near_end_of_life[0].years_to_eol,
        }
    ]
    assert d["alarms"] == []
