"""Benchmark: day-ahead demand forecast accuracy on the GEFCom2012 load track (20 zones and their sum).

Run by hand::

    uv run python bench/bench_gefcom2012.py [ZONES_CSV [TEMPERATURE_CSV]] [--test-days 56]
        [--zones 1,4,9,total] [--tz America/New_York | --tz infer] [--no-align] [--out FILE]

For each zone, a frame with an hourly UTC index, ``load_mw`` (the zone) and the 11 stations as
``temperature_c_station_<k>`` (the backtest averages them) goes through
:func:`gridcore.forecast.backtest.backtest` with the LightGBM model, ``horizon=24`` and observed weather:
an **ex-post** forecast (perfect temperature), daily 00:00 UTC origins over the last ``--test-days`` days
that have load, the seasonal naive (same hour a week earlier) scored on the same hours. The system total
(sum of the 20 zones, counting zone 7 = zone 3 twice as the competition's zone 21 does) is run as a 21st
series. One process, LightGBM on one thread.

Local time. The data file was put on the UTC axis assuming ``America/New_York`` (see the data README), so
that zone gives back the source's local clock exactly, and it is passed to the backtest by default.
``--tz infer`` lets the backtest infer the zone from each load profile instead; on these data the
inference is unstable (the per-series inferred zone is recorded in the output either way).

Alignment. Each frame starts at its first 00:00 UTC hour (2004-01-02T00:00Z; the files start at 05:00Z).
The backtest trains on origins at positions ``24 * 8 + 24 k`` of the frame whenever the history is
shorter than its 6-year ``train_days``; only a frame starting at 00:00 UTC puts them at the hour of the
test origins. ``--no-align`` keeps the files' start (training origins at 05:00Z, test origins at 00:00Z:
zone 3 then scores 12.5 % instead of 3.5 %, with a +11 % mean bias).

Data checks on the scored hours of each series (the MAPE of :mod:`gridcore.forecast.metrics` leaves out
NaN and exact-zero actuals only, so near-zero readings count in full):

* ``outage``: a scored hour at or below 5 % of the series' median over the scored hours (a dropout or an
  outage; a percentage error against it is meaningless). Such zones are left out of the
  ``excluding_broken`` mean; their MAPE with those hours masked is given beside.
* ``intermittent``: more than 5 % of scored hours below half the median (recurring shutdowns). Left out
  of the ``excluding_broken_and_intermittent`` mean.
* ``duplicate_of``: identical at every hour to another zone (zone 7 = zone 3 in GEFCom2012).

Output: ``bench/out/gefcom2012.json`` (rewritten after every series) and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridcore.forecast import metrics
from gridcore.forecast.backtest import backtest, infer_timezone
from gridcore.forecast.models import make_model
from gridcore.forecast.weather import ObservedWeather


def _sources() -> dict[str, str]:
    """Path and SHA-256 (12 hex digits) of every ``gridcore`` module imported, read at import time.

    The working tree may change while a run lasts; this records the code the run actually loaded.
    """
    out = {}
    for name, module in sorted(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if name.startswith("gridcore") and file:
            out[name] = f"{file} {hashlib.sha256(Path(file).read_bytes()).hexdigest()[:12]}"
    return out


SOURCES = _sources()
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "gefcom2012.json"
DATA = Path("/work/shared/data/load")
ZONES_CSV = DATA / "gefcom2012_zones.csv.gz"
TEMPS_CSV = DATA / "gefcom2012_temperature.csv.gz"
LOCAL_TZ = "America/New_York"
N_ZONES = 20
#: An hour at or below this share of the median of the scored hours is an outage reading.
OUTAGE_SHARE = 0.05
#: A series with more than this share of scored hours below half its median is intermittent.
INTERMITTENT_SHARE = 0.05
#: Hours of load history a day-ahead origin's features reach back (two weeks).
HISTORY_H = 336


# -- data -------------------------------------------------------------------------------------------


def read_data(zones_path: Path, temps_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Zonal loads and station temperatures on one hourly UTC index.

    Parameters
    ----------
    zones_path : Path
        CSV with ``timestamp`` and ``zone_1_mw`` ... ``zone_20_mw`` [MW].
    temps_path : Path
        CSV with ``timestamp`` and ``station_1_c`` ... ``station_11_c`` [°C].

    Returns
    -------
    zones : pd.DataFrame
        Columns ``zone_<k>_mw``.
    temps : pd.DataFrame
        Columns ``temperature_c_station_<k>``, on the index of ``zones``.
    """
    zones = pd.read_csv(zones_path, parse_dates=["timestamp"]).set_index("timestamp").sort_index()
    temps = pd.read_csv(temps_path, parse_dates=["timestamp"]).set_index("timestamp").sort_index()
    for name, df in (("zones", zones), ("temperature", temps)):
        if str(df.index.tz) != "UTC":
            raise ValueError(f"{name} timestamps are not UTC")
        if df.index.has_duplicates or (df.index.to_series().diff().dropna() != pd.Timedelta(hours=1)).any():
            raise ValueError(f"{name} index is not regular hourly")
    missing = [f"zone_{k}_mw" for k in range(1, N_ZONES + 1) if f"zone_{k}_mw" not in zones.columns]
    if missing:
        raise ValueError(f"zone columns missing: {missing}")
    stations = [c for c in temps.columns if c.startswith("station_") and c.endswith("_c")]
    temps = temps[stations].rename(columns=lambda c: "temperature_c_" + c[: -len("_c")])
    return zones, temps.reindex(zones.index)


