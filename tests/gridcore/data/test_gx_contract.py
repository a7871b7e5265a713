"""The vectorised validation path flags exactly the rows Great Expectations flags, in every suite.

Each suite runs once through Great Expectations per frame (a module-scoped fixture: importing GX
takes seconds), then every expectation is compared with
:func:`gridcore.data.validation.failing_rows`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridcore.data.gx_contract import gx_failing_rows, gx_suite
from gridcore.data.meters import prepare_readings
from gridcore.data.validation import MALFORMED_COLUMN, failing_rows, load_suite

AS_OF = pd.Timestamp("2016-07-02T00:00:00Z")
NAN = np.nan

# --------------------------------------------------------------------------- meter readings

#: (meter_id, timestamp, kwh) as received, and the reasons the row must fail (independently).
# fmt: off
METER_ROWS: list[tuple[str, str, str, set[str]]] = [
    ("M1", "2016-07-01T23:45:00Z", "1.0", set()),
    ("M2", "2016-07-02T01:30:00+02:00", "2.5", set()),  # offset, 23:30 UTC
    ("M1", "2016-07-01T23:30:00Z", "0", set()),  # zero is allowed
    ("M5", "2016-07-01T23:30:00Z", "10", set()),  # exactly the class max
    ("M2", "2016-07-02T00:00:00Z", "1.0", set()),  # exactly as_of
    ("M2", "2016-06-25T00:00:00Z", "1.0", set()),  # exactly 168 h old
    ("M1", "not a time", "1.0", {"timestamp_unparseable"}),
    ("M1", "", "1.0", {"timestamp_unparseable"}),
    ("M1", "2016-07-01T23:00:00Z", "abc",
     {"kwh_not_numeric", "kwh_missing", "kwh_above_class_max"}),
    ("M1", "2016-07-01T22:45:00Z", "", {"kwh_missing", "kwh_above_class_max"}),
    ("M1", "2016-07-01T22:30:00Z", "nan", {"kwh_missing", "kwh_above_class_max"}),
    ("MX", "2016-07-01T22:30:00Z", "1.0", {"unknown_meter", "kwh_above_class_max"}),
    # both values of the pair expectation missing: ignored
    ("MX", "2016-07-01T22:30:00Z", "", {"unknown_meter", "kwh_missing"}),
    ("M3", "2016-07-01T22:15:00Z", "1.5", set()),
    ("M3", "2016-07-01T22:15:00Z", "1.5", {"duplicate"}),
    ("M3", "2016-07-01T22:15:00Z", "1.5", {"duplicate"}),
    ("M4", "2016-07-01T22:00:00Z", "1.0", {"conflicting_duplicate"}),
    ("M4", "2016-07-01T22:00:00Z", "2.0", {"conflicting_duplicate"}),
    ("M4", "2016-07-01T22:00:00Z", "2.0", {"duplicate"}),
    ("M1", "2016-07-01T21:07:00Z", "1.0", {"timestamp_off_15min_grid"}),
    ("M1", "2016-07-01T21:15:30Z", "1.0", {"timestamp_off_15min_grid"}),
    ("M1", "2016-07-02T00:15:00Z", "1.0", {"timestamp_in_future"}),
    ("M1", "2016-07-02T00:05:00Z", "1.0", {"timestamp_in_future", "timestamp_off_15min_grid"}),
    ("M1", "2016-06-20T00:00:00Z", "1.0", {"stale"}),
    ("M2", "2016-07-01T21:00:00Z", "-0.5", {"kwh_negative"}),
    ("MX", "2016-07-01T21:00:00Z", "-0.5",
     {"unknown_meter", "kwh_negative", "kwh_above_class_max"}),
    ("M5", "2016-07-01T21:00:00Z", "999", {"kwh_above_class_max"}),
    ("M5", "2016-07-01T20:45:00Z", "inf", {"kwh_above_class_max"}),
    ("M5", "2016-07-01T20:30:00Z", "-inf", {"kwh_negative"}),
    ("bad ts", "garbage", "-3",
     {"timestamp_unparseable", "unknown_meter", "kwh_negative", "kwh_above_class_max"}),
    # each row with its own offset, naive = UTC: 21:00Z, 22:00Z, 23:00Z, all valid
    ("M3", "2016-07-01T23:00:00+02:00", "1.0", set()),
    ("M3", "2016-07-01T23:00:00+01:00", "1.0", set()),
    ("M3", "2016-07-01T23:00:00", "1.0", set()),
    ("M3", "2016-07-01T21:15:00.001Z", "1.0", {"timestamp_off_15min_grid"}),  # a millisecond off
    ("M3", "2016-07-01 21:30:00.000-00:00", "1.0", set()),
]
#: Lines a file reader could not split: their fields are empty, their text kept (see gridcore.interfaces.ami).
MALFORMED_LINES = ["M1,2016-07-01T20:15:00Z,1.0,extra", "M1,2016-07-01T20:15:00Z"]
MALFORMED_REASONS = {"row_malformed", "timestamp_unparseable", "kwh_missing", "unknown_meter"}
# fmt: on

FLEET = pd.DataFrame(
    {"kwh_max": [10.75, 100.0, 10.75, 500.0, 10.0]},
    index=pd.Index(["M1", "M2", "M3", "M4", "M5"], name="meter_id"),
)


def meter_frame() -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The messy meter readings, prepared, and the reasons each row must fail."""
    rows = [r[:3] for r in METER_ROWS] + [(None, None, None)] * len(MALFORMED_LINES)
    raw = pd.DataFrame(rows, columns=["meter_id", "timestamp", "kwh"], dtype=object)
    raw[MALFORMED_COLUMN] = [None] * len(METER_ROWS) + MALFORMED_LINES
    raw.index = pd.RangeIndex(100, 100 + len(raw))  # not positional: GX must still report positions
    prepared = prepare_readings(raw, FLEET, AS_OF)
    reasons = load_suite("meter_readings").reasons
    want = [row[3] for row in METER_ROWS] + [MALFORMED_REASONS] * len(MALFORMED_LINES)
    expected = {r: np.array([r in w for w in want]) for r in reasons}
    return prepared, expected


