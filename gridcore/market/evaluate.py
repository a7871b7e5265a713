"""Pricing strategies side by side: flat, TOU, CPP, RTP and the optimized signal over whole months.

For each month (a summer and a winter one by default) every strategy runs on the month's demand and
renewables (:func:`gridcore.market.inputs.market_inputs`) with the same response model, and the
effectiveness metrics (:mod:`gridcore.market.metrics`) are tabulated. The optimized signal is the
least-bill-impact signal reaching the target cut of the month's net-load peak
(:func:`gridcore.market.optimize.optimize_signal`), with the CPP that reaches the same target
(:func:`gridcore.market.objectives.cpp_at_target`) beside it.
"""

from __future__ import annotations

import re

import pandas as pd

from gridcore.errors import InputError
from gridcore.market.inputs import market_inputs
from gridcore.market.metrics import bill_impact_pct
from gridcore.market.objectives import cpp_at_target
from gridcore.market.optimize import optimize_signal
from gridcore.market.whatif import WhatIf, whatif
from gridcore.network.grid import GridModel

#: Columns of the comparison.
COLUMNS = (
    "peak_reduction_pct",
    "system_peak_reduction_pct",
    "net_peak_reduction_pct",
    "peak_to_average",
    "peak_to_average_before",
    "shifted_mwh",
    "rebound_peak_mw",
    "renewable_absorbed_mwh",
    "revenue_change_pct",
    "supply_cost_change_pct",
)


def month_hours(month: str) -> tuple[pd.Timestamp, int]:
    """UTC start and length [h] of a month ``YYYY-MM``.

    Raises
    ------
    InputError
        Not a ``YYYY-MM`` month.
    """
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise InputError(f"month {month!r} is not YYYY-MM", field="month")
    start = pd.Timestamp(f"{month}-01T00:00Z")
    end = start + pd.offsets.MonthBegin(1)
    return start, int((end - start) / pd.Timedelta(hours=1))


def _row(season: str, month: str, scheme: str, result: WhatIf) -> dict[str, object]:
    m = result.metrics
    return {
        "season": season,
        "month": month,
        "scheme": scheme,
        **{c: m[c] for c in COLUMNS},
        "bill_change_pct": m["bill_change_pct"],
        "bill_impact_pct": round(bill_impact_pct(m["bill_change_pct"]), 4),  # type: ignore[arg-type]
        "peak_hours": m["peak_hours"],
    }


def evaluate_months(
    grid: GridModel, months: dict[str, str], target_pct: float = 10.0, model: str = "saturating"
) -> pd.DataFrame:
    """Every strategy over every month (module docstring).

    Parameters
    ----------
    grid : GridModel
    months : dict of str to str
        Season label -> month ``YYYY-MM``.
    target_pct : float
        Net-load peak cut of the optimized signal and of the CPP at target [%].
    model : str
        Response model.

    Returns
    -------
    pd.DataFrame
        One row per month and strategy (``flat``, ``tou``, ``cpp``, ``rtp``, ``cpp_at_target``,
        ``optimized``); ``attrs`` hold the grid, months and sources.
    """
    rows = []
    sources = {}
    for season, month in months.items():
        start, n = month_hours(month)
        inputs = market_inputs(grid, start, n)
        sources[season] = inputs.source
        for scheme in ("flat", "tou", "cpp", "rtp"):
            rows.append(_row(season, month, scheme, whatif(inputs, scheme, model)))
        cpp, reached = cpp_at_target(inputs, target_pct)
        row = _row(season, month, "cpp_at_target", cpp)
        row["reached"] = reached
        rows.append(row)
        p = cpp.signal.params
        opt = optimize_signal(
            inputs,
            target_pct,
            extra_levels_per_kwh=(float(p["peak_per_kwh"]), float(p["offpeak_per_kwh"])),  # type: ignore[arg-type]
        )
        row = _row(season, month, "optimized", opt.result)
        row["reached"] = bool(opt.result.metrics["net_peak_reduction_pct"] >= target_pct - 0.01)  # type: ignore[operator]
        row["solve_seconds"] = round(opt.seconds, 3)
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs.update({"grid": grid.code, "months": months, "source": sources})
    return table