def series_frame(load: pd.Series, temps: pd.DataFrame, align: bool = True) -> pd.DataFrame:
    """The backtest frame of one series: ``load_mw`` and the station temperatures.

    Parameters
    ----------
    load : pd.Series
        Hourly load [MW], UTC index.
    temps : pd.DataFrame
        Station temperatures [°C] on the same index.
    align : bool
        Start the frame at its first 00:00 UTC hour. When the history is shorter than the backtest's
        ``train_days`` (6 years; GEFCom2012 has 4.5), its training origins are positions ``24 * 8 + 24 k``
        of the frame, which fall at 00:00 UTC, the hour of the test origins, only if the frame starts
        there. The GEFCom2012 files start at 05:00Z, so without this the model is trained on 05:00Z
        origins and asked at 00:00Z ones.

    Returns
    -------
    pd.DataFrame
    """
    frame = pd.concat([load.rename("load_mw"), temps], axis=1)
    if align:
        frame = frame[frame.index >= frame.index[frame.index.hour == 0][0]]
    return frame


# -- checks -----------------------------------------------------------------------------------------


def history_checks(load: pd.Series) -> dict[str, Any]:
    """Whole-record facts: empty and zero hours, and the last year's level against the year before."""
    zeros = load.index[load.to_numpy() == 0]
    last = load.iloc[-24 * 365 :].mean()
    before = load.iloc[-24 * 730 : -24 * 365].mean()
    return {
        "empty_hours_in_record": int(load.isna().sum()),
        "zero_hours_in_record": [f"{t:%Y-%m-%dT%H:%MZ}" for t in zeros],
        "level_last_year_vs_year_before": round(float(last / before), 3) if before else None,
    }


def window_checks(forecasts: pd.DataFrame) -> dict[str, Any]:
    """Outages, shutdowns and gaps among the test hours of a backtest.

    Parameters
    ----------
    forecasts : pd.DataFrame
        :attr:`BacktestResult.forecasts`.

    Returns
    -------
    dict
        Counts, the lowest reading relative to the median, flags ``outage`` and ``intermittent``, the
        outage hours (UTC) and the MAPE of the model and the naive with those hours masked.
    """
    a = forecasts["actual"].to_numpy(dtype=float)
    known = np.isfinite(a)
    med = float(np.median(a[known]))
    low = known & (a <= OUTAGE_SHARE * med)
    half = known & (a < 0.5 * med)
    out: dict[str, Any] = {
        "test_hours": int(len(a)),
        "empty_hours": int((~known).sum()),
        "zero_hours": int((a[known] == 0).sum()),
        "median_mw": round(med, 3),
        "min_over_median": round(float(a[known].min() / med), 4),
        "hours_below_half_median": int(half.sum()),
        "hours_at_outage_level": int(low.sum()),
        "outage": bool(low.any()),
        "intermittent": bool(half.sum() > INTERMITTENT_SHARE * known.sum()),
    }
    if low.any():
        keep = known & ~low
        out["outage_hours"] = sorted({f"{t:%Y-%m-%dT%H:%MZ}" for t in forecasts.loc[low, "target"]})
        out["mape_pct_outage_masked"] = round(
            metrics.mape(a[keep], forecasts["forecast"].to_numpy()[keep]), 3
        )
        out["naive_mape_pct_outage_masked"] = round(
            metrics.mape(a[keep], forecasts["naive"].to_numpy()[keep]), 3
        )
    return out


