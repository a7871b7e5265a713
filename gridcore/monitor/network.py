"""Voltage and loading excursions of the hour, from the constraint periods of the look-ahead.

The look-ahead (:mod:`gridcore.lookahead`) runs the time-series power flow and keeps the periods in which
a bus leaves its voltage band or a line or transformer its loading limit; the monitor reports those that
cover the hour it looks at, graded by how far they go.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridcore.monitor.report import anomaly_table, concat, rounded

#: Loading at or above which an overload is high severity [%].
HIGH_LOADING_PCT = 120.0
#: Distance beyond the voltage band at or above which an excursion is high severity [p.u.].
HIGH_VOLTAGE_PU = 0.02


def excursions(periods: Sequence[object], at: pd.Timestamp, hours: int = 1) -> pd.DataFrame:
    """Anomalies of the constraint periods that overlap ``[at, at + hours)``.

    Parameters
    ----------
    periods : sequence of gridcore.network.constraints.ConstraintPeriod
        ``element`` (``line:12``, ``trafo:0``, ``bus:41``, ``supply``), ``kind`` (``overload``,
        ``undervoltage``, ``overvoltage``, ``shortfall``), ``start``, ``end`` (UTC, half-open),
        ``worst`` (% for overloads, p.u. for voltages, MW for a shortfall), ``limit``, ``relief_mw``.
    at : pd.Timestamp
        UTC start of the window.
    hours : int
        Window length [h].

    Returns
    -------
    pd.DataFrame
        Anomaly table of types ``voltage_excursion`` (undervoltage, overvoltage) and
        ``loading_excursion`` (overload, supply shortfall); place: the element.
    """
    end = at + pd.Timedelta(hours=hours)
    rows = [p for p in periods if p.start < end and p.end > at]  # type: ignore[attr-defined]
    tables = []
    for kind in ("voltage_excursion", "loading_excursion"):
        mine = [
            p for p in rows if (p.kind in ("undervoltage", "overvoltage")) == (kind == "voltage_excursion")
        ]  # type: ignore[attr-defined]
        if not mine:
            continue
        severity = []
        for p in mine:
            if p.kind == "overload":  # type: ignore[attr-defined]
                high = p.worst >= HIGH_LOADING_PCT  # type: ignore[attr-defined]
            elif p.kind == "shortfall":  # type: ignore[attr-defined]
                high = True
            else:
                high = abs(p.worst - p.limit) >= HIGH_VOLTAGE_PU  # type: ignore[attr-defined]
            severity.append("high" if high else "medium")
        element = [str(p.element) for p in mine]  # type: ignore[attr-defined]
        tables.append(
            anomaly_table(
                kind,
                severity,
                "element",
                element,
                [max(p.start, at) for p in mine],  # type: ignore[attr-defined]
                [min(p.end, end) - pd.Timedelta(hours=1) for p in mine],  # type: ignore[attr-defined]
                [
                    {
                        "kind": p.kind,  # type: ignore[attr-defined]
                        "worst": rounded(p.worst),  # type: ignore[attr-defined]
                        "limit": rounded(p.limit),  # type: ignore[attr-defined]
                        "relief_mw": rounded(p.relief_mw),  # type: ignore[attr-defined]
                        "period_start": f"{p.start:%Y-%m-%dT%H:%MZ}",  # type: ignore[attr-defined]
                        "period_end": f"{p.end:%Y-%m-%dT%H:%MZ}",  # type: ignore[attr-defined]
                    }
                    for p in mine
                ],
            )
        )
    out = concat(tables)
    if len(out):
        out["place_kind"] = np.where(
            out["place"].str.contains(":"), out["place"].str.split(":").str[0], out["place"]
        )
    return out
