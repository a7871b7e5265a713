"""Anomalies and the monitoring report: what was found, where, how bad, and the numbers behind it.

An anomaly is one row of a table: ``type`` (one of :data:`TYPES`), ``severity`` (``low``, ``medium``,
``high``), ``place_kind`` (``meter``, ``sensor``, ``feeder``, ``bus``, ``line``, ``trafo``, ``series``),
``place`` (its id), ``start`` and ``end`` (UTC, the first and last flagged interval start) and
``evidence`` (a dict of the numbers that made the call, units in the key names). The detectors return
such tables (:func:`anomaly_table`); :class:`MonitorReport` gathers them for one hour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Anomaly types, by family: meters, sensors, the network, forecasts.
TYPES = (
    "zero_reading",
    "stuck_reading",
    "reverse_flow",
    "sudden_jump",
    "tampering",
    "sensor_flatline",
    "sensor_out_of_range",
    "sensor_disagreement",
    "voltage_excursion",
    "loading_excursion",
    "forecast_error",
    "model_drift",
)
SEVERITIES = ("low", "medium", "high")
COLUMNS = ["type", "severity", "place_kind", "place", "start", "end", "evidence"]


def anomaly_table(
    kind: str,
    severity: np.ndarray | list[str],
    place_kind: str,
    place: np.ndarray | list[str],
    start: pd.DatetimeIndex | list[pd.Timestamp],
    end: pd.DatetimeIndex | list[pd.Timestamp],
    evidence: list[dict[str, object]],
) -> pd.DataFrame:
    """Rows of anomalies of one type, in the columns of :data:`COLUMNS`.

    Parameters
    ----------
    kind : str
        One of :data:`TYPES`.
    severity : array of str
        ``low``, ``medium`` or ``high`` per row.
    place_kind : str
        What ``place`` names (``meter``, ``sensor``, ``feeder``, ...).
    place : array of str
        Id per row.
    start, end : sequence of pd.Timestamp
        UTC interval start of the first and last flagged step.
    evidence : list of dict
        The numbers per row.

    Returns
    -------
    pd.DataFrame
    """
    n = len(evidence)
    return pd.DataFrame(
        {
            "type": np.full(n, kind, dtype=object),
            "severity": np.asarray(severity, dtype=object),
            "place_kind": np.full(n, place_kind, dtype=object),
            "place": np.asarray(place, dtype=object).astype(str),
            "start": pd.DatetimeIndex(start, tz="UTC") if n else pd.DatetimeIndex([], tz="UTC"),
            "end": pd.DatetimeIndex(end, tz="UTC") if n else pd.DatetimeIndex([], tz="UTC"),
            "evidence": evidence,
        },
        columns=COLUMNS,
    )


def empty_table() -> pd.DataFrame:
    """An anomaly table without rows."""
    return anomaly_table("zero_reading", [], "meter", [], [], [], [])


def concat(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Anomaly tables as one, ordered by severity (high first), type and place."""
    tables = [t for t in tables if len(t)]
    if not tables:
        return empty_table()
    out = pd.concat(tables, ignore_index=True)
    rank = out["severity"].map({s: -i for i, s in enumerate(SEVERITIES)})
    order = np.lexsort((out["place"].to_numpy(), out["type"].to_numpy(), rank.to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def rounded(value: float, digits: int = 4) -> float | None:
    """A float for the evidence: rounded, None for NaN."""
    value = float(value)
    return None if not np.isfinite(value) else round(value, digits)


@dataclass
class MonitorReport:
    """The anomalies of one hour and what the monitor could not look at.

    Attributes
    ----------
    at : pd.Timestamp
        UTC start of the hour monitored.
    anomalies : pd.DataFrame
        Columns :data:`COLUMNS`, high severity first.
    checked : dict
        What was looked at per family (``meters``, ``sensors``, ...: counts of places).
    missing : list of str
        What the store lacked, one line each, with the command that makes it.
    seconds : float
        Wall time [s].
    sources : dict
        Where each family's inputs came from (``network``: stored periods or a power flow).
    """

    at: pd.Timestamp
    anomalies: pd.DataFrame
    checked: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sources: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, dict[str, int]]:
        """Anomalies per type and severity (types without any left out)."""
        out: dict[str, dict[str, int]] = {}
        for (kind, severity), n in self.anomalies.groupby(["type", "severity"]).size().items():
            out.setdefault(str(kind), dict.fromkeys(SEVERITIES, 0))[str(severity)] = int(n)
        return {k: out[k] for k in TYPES if k in out}

    def high(self) -> pd.DataFrame:
        """The high-severity anomalies."""
        return self.anomalies[self.anomalies["severity"] == "high"]

    def records(self, limit: int | None = None) -> list[dict[str, object]]:
        """Anomalies as JSON-ready dicts (the first ``limit``, high severity first)."""
        rows = self.anomalies if limit is None else self.anomalies.head(limit)
        return [
            {
                "type": r.type,
                "severity": r.severity,
                "place_kind": r.place_kind,
                "place": r.place,
                "start": f"{r.start:%Y-%m-%dT%H:%M:%SZ}",
                "end": f"{r.end:%Y-%m-%dT%H:%M:%SZ}",
                "evidence": r.evidence,
            }
            for r in rows.itertuples(index=False)
        ]

    def to_dict(self, limit: int | None = None) -> dict[str, object]:
        """JSON-ready: ``at``, ``total``, ``counts``, ``by_severity``, ``anomalies`` and the rest.

        ``counts`` is type -> severity -> n; ``anomalies`` all of them, or the first ``limit``.
        """
        sev = self.anomalies["severity"].value_counts()
        return {
            "at": f"{self.at:%Y-%m-%dT%H:%M:%SZ}",
            "total": len(self.anomalies),
            "counts": self.counts(),
            "by_severity": {s: int(sev.get(s, 0)) for s in SEVERITIES},
            "checked": self.checked,
            "missing": self.missing,
            "sources": self.sources,
            "anomalies": self.records(limit),
            "seconds": round(self.seconds, 3),
        }


def flagged(flags: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Places with any flagged step, their first, last and worst flagged step.

    Parameters
    ----------
    flags : np.ndarray
        bool, place x step.
    score : np.ndarray
        place x step; the worst step is the flagged one with the highest score.

    Returns
    -------
    rows, first, last, worst : np.ndarray
        int arrays, one entry per flagged place.
    """
    rows = np.flatnonzero(flags.any(axis=1))
    f = flags[rows]
    first = f.argmax(axis=1)
    last = f.shape[1] - 1 - f[:, ::-1].argmax(axis=1)
    masked = np.where(f, np.nan_to_num(score[rows], nan=-np.inf), -np.inf)
    worst = masked.argmax(axis=1)
    return rows, first, last, worst


def run_length(mask: np.ndarray) -> np.ndarray:
    """Length of the run of True ending at each step (0 where False), along the last axis."""
    n = mask.shape[-1]
    idx = np.broadcast_to(np.arange(n), mask.shape)
    last_false = np.maximum.accumulate(np.where(~mask, idx, -1), axis=-1)
    return np.where(mask, idx - last_false, 0)


def combine(reports: list[MonitorReport], at: pd.Timestamp) -> MonitorReport:
    """The reports of several hours as one (a day's): an anomaly found in more than one hour counted once.

    Consecutive hours' windows overlap (each looks back :data:`gridcore.monitor.hour.LOOKBACK_H` hours), so
    a meter stuck for six hours is found by each of them: per ``type`` and ``place`` the row of the highest
    severity (of the latest hour among equals) is kept, with the first ``start`` and the last ``end`` of all.

    Parameters
    ----------
    reports : list of MonitorReport
        One per hour, in any order.
    at : pd.Timestamp
        UTC start of the span monitored (the day).

    Returns
    -------
    MonitorReport
        ``checked``: the most places of each family in any hour, plus ``hours``; ``missing``: each line
        once, in the order first said; ``seconds``: the hours' sum [s].
    """
    ordered = sorted(reports, key=lambda r: r.at)
    tables = [r.anomalies for r in ordered if len(r.anomalies)]
    checked: dict[str, int] = {}
    sources: dict[str, str] = {}
    for r in ordered:
        for k, v in r.checked.items():
            checked[k] = max(checked.get(k, 0), int(v))
        sources.update(r.sources)
    checked["hours"] = len(ordered)
    missing = list(dict.fromkeys(m for r in ordered for m in r.missing))
    seconds = float(sum(r.seconds for r in ordered))
    if not tables:
        return MonitorReport(at, empty_table(), checked, missing, seconds, sources)
    rows = pd.concat(tables, ignore_index=True)
    span = rows.groupby(["type", "place"], sort=False).agg(first=("start", "min"), last=("end", "max"))
    rank = rows["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).to_numpy()
    order = np.lexsort((np.arange(len(rows)), rank))  # ascending severity, then hour: the last row wins
    kept = rows.iloc[order].drop_duplicates(["type", "place"], keep="last").set_index(["type", "place"])
    kept["start"], kept["end"] = span["first"], span["last"]
    return MonitorReport(at, concat([kept.reset_index()[COLUMNS]]), checked, missing, seconds, sources)