def gap_checks(load: pd.Series, forecasts: pd.DataFrame) -> dict[str, Any]:
    """Scores of the test origins whose load history has empty hours, beside the other origins.

    An origin's features reach back ``HISTORY_H`` hours (same hour two weeks before the last lead); an
    empty hour there leaves some features empty at prediction.

    Parameters
    ----------
    load : pd.Series
        The series' load on its hourly UTC index.
    forecasts : pd.DataFrame
        :attr:`BacktestResult.forecasts`.

    Returns
    -------
    dict
        ``origins_with_gap`` (UTC dates) and the model and naive MAPE on those origins and on the rest.
    """
    empty = load.isna().to_numpy()
    pos = load.index.get_indexer(forecasts["origin"].drop_duplicates())
    gap = {load.index[p] for p in pos if empty[max(p - HISTORY_H, 0) : p].any()}
    hit = forecasts["origin"].isin(gap).to_numpy()
    out: dict[str, Any] = {"origins_with_gap": sorted(f"{t:%Y-%m-%d}" for t in gap)}
    for label, part in (("gap", hit), ("clean", ~hit)):
        f = forecasts[part]
        ok = np.isfinite(f["actual"]) & np.isfinite(f["forecast"]) & np.isfinite(f["naive"])
        out[f"mape_pct_{label}_origins"] = round(metrics.mape(f["actual"][ok], f["forecast"][ok]), 3)
        out[f"naive_mape_pct_{label}_origins"] = round(metrics.mape(f["actual"][ok], f["naive"][ok]), 3)
    return out


def duplicates(zones: pd.DataFrame) -> dict[str, str]:
    """Zones identical at every hour to an earlier zone: ``{zone: earlier zone}``."""
    found: dict[str, str] = {}
    cols = list(zones.columns)
    for j, c in enumerate(cols):
        for earlier in cols[:j]:
            if earlier not in found and zones[c].equals(zones[earlier]):
                found[c] = earlier
                break
    return found


# -- one series -------------------------------------------------------------------------------------


def run_series(frame: pd.DataFrame, test_days: int, tz: str | None) -> tuple[dict[str, Any], pd.DataFrame]:
    """Backtest one series with LightGBM and observed weather.

    Parameters
    ----------
    frame : pd.DataFrame
        From :func:`series_frame`.
    test_days : int
        Daily origins scored.
    tz : str or None
        Local time zone; None lets the backtest infer it.

    Returns
    -------
    summary : dict
        The backtest summary without the per-lead figures.
    forecasts : pd.DataFrame
        The backtest forecasts.
    """
    result = backtest(
        frame, make_model("lightgbm"), horizon=24, test_days=test_days, weather=ObservedWeather(), tz=tz
    )
    summary = {k: v for k, v in result.summary.items() if k not in {"per_lead", "model"}}
    return summary, result.forecasts


