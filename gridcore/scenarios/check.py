"""The power-flow check of a scenario's hours: constraint periods, hourly extremes and the MW needed.

The hours are solved in segments of the same topology and supply limit (a maintenance outage or an
import limit holds during the event only); line loadings are divided by the hour's heat derating before
the constraint periods are found, so a derated line is overloaded at a lower current
(:func:`gridcore.network.constraints.constraint_periods` does the rest: the periods and the MW of relief).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.network.constraints import ConstraintPeriod, Injections, constraint_periods
from gridcore.network.timeseries import Limits, run_timeseries
from gridcore.scenarios.perturb import ScenarioGrid


@dataclass(frozen=True)
class Check:
    """What a power flow of the scenario's hours says.

    Attributes
    ----------
    periods : list of ConstraintPeriod
    hourly : pd.DataFrame
        Per hour: ``max_line_loading_pct`` (derated rating), ``max_trafo_loading_pct``, ``vm_min_pu``,
        ``vm_max_pu``, ``net_demand_mw`` (loads minus generation), ``converged``.
    need_import_mw, need_export_mw : np.ndarray
        Per hour, the largest relief any period asks for: load to take off, generation to take off [MW].
    """

    periods: list[ConstraintPeriod]
    hourly: pd.DataFrame
    need_import_mw: np.ndarray
    need_export_mw: np.ndarray

    def counts(self) -> dict[str, int]:
        """Periods per kind."""
        out = {k: 0 for k in ("shortfall", "overload", "undervoltage", "overvoltage")}
        for p in self.periods:
            out[p.kind] += 1
        return out


def segments(sg: ScenarioGrid, event: np.ndarray) -> list[tuple[int, int]]:
    """Runs ``[k, j)`` of hours with the same topology and supply limit."""
    key = [(bool(e) and sg.event_net is not None, float(s)) for e, s in zip(event, sg.supply_mw, strict=True)]
    out, k = [], 0
    while k < len(key):
        j = k
        while j < len(key) and key[j] == key[k]:
            j += 1
        out.append((k, j))
        k = j
    return out


def check(
    sg: ScenarioGrid,
    injections: Injections,
    times: pd.DatetimeIndex,
    event: np.ndarray,
    limits: Limits | None = None,
) -> Check:
    """Run the power flow of every hour and find the constraint periods.

    Parameters
    ----------
    sg : ScenarioGrid
    injections : Injections
        The hours' loads and generation (after whatever remedies so far) [MW].
    times : pd.DatetimeIndex
        UTC hour starts.
    event : np.ndarray of bool
        Hours of the event (the maintenance topology applies in them).
    limits : Limits, optional

    Returns
    -------
    Check
    """
    periods: list[ConstraintPeriod] = []
    frames = []
    for k, j in segments(sg, event):
        net = sg.event_net if (event[k] and sg.event_net is not None) else sg.net
        part = injections.part(slice(k, j))
        result = run_timeseries(net, times[k:j], part.load_p_mw, part.load_q_mvar, part.sgen_p_mw)
        result.line_loading_pct = result.line_loading_pct.div(sg.line_rating_factor[k:j], axis=0)
        limit = float(sg.supply_mw[k])
        periods += constraint_periods(net, result, part, limits, None if np.isinf(limit) else limit)
        frames.append(
            pd.DataFrame(
                {
                    "max_line_loading_pct": result.line_loading_pct.max(axis=1).to_numpy(),
                    "max_trafo_loading_pct": result.trafo_loading_pct.max(axis=1).to_numpy(),
                    "vm_min_pu": result.vm_pu.min(axis=1).to_numpy(),
                    "vm_max_pu": result.vm_pu.max(axis=1).to_numpy(),
                    "net_demand_mw": part.net_demand_mw(),
                    "converged": result.converged,
                },
                index=times[k:j],
            )
        )
    order = {"shortfall": 0, "overload": 1, "undervoltage": 2, "overvoltage": 3}
    periods.sort(key=lambda c: (c.start, order[c.kind], c.element))
    need_in = np.zeros(len(times))
    need_out = np.zeros(len(times))
    pos = {t: i for i, t in enumerate(times)}
    for p in periods:
        rows = [pos[t] for t in pd.date_range(p.start, p.end, freq="1h", inclusive="left")]
        if p.relief_mw >= 0:
            need_in[rows] = np.maximum(need_in[rows], p.relief_mw)
        else:
            need_out[rows] = np.maximum(need_out[rows], -p.relief_mw)
    return Check(periods, pd.concat(frames), need_in, need_out)


def resolved(before: list[ConstraintPeriod], after: list[ConstraintPeriod]) -> int:
    """Periods of ``before`` with no violation of the same element and kind left in their hours."""
    count = 0
    for p in before:
        clash = any(
            q.element == p.element and q.kind == p.kind and q.start < p.end and p.start < q.end for q in after
        )
        count += not clash
    return count