def synthetic_frame() -> pd.DataFrame:
    """A synthetic hour of a 500-meter fleet with heavy fault rates, prepared."""
    from gridcore.data.fleet import build_fleet
    from gridcore.data.synthetic import FaultRates, meter_readings
    from gridcore.network.grid import load_grid

    grid = load_grid()
    fleet = build_fleet(grid, n_meters=500)
    hour = pd.Timestamp("2016-07-01T12:00:00Z")
    raw = meter_readings(grid, fleet, hour, faults=FaultRates(0.05, 0.05, 0.05, 0.05, 0.05))
    # A few rows the generator never makes: an unknown meter, an off-grid and a future timestamp.
    extra = pd.DataFrame(
        {
            "meter_id": ["NOPE", raw["meter_id"].iloc[0], raw["meter_id"].iloc[1]],
            "timestamp": pd.to_datetime(
                ["2016-07-01T12:15Z", "2016-07-01T12:20Z", "2016-07-01T14:00Z"], utc=True
            ),
            "kwh": [1.0, 1.0, 1.0],
        }
    )
    raw = pd.concat([raw.astype({"meter_id": str}), extra], ignore_index=True)
    return prepare_readings(raw, fleet, hour + pd.Timedelta(hours=1))


# --------------------------------------------------------------------------- sensors and weather


def _named(name: str, by_reason: dict[tuple[str, int], list]) -> dict[str, list]:
    """Columns keyed by (reason, position in the expectation's columns), named as in the suite."""
    suite = load_suite(name)
    columns = {e.reason: e.columns for e in suite.expectations}
    return {columns[reason][i]: values for (reason, i), values in by_reason.items()}


