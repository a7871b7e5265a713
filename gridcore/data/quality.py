"""Data-quality records of a validation run: counts per reason, and the quarantine rows.

Both are run-keyed tables in the store (see :mod:`gridcore.store`): a rerun of the same run id replaces
its rows. Run ids are deterministic (``hourly/2016-07-01T14:00Z``, ``ingest/<file sha256>``), so the
store after a rerun is the store after one run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.data.contracts import ValidationResult
from gridcore.data.validation import load_suite

#: The incoming contracts, each with a suite in ``expectations/``.
SUITES = ("meter_readings", "sensor_readings", "weather")


def all_reasons() -> list[str]:
    """Quarantine reasons of every suite, in suite order, each once."""
    out: list[str] = []
    for name in SUITES:
        out += [r for r in load_suite(name).reasons if r not in out]
    return out


def quality_table(
    result: ValidationResult, run_id: str, source: str, hour: pd.Timestamp | None
) -> xr.Dataset:
    """One row of quality counts for a run.

    Parameters
    ----------
    result : ValidationResult
    run_id : str
    source : str
        Input name (``ami`` for the head-end feed, a file name for an import).
    hour : pd.Timestamp, optional
        UTC hour of an hourly run; NaT for an import.

    Returns
    -------
    xr.Dataset
        Dim ``run`` (1) x ``reason`` (the reasons of every suite, so runs of all contracts line up):
        ``quarantined`` (count); per run ``readings_in``, ``readings_valid``, ``out_of_order``, ``hour``,
        ``source``, ``contract``, ``run_id``.
    """
    counts = result.quarantined
    reasons = np.asarray(all_reasons(), dtype=str)
    return xr.Dataset(
        {
            "quarantined": (
                ("run", "reason"),
                np.array([[counts.get(r, 0) for r in reasons]], dtype=np.int64),
            ),
            "readings_in": ("run", np.array([result.readings_in], dtype=np.int64)),
            "readings_valid": ("run", np.array([result.readings_valid], dtype=np.int64)),
            "out_of_order": ("run", np.array([result.out_of_order], dtype=np.int64)),
            "hour": ("run", np.array([_naive_utc(hour)], dtype="datetime64[ns]")),
            "source": ("run", np.array([source], dtype=str)),
            "contract": ("run", np.array([result.contract], dtype=str)),
            "run_id": ("run", np.array([run_id], dtype=str)),
        },
        coords={"run": np.array([run_id], dtype=str), "reason": reasons},
    )


def quarantine_table(result: ValidationResult, run_id: str, source: str) -> xr.Dataset:
    """The quarantine rows of a run as a dataset along ``record``.

    Parameters
    ----------
    result : ValidationResult
    run_id : str
    source : str
        Input name.

    Returns
    -------
    xr.Dataset
        Dim ``record``: ``run_id``, ``source``, ``contract`` (the suite), ``row`` (position in the input),
        ``line`` (line number in the file; -1 for a feed or a Parquet file), ``id`` (meter, sensor or
        station), ``timestamp``, ``reading`` (fields as received, text), ``reason``, ``expectation``,
        ``value`` (the offending field as received; the line as written for ``row_malformed``).
    """
    q = result.quarantine
    n = len(q)
    data = {
        c: ("record", q[c].to_numpy().astype(str))
        for c in ("id", "timestamp", "reading", "reason", "expectation", "value")
    }
    data["row"] = ("record", q["row"].to_numpy().astype(np.int64))
    data["line"] = ("record", q["line"].to_numpy().astype(np.int64))
    for name, text in (("run_id", run_id), ("source", source), ("contract", result.contract)):
        data[name] = ("record", np.full(n, text, dtype=f"<U{max(len(text), 1)}"))
    return xr.Dataset(data, coords={"record": np.arange(n)})


@dataclass(frozen=True)
class RunSummary:
    """The figures of a run of the meter feed (an hourly cycle or an import).

    Attributes
    ----------
    readings_in, readings_valid : int
    quarantined : dict of str to int
        Readings quarantined, per reason.
    out_of_order : int
        Valid readings that arrived out of time order (kept and sorted).
    feeders : int
        Feeders of the system.
    system_p_mw : float, optional
        Mean estimated system load over the quarter hours written [MW]; None without loads.
    coverage_pct_min : float, optional
        Lowest feeder coverage (meters reporting / meters expected) [%]; None without loads.
    """

    readings_in: int
    readings_valid: int
    quarantined: dict[str, int]
    out_of_order: int
    feeders: int
    system_p_mw: float | None = None
    coverage_pct_min: float | None = None

    def to_dict(self) -> dict[str, object]:
        """The figures as the CLI prints them; ``system_p_mw`` and ``coverage_pct_min`` only with loads."""
        out: dict[str, object] = {
            "readings_in": self.readings_in,
            "readings_valid": self.readings_valid,
            "quarantined": dict(self.quarantined),
            "out_of_order": self.out_of_order,
            "feeders": self.feeders,
        }
        if self.system_p_mw is not None:
            out["system_p_mw"] = self.system_p_mw
            out["coverage_pct_min"] = self.coverage_pct_min
        return out


def run_summary(result: ValidationResult, feeders: list[str], loads: xr.Dataset | None) -> RunSummary:
    """The figures of a run.

    Parameters
    ----------
    result : ValidationResult
    feeders : list of str
        Feeders of the system.
    loads : xr.Dataset, optional
        Quarter-hour feeder loads written by the run: ``p_mw`` [MW] and ``coverage_pct`` [%] per feeder.

    Returns
    -------
    RunSummary
        With ``system_p_mw`` (mean estimated total [MW]) and ``coverage_pct_min`` (lowest feeder
        coverage [%]) when ``loads`` has time steps.
    """
    system_p_mw = coverage_pct_min = None
    if loads is not None and loads.sizes.get("time", 0):
        system_p_mw = round(float(loads["p_mw"].sum("feeder", skipna=False).mean()), 4)
        coverage_pct_min = round(float(loads["coverage_pct"].min()), 3)
    return RunSummary(
        readings_in=result.readings_in,
        readings_valid=result.readings_valid,
        quarantined=dict(result.quarantined),
        out_of_order=result.out_of_order,
        feeders=len(feeders),
        system_p_mw=system_p_mw,
        coverage_pct_min=coverage_pct_min,
    )


def summary_markdown(title: str, summary: RunSummary | Mapping[str, object]) -> str:
    """A short Markdown report of a run (readings in, quarantined by reason, feeders updated)."""
    if isinstance(summary, RunSummary):
        summary = summary.to_dict()
    lines = [f"# {title}", "", "| figure | value |", "|---|---|"]
    for key, value in summary.items():
        if key != "quarantined":
            lines.append(f"| {key} | {value} |")
    quarantined = summary.get("quarantined") or {}
    lines += ["", "## Quarantined by reason", ""]
    if quarantined:
        lines += ["| reason | readings |", "|---|---|"]
        lines += [f"| {r} | {n} |" for r, n in quarantined.items()]  # type: ignore[union-attr]
    else:
        lines.append("none")
    return "\n".join(lines) + "\n"


def _naive_utc(hour: pd.Timestamp | None) -> np.datetime64:
    """A UTC timestamp as naive ``datetime64[ns]`` (NaT for None)."""
    if hour is None:
        return np.datetime64("NaT", "ns")
    return pd.Timestamp(hour).tz_convert("UTC").tz_localize(None).to_datetime64()


@dataclass(frozen=True)
class FeedSummary:
    """The figures of one validated feed (sensors, weather).

    Attributes
    ----------
    readings_in, readings_valid : int
        Rows received and rows kept.
    quarantined : dict of str to int
        Rows quarantined, per reason (reasons with none left out), in the suite's order.
    """

    readings_in: int
    readings_valid: int
    quarantined: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        """``readings_in``, ``readings_valid``, ``quarantined``: the JSON the hourly flow reports."""
        return {
            "readings_in": self.readings_in,
            "readings_valid": self.readings_valid,
            "quarantined": dict(self.quarantined),
        }


def feed_summary(result: ValidationResult) -> FeedSummary:
    """The figures of one feed: rows in, rows valid and quarantined rows per reason."""
    return FeedSummary(int(result.readings_in), int(result.readings_valid), dict(result.quarantined))