def row_of(name: str, summary: dict[str, Any], checks: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The per-series record of the output."""
    return {
        "series": name,
        "mape_pct": summary["mape_pct"],
        "naive_mape_pct": summary["baseline"]["mape_pct"],
        "skill_mape": summary["skill_mape"],
        "coverage_80_pct": summary["coverage_80_pct"],
        "coverage_90_pct": summary["coverage_90_pct"],
        "rmse_mw": summary["rmse_mw"],
        "naive_rmse_mw": summary["baseline"]["rmse_mw"],
        "n_origins": summary["n_origins"],
        "n_scored": summary["n_scored"],
        "seconds": round(seconds, 2),
        "backtest_seconds": summary["seconds"],
        "timezone": summary["timezone"],
        "refits": summary["refits"],
        "test_start": summary["test_start"],
        "test_end": summary["test_end"],
        "checks": checks,
    }


# -- summaries --------------------------------------------------------------------------------------


def mean_over(rows: list[dict[str, Any]], drop: dict[str, str], label: str) -> dict[str, Any]:
    """Mean MAPE and naive MAPE over the zone rows not in ``drop`` (``{series: reason}``)."""
    kept = [r for r in rows if r["series"] not in drop]
    return {
        "label": label,
        "n_zones": len(kept),
        "mape_pct": round(float(np.mean([r["mape_pct"] for r in kept])), 3) if kept else None,
        "naive_mape_pct": round(float(np.mean([r["naive_mape_pct"] for r in kept])), 3) if kept else None,
        "coverage_80_pct": round(float(np.mean([r["coverage_80_pct"] for r in kept])), 2) if kept else None,
        "mape_pct_clean_origins": _mean(kept, "mape_pct_clean_origins"),
        "naive_mape_pct_clean_origins": _mean(kept, "naive_mape_pct_clean_origins"),
        "excluded": drop,
    }


def _mean(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r["checks"][key] for r in rows if np.isfinite(r["checks"].get(key, np.nan))]
    return round(float(np.mean(values)), 3) if values else None


def means(rows: list[dict[str, Any]], dup: dict[str, str]) -> list[dict[str, Any]]:
    """The zone means: all, without broken zones, without broken and intermittent, without duplicates."""
    zones = [r for r in rows if r["series"] != "total"]
    broken = {
        r["series"]: (
            f"outage in the test window: {r['checks']['hours_at_outage_level']} h at <= "
            f"{OUTAGE_SHARE:.0%} of the median (lowest {r['checks']['min_over_median']:.2%} of it)"
        )
        for r in zones
        if r["checks"]["outage"]
    }
    shut = {
        r["series"]: (
            f"recurring shutdowns: {r['checks']['hours_below_half_median']} of "
            f"{r['n_scored']} scored h below half the median (lowest {r['checks']['min_over_median']:.1%})"
        )
        for r in zones
        if r["checks"]["intermittent"] and r["series"] not in broken
    }
    run = {r["series"] for r in zones}
    copies = {z: f"identical to {e} at every hour" for z, e in dup.items() if z in run and e in run}
    return [
        mean_over(zones, {}, "all zones run"),
        mean_over(zones, broken, "excluding zones with broken data in the test window"),
        mean_over(zones, {**broken, **shut}, "excluding broken and intermittent zones"),
        mean_over(zones, {**broken, **shut, **copies}, "excluding broken, intermittent and duplicate zones"),
    ]


def markdown(rows: list[dict[str, Any]], summary: list[dict[str, Any]]) -> str:
    """The results as a markdown table, with the means below it."""
    lines = [
        "| series | MAPE % | naive MAPE % | skill | cover 80 % | origins | scored h | s "
        "| MAPE / naive %, origins without gap in history | notes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        c = r["checks"]
        notes = []
        if c["outage"]:
            notes.append(
                f"outage {c['hours_at_outage_level']} h (MAPE {c['mape_pct_outage_masked']:.2f} / naive "
                f"{c['naive_mape_pct_outage_masked']:.2f} masked)"
            )
        if c["intermittent"]:
            notes.append(f"shutdowns: {c['hours_below_half_median']} h < median/2")
        if c.get("duplicate_of"):
            notes.append(f"= {c['duplicate_of']}")
        if c["zero_hours"]:
            notes.append(f"{c['zero_hours']} zero h")
        lines.append(
            f"| {r['series']} | {r['mape_pct']:.2f} | {r['naive_mape_pct']:.2f} | {r['skill_mape']:.3f} "
            f"| {r['coverage_80_pct']:.1f} | {r['n_origins']} | {r['n_scored']} | {r['seconds']:.0f} "
            f"| {c['mape_pct_clean_origins']:.2f} / {c['naive_mape_pct_clean_origins']:.2f} "
            f"| {'; '.join(notes)} |"
        )
    lines.append("")
    lines.append(
        "| mean over zones | n | MAPE % | naive MAPE % | cover 80 % "
        "| MAPE / naive %, origins without gap | excluded |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for m in summary:
        excl = "; ".join(f"{k}: {v}" for k, v in m["excluded"].items()) or "-"
        lines.append(
            f"| {m['label']} | {m['n_zones']} | {m['mape_pct']:.2f} | {m['naive_mape_pct']:.2f} "
            f"| {m['coverage_80_pct']:.1f} | {_num(m['mape_pct_clean_origins'])} / "
            f"{_num(m['naive_mape_pct_clean_origins'])} | {excl} |"
        )
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


# -- run --------------------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    """``value`` with NaN floats as None (strict JSON)."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git() -> dict[str, Any]:
    def run(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"head": run("rev-parse", "--short", "HEAD"), "dirty": run("status", "--porcelain").splitlines()}


def parse_zones(text: str) -> list[str]:
    """``all`` or a comma list of zone numbers and ``total`` -> series names."""
    if text == "all":
        return [f"zone_{k}" for k in range(1, N_ZONES + 1)] + ["total"]
    names = []
    for part in text.split(","):
        part = part.strip()
        if part == "total":
            names.append("total")
        elif part.isdigit() and 1 <= int(part) <= N_ZONES:
            names.append(f"zone_{int(part)}")
        else:
            raise argparse.ArgumentTypeError(f"unknown zone {part!r}: use 1..{N_ZONES} or total")
    return names


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zones_csv", nargs="?", type=Path, default=ZONES_CSV)
    parser.add_argument("temperature_csv", nargs="?", type=Path, default=TEMPS_CSV)
    parser.add_argument("--test-days", type=int, default=56, help="daily origins scored per series")
    parser.add_argument("--zones", type=parse_zones, default="all", help="'all' or e.g. 1,4,9,total")
    parser.add_argument(
        "--tz", default=LOCAL_TZ, help=f"local time zone of the load ({LOCAL_TZ}), or 'infer' per series"
    )
    parser.add_argument(
        "--align",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="start each frame at 00:00 UTC so training origins share the test origins' hour",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    names = args.zones if isinstance(args.zones, list) else parse_zones(args.zones)
    tz = None if args.tz == "infer" else args.tz

    t0 = time.perf_counter()
    zones, temps = read_data(args.zones_csv, args.temperature_csv)
    dup = duplicates(zones)
    total = zones.sum(axis=1, min_count=N_ZONES)
    report: dict[str, Any] = {
        "benchmark": "GEFCom2012 load track, day-ahead (horizon 24 h), rolling daily origins",
        "data": {
            "zones_csv": str(args.zones_csv),
            "zones_sha256": _sha256(args.zones_csv),
            "temperature_csv": str(args.temperature_csv),
            "temperature_sha256": _sha256(args.temperature_csv),
            "first": f"{zones.index[0]:%Y-%m-%dT%H:%MZ}",
            "last": f"{zones.index[-1]:%Y-%m-%dT%H:%MZ}",
            "duplicates": dup,
        },
        "setup": {
            "model": make_model("lightgbm").describe(),
            "weather": "observed station temperatures, mean of 11 stations (ex-post: perfect weather)",
            "horizon_h": 24,
            "test_days": args.test_days,
            "timezone": tz or "inferred per series",
            "frame_start": (
                f"{series_frame(total, temps, args.align).index[0]:%Y-%m-%dT%H:%MZ}"
                + (" (first 00:00 UTC: training origins at the test origins' hour)" if args.align else "")
            ),
            "total": "sum of zones 1-20 (zone 7 = zone 3 counted twice, as the competition's zone 21)",
            "outage_rule": f"a scored hour <= {OUTAGE_SHARE:.0%} of the median of the scored hours",
            "intermittent_rule": f"more than {INTERMITTENT_SHARE:.0%} of scored hours below half the median",
        },
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "git": _git(),
            "gridcore_sources": SOURCES,
        },
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "series": [],
    }
    rows: list[dict[str, Any]] = report["series"]
    for name in names:
        load = total if name == "total" else zones[f"{name}_mw"]
        frame = series_frame(load, temps, args.align)
        t1 = time.perf_counter()
        summary, forecasts = run_series(frame, args.test_days, tz)
        seconds = time.perf_counter() - t1
        checks = {**history_checks(load), **window_checks(forecasts), **gap_checks(load, forecasts)}
        checks["inferred_timezone"] = infer_timezone(load)
        if name != "total" and f"{name}_mw" in dup:
            checks["duplicate_of"] = dup[f"{name}_mw"].removesuffix("_mw")
        rows.append(row_of(name, summary, checks, seconds))
        report["means"] = means(rows, {k.removesuffix("_mw"): v.removesuffix("_mw") for k, v in dup.items()})
        report["seconds_total"] = round(time.perf_counter() - t0, 1)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(_json(report), indent=2, allow_nan=False) + "\n")
        r = rows[-1]
        print(
            f"{name:<8} MAPE {r['mape_pct']:8.3f} %  naive {r['naive_mape_pct']:8.3f} %  "
            f"cover80 {r['coverage_80_pct']:5.1f} %  {r['n_origins']} origins  {seconds:6.1f} s",
            file=sys.stderr,
            flush=True,
        )
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    args.out.write_text(json.dumps(_json(report), indent=2, allow_nan=False) + "\n")
    print(markdown(rows, report["means"]))
    print(f"\ntotal {report['seconds_total']:.0f} s; written {args.out}")


if __name__ == "__main__":
    main()