def sensor_frame() -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A prepared sensor-readings frame built by hand, and the reasons each row must fail.

    Columns are named from the suite (``value`` is the column of ``value_missing`` and column A of
    ``value_below_physical_min``), so the rows keep their meaning if derived columns are renamed.
    """
    # fmt: off
    rows = [
        # ts ok, parsed, value, known, copy, conflicting, s_after, h_before, vmin, vmax, reasons
        (True, True, 0.5, True, 0, False, -60.0, 0.02, 0.0, 1.0, set()),
        (True, True, 0.0, True, 0, False, 0.0, 0.0, 0.0, 1.0, set()),  # on both bounds
        (True, True, 1.0, True, 0, False, -3600.0, 168.0, 0.0, 1.0, set()),
        (True, True, 1.05, True, 0, False, -60.0, 0.02, 0.9, 1.1, set()),
        (False, True, 0.5, True, 0, False, NAN, NAN, 0.0, 1.0, {"timestamp_unparseable"}),
        (True, False, NAN, True, 0, False, -60.0, 0.02, 0.0, 1.0,
         {"value_not_numeric", "value_missing", "value_below_physical_min",
          "value_above_physical_max"}),
        (True, True, NAN, True, 0, False, -60.0, 0.02, 0.0, 1.0,
         {"value_missing", "value_below_physical_min", "value_above_physical_max"}),
        (True, True, 0.5, False, 0, False, -60.0, 0.02, NAN, NAN,
         {"unknown_sensor", "value_below_physical_min", "value_above_physical_max"}),
        (True, True, NAN, False, 0, False, -60.0, 0.02, NAN, NAN,
         {"unknown_sensor", "value_missing"}),  # both pair values missing: ignored
        (True, True, 0.5, True, 1, False, -60.0, 0.02, 0.0, 1.0, {"duplicate"}),
        (True, True, 0.5, True, 3, False, -60.0, 0.02, 0.0, 1.0, {"duplicate"}),
        (True, True, 0.5, True, 0, True, -60.0, 0.02, 0.0, 1.0, {"conflicting_duplicate"}),
        (True, True, 0.5, True, 0, False, 0.001, -0.0000003, 0.0, 1.0, {"timestamp_in_future"}),
        (True, True, 0.5, True, 0, False, -700000.0, 194.4, 0.0, 1.0, {"stale"}),
        (True, True, -0.01, True, 0, False, -60.0, 0.02, 0.0, 1.0, {"value_below_physical_min"}),
        (True, True, 1.2, True, 0, False, -60.0, 0.02, 0.9, 1.1, {"value_above_physical_max"}),
        (True, True, np.inf, True, 0, False, -60.0, 0.02, 0.0, 1.0, {"value_above_physical_max"}),
        (True, True, 2.0, True, 0, False, -60.0, 0.02, 0.0, NAN, {"value_above_physical_max"}),
        (True, True, -2.0, True, 0, False, -60.0, 0.02, NAN, 1.0, {"value_below_physical_min"}),
    ]
    # fmt: on
    ts = pd.Timestamp("2016-07-01T23:59:00Z")
    prepared = pd.DataFrame(
        {
            "sensor_id": [f"S{i}" for i in range(len(rows))],
            **_named(
                "sensor_readings",
                {
                    ("timestamp_unparseable", 0): pd.Series(
                        [ts if r[0] else pd.NaT for r in rows], dtype="datetime64[ns, UTC]"
                    ),
                    ("value_not_numeric", 0): [r[1] for r in rows],
                    ("value_missing", 0): [r[2] for r in rows],
                    ("unknown_sensor", 0): [r[3] for r in rows],
                    ("duplicate", 0): np.array([r[4] for r in rows], dtype=np.int64),
                    ("conflicting_duplicate", 0): [r[5] for r in rows],
                    ("timestamp_in_future", 0): [r[6] for r in rows],
                    ("stale", 0): [r[7] for r in rows],
                    ("value_below_physical_min", 1): [r[8] for r in rows],
                    ("value_above_physical_max", 0): [r[9] for r in rows],
                },
            ),
        }
    )
    reasons = load_suite("sensor_readings").reasons
    return prepared, {r: np.array([r in row[10] for row in rows]) for r in reasons}


def weather_frame(optional: bool = True) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """A prepared weather frame built by hand (optionally without ghi and wind), and its reasons."""
    # fmt: off
    rows = [
        # ts ok, parsed, temp, copy, conflicting, off_grid, s_after, ghi, wind, reasons
        (True, True, 21.5, 0, False, 0.0, -3600.0, 650.0, 3.2, set()),
        (True, True, -60.0, 0, False, 0.0, 0.0, 0.0, 0.0, set()),  # lower bounds, exactly as_of
        (True, True, 60.0, 0, False, 0.0, -7200.0, 1400.0, 75.0, set()),  # upper bounds
        (True, True, 10.0, 0, False, 0.0, -3600.0, NAN, NAN, set()),  # optional fields empty
        (False, True, 10.0, 0, False, NAN, NAN, 100.0, 1.0, {"timestamp_unparseable"}),
        (True, False, NAN, 0, False, 0.0, -3600.0, 100.0, 1.0,
         {"temperature_not_numeric", "temperature_missing"}),
        (True, True, NAN, 0, False, 0.0, -3600.0, 100.0, 1.0, {"temperature_missing"}),
        (True, True, 10.0, 1, False, 0.0, -3600.0, 100.0, 1.0, {"duplicate"}),
        (True, True, 10.0, 0, True, 0.0, -3600.0, 100.0, 1.0, {"conflicting_duplicate"}),
        (True, True, 10.0, 0, False, 1800.0, -1800.0, 100.0, 1.0, {"timestamp_off_hour_grid"}),
        (True, True, 10.0, 0, False, 1.0, -3599.0, 100.0, 1.0, {"timestamp_off_hour_grid"}),
        (True, True, 10.0, 0, False, 0.0, 3600.0, 100.0, 1.0, {"timestamp_in_future"}),
        (True, True, -60.1, 0, False, 0.0, -3600.0, 100.0, 1.0, {"temperature_out_of_range"}),
        (True, True, 60.01, 0, False, 0.0, -3600.0, 100.0, 1.0, {"temperature_out_of_range"}),
        (True, True, -np.inf, 0, False, 0.0, -3600.0, 100.0, 1.0, {"temperature_out_of_range"}),
        (True, True, 10.0, 0, False, 0.0, -3600.0, -1.0, 1.0, {"ghi_out_of_range"}),
        (True, True, 10.0, 0, False, 0.0, -3600.0, 1400.5, 1.0, {"ghi_out_of_range"}),
        (True, True, 10.0, 0, False, 0.0, -3600.0, 100.0, -0.1, {"wind_speed_out_of_range"}),
        (True, True, 10.0, 0, False, 0.0, -3600.0, 100.0, 80.0, {"wind_speed_out_of_range"}),
    ]
    # fmt: on
    ts = pd.Timestamp("2016-07-01T23:00:00Z")
    prepared = pd.DataFrame(
        {
            "station_id": [f"W{i}" for i in range(len(rows))],
            **_named(
                "weather",
                {
                    ("timestamp_unparseable", 0): pd.Series(
                        [ts if r[0] else pd.NaT for r in rows], dtype="datetime64[ns, UTC]"
                    ),
                    ("temperature_not_numeric", 0): [r[1] for r in rows],
                    ("temperature_missing", 0): [r[2] for r in rows],
                    ("duplicate", 0): np.array([r[3] for r in rows], dtype=np.int64),
                    ("conflicting_duplicate", 0): [r[4] for r in rows],
                    ("timestamp_off_hour_grid", 0): [r[5] for r in rows],
                    ("timestamp_in_future", 0): [r[6] for r in rows],
                    ("ghi_out_of_range", 0): [r[7] for r in rows],
                    ("wind_speed_out_of_range", 0): [r[8] for r in rows],
                },
            ),
        }
    )
    optional_reasons = {"ghi_out_of_range", "wind_speed_out_of_range"}
    reasons = load_suite("weather").reasons
    if not optional:
        suite = load_suite("weather")
        drop = [e.columns[0] for e in suite.expectations if e.reason in optional_reasons]
        prepared = prepared.drop(columns=drop)
        reasons = [r for r in reasons if r not in optional_reasons]
    return prepared, {r: np.array([r in row[9] for row in rows]) for r in reasons}


def random_frame(name: str, n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """A random prepared frame for a suite: all its columns, values near its bounds, many nulls."""
    rng = np.random.default_rng(seed)
    suite = load_suite(name)
    data: dict[str, np.ndarray] = {}
    for e in suite.expectations:
        for col in e.columns:
            if col in data:
                continue
            if e.type == "expect_column_values_to_be_in_set":
                allowed = e.kwargs["value_set"][0]
                if isinstance(allowed, bool):
                    flags = rng.random(n) < 0.9
                    # object column with a few None, as a boolean read from a file with gaps
                    data[col] = np.where(rng.random(n) < 0.05, None, flags).astype(object)
                else:
                    v = rng.integers(0, 3, n).astype(float)
                    data[col] = np.where(rng.random(n) < 0.1, NAN, v)
            else:
                lo = e.kwargs.get("min_value")
                hi = e.kwargs.get("max_value")
                centre = np.mean([b for b in (lo, hi) if b is not None]) if (lo, hi) != (None, None) else 0
                v = np.round(centre + rng.normal(0, 1 + abs(centre), n), 1)
                # exact bounds, nulls and infinities
                pick = rng.random(n)
                v = np.where(pick < 0.05, lo if lo is not None else 0.0, v)
                v = np.where((pick >= 0.05) & (pick < 0.1), hi if hi is not None else 0.0, v)
                v = np.where((pick >= 0.1) & (pick < 0.2), NAN, v)
                v = np.where((pick >= 0.2) & (pick < 0.21), np.inf, v)
                v = np.where((pick >= 0.21) & (pick < 0.22), -np.inf, v)
                data[col] = v
    return pd.DataFrame(data)


# --------------------------------------------------------------------------- fixtures

FRAMES = {
    "meter_readings": lambda: meter_frame(),
    "sensor_readings": lambda: sensor_frame(),
    "weather": lambda: weather_frame(),
    "weather_without_optional": lambda: weather_frame(optional=False),
}
SUITE_OF = {"weather_without_optional": "weather"}


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray] | None]]:
    """Per frame: GX's failing rows, the fast path's, and the hand-written expectation (if any)."""
    out = {}
    for key, make in FRAMES.items():
        prepared, expected = make()
        suite = SUITE_OF.get(key, key)
        out[key] = (
            gx_failing_rows(prepared, suite),
            failing_rows(prepared, load_suite(suite)),
            expected,
        )
    out["meter_readings_synthetic"] = (
        gx_failing_rows(prepared := synthetic_frame(), "meter_readings"),
        failing_rows(prepared, load_suite("meter_readings")),
        None,
    )
    for name in ("meter_readings", "sensor_readings", "weather"):
        prepared = random_frame(name)
        out[f"{name}_random"] = (
            gx_failing_rows(prepared, name),
            failing_rows(prepared, load_suite(name)),
            None,
        )
    return out


CASES = [
    (frame, reason)
    for frame, suite in [
        ("meter_readings", "meter_readings"),
        ("meter_readings_synthetic", "meter_readings"),
        ("meter_readings_random", "meter_readings"),
        ("sensor_readings", "sensor_readings"),
        ("sensor_readings_random", "sensor_readings"),
        ("weather", "weather"),
        ("weather_random", "weather"),
    ]
    for reason in load_suite(suite).reasons
]


def _diff(a: np.ndarray, b: np.ndarray) -> str:
    rows = np.flatnonzero(a != b)
    return f"rows {rows[:20].tolist()} (GX {a[rows[:20]].tolist()}, fast {b[rows[:20]].tolist()})"


@pytest.mark.parametrize(("frame", "reason"), CASES, ids=[f"{f}-{r}" for f, r in CASES])
def test_fast_path_flags_the_rows_gx_flags(runs, frame: str, reason: str) -> None:
    gx_rows, fast_rows, _ = runs[frame]
    assert np.array_equal(gx_rows[reason], fast_rows[reason]), _diff(gx_rows[reason], fast_rows[reason])


@pytest.mark.parametrize("frame", list(FRAMES))
def test_hand_built_frames_fail_as_intended(runs, frame: str) -> None:
    """Each hand-written row fails exactly the expectations it was written to fail, under GX."""
    gx_rows, fast_rows, expected = runs[frame]
    assert set(gx_rows) == set(fast_rows) == set(expected)
    for reason, want in expected.items():
        assert np.array_equal(gx_rows[reason], want), f"{reason}: {_diff(gx_rows[reason], want)}"


@pytest.mark.parametrize("frame", ["meter_readings", "sensor_readings", "weather"])
def test_every_reason_is_exercised_and_some_rows_are_valid(runs, frame: str) -> None:
    gx_rows, _, _ = runs[frame]
    assert all(mask.any() for mask in gx_rows.values()), [r for r, m in gx_rows.items() if not m.any()]
    assert (~np.logical_or.reduce(list(gx_rows.values()))).sum() >= 3


def test_optional_columns_are_skipped_like_the_fast_path(runs) -> None:
    gx_rows, fast_rows, _ = runs["weather_without_optional"]
    assert "ghi_out_of_range" not in gx_rows and "wind_speed_out_of_range" not in gx_rows
    assert list(gx_rows) == list(fast_rows)


def test_synthetic_feed_exercises_the_generated_faults(runs) -> None:
    gx_rows, _, _ = runs["meter_readings_synthetic"]
    for reason in (
        "kwh_missing",
        "unknown_meter",
        "duplicate",
        "conflicting_duplicate",
        "timestamp_off_15min_grid",
        "timestamp_in_future",
        "kwh_negative",
        "kwh_above_class_max",
    ):
        assert gx_rows[reason].any(), reason


@pytest.mark.parametrize("name", ["meter_readings", "sensor_readings", "weather"])
def test_gx_suite_holds_every_expectation_in_order(name: str) -> None:
    suite = gx_suite(name)
    ours = load_suite(name)
    assert suite.name == name
    assert [e.meta["reason"] for e in suite.expectations] == ours.reasons
    assert [e.expectation_type for e in suite.expectations] == [e.type for e in ours.expectations]


@pytest.mark.parametrize("name", ["meter_readings", "sensor_readings"])
def test_suite_types_are_gx_registry_names(name: str) -> None:
    from great_expectations.expectations.registry import get_expectation_impl

    for e in load_suite(name).expectations:
        get_expectation_impl(e.type)
