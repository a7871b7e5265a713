"""The constraint look-ahead: the periods ahead on a grid, from its forecasts or a SimBench study case.

:func:`constraint_lookahead` puts the pieces together: the grid (:mod:`gridcore.network.grid_spec`), the
hourly injections (:mod:`gridcore.lookahead.inputs`: stored forecasts and battery schedules, else
the grid's profiles), the batch power flow per topology in force (:mod:`gridcore.network.timeseries`;
the store's topology changes apply to the default grid, whose elements they name) and the periods with
their relief (:mod:`gridcore.network.constraints`). With a study case it is one snapshot instead.

Storage units of a SimBench network (its 2034 scenario has them) are kept at the network's values in a
study case, as SimBench's own study-case evaluation does (the figures of issue 14, e.g. 120 % on the
transformer of ``1-LV-rural2--2-sw`` at ``hL``, include them); the time series leaves them out, since their
yearly profiles are not carried: batteries enter a look-ahead through the stored battery schedules.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.constraints import (
    ConstraintPeriod,
    constraint_periods,
    snapshot_periods,
    summary,
)
from gridcore.network.grid_spec import DEFAULT_GRID, Grid, GridSpec, resolve_grid
from gridcore.network.timeseries import Limits, run_timeseries


@dataclass
class ConstraintReport:
    """The constraint periods of a look-ahead and how they were found.

    Attributes
    ----------
    grid : str
        SimBench code or case file.
    issue_time : pd.Timestamp
        UTC first hour.
    horizon_h : int
        Hours looked at.
    periods : list of ConstraintPeriod
    source : dict
        Where loads, generation and batteries came from (``study case hL`` for a snapshot).
    study_case : str, optional
    converged_hours : int
    peaks : dict
        Highest line and transformer loading [%], lowest and highest voltage [p.u.] over the horizon.
    seconds : float
        Wall time [s].
    """

    grid: str
    issue_time: pd.Timestamp
    horizon_h: int
    periods: list[ConstraintPeriod]
    source: dict[str, str]
    study_case: str | None = None
    converged_hours: int = 0
    peaks: dict[str, float | None] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: ``grid``, ``issue_time``, ``horizon_h``, ``periods`` and the rest."""
        return {
            "grid": self.grid,
            "issue_time": f"{self.issue_time:%Y-%m-%dT%H:%M:%SZ}",
            "horizon_h": self.horizon_h,
            "study_case": self.study_case,
            "source": self.source,
            "counts": dict(summary(self.periods)),
            "converged_hours": self.converged_hours,
            **self.peaks,
            "periods": [p.to_dict() for p in self.periods],
            "seconds": round(self.seconds, 3),
        }


def _peaks(result) -> dict[str, float | None]:  # noqa: ANN001 (TimeSeriesResult)
    def r(x: float, d: int) -> float | None:
        return round(float(x), d) if np.isfinite(x) else None

    def top(frame: pd.DataFrame, how: str) -> float:
        values = frame.to_numpy(dtype=float)
        if values.size == 0 or not np.isfinite(values).any():
            return float("nan")
        return float(np.nanmax(values) if how == "max" else np.nanmin(values))

    return {
        "max_line_loading_pct": r(top(result.line_loading_pct, "max"), 3),
        "max_trafo_loading_pct": r(top(result.trafo_loading_pct, "max"), 3),
        "vm_min_pu": r(top(result.vm_pu, "min"), 5),
        "vm_max_pu": r(top(result.vm_pu, "max"), 5),
    }


def constraint_lookahead(
    grid: str | GridSpec | Grid | None,
    issue_time: pd.Timestamp,
    horizon_h: int = 168,
    root: str | None = None,
    limits: Limits | None = None,
    supply_mw: float | None = None,
    study_case: str | None = None,
    engine: str = "power-grid-model",
    batteries: bool = True,
) -> ConstraintReport:
    """Constraint periods ahead on a grid, or at one of its SimBench study cases.

    Parameters
    ----------
    grid : str or GridSpec or Grid, optional
        SimBench code or case file (GRIDFLOW_GRID, else the default grid, when None).
    issue_time : pd.Timestamp
        UTC; floored to the hour. The first hour looked at (for a study case: the hour it stands for).
    horizon_h : int
        Hours ahead (ignored for a study case, which is one hour).
    root : str, optional
        Store folder: stored forecasts, battery schedules and topology changes are used when present.
    limits : Limits, optional
        Thermal limit and voltage bands.
    supply_mw : float, optional
        Supply capacity (import or plant limit) [MW] for the shortfall check.
    study_case : str, optional
        ``hL``, ``n1``, ``hW``, ``hPV``, ``lW`` or ``lPV``: loads and generation at the case's values.
    engine : str
        Power-flow engine of the time series.
    batteries : bool
        Include the battery schedule stored for the issue (False: the constraints before the batteries).

    Returns
    -------
    ConstraintReport

    Raises
    ------
    InputError
        For a bad grid, study case or horizon, or a time series a grid without profiles cannot have.
    """
    t0 = time.perf_counter()
    g = grid if isinstance(grid, Grid) else resolve_grid(grid)
    issue = pd.Timestamp(issue_time)
    if issue.tzinfo is None:
        raise InputError(f"issue time {issue_time} has no UTC offset", field="--at")
    issue = issue.tz_convert("UTC").floor("h")
    if study_case is not None:
        from gridcore.network.study_case import apply_study_case

        net = apply_study_case(g.net, study_case)
        periods, result = snapshot_periods(net, issue, limits, supply_mw)
        return ConstraintReport(
            grid=g.label,
            issue_time=issue,
            horizon_h=1,
            periods=periods,
            source={"load": f"study case {study_case}", "generation": f"study case {study_case}"},
            study_case=study_case,
            converged_hours=int(result.converged.sum()),
            peaks=_peaks(result),
            seconds=time.perf_counter() - t0,
        )
    if not 1 <= horizon_h <= 8784:
        raise InputError(f"--horizon {horizon_h}: give 1..8784 hours", field="--horizon")
    if g.model is None:
        raise InputError(
            f"--grid {g.label}: the case has no yearly profiles to look ahead with; give --study-case or a "
            "SimBench grid",
            field="--grid",
        )
    from gridcore.lookahead.inputs import forecast_injections

    times = pd.date_range(issue, periods=horizon_h, freq="1h", name="time")
    inj, source = forecast_injections(g.model, times, root, batteries)
    changes_at = None
    if root is not None and g.spec.code == DEFAULT_GRID:
        from gridcore.network.topology import ChangeLog

        changes_at = ChangeLog(root).in_force
    net = g.net
    if len(net.storage):
        import copy

        net = copy.deepcopy(net)
        net.storage = net.storage.iloc[0:0]  # SimBench's own storage units: no profiles here (see above)
    periods, result, converged = _solve(g, net, times, inj, limits, supply_mw, changes_at, engine)
    return ConstraintReport(
        grid=g.label,
        issue_time=issue,
        horizon_h=horizon_h,
        periods=periods,
        source=source,
        converged_hours=converged,
        peaks=result,
        seconds=time.perf_counter() - t0,
    )


def _solve(g: Grid, base, times, inj, limits, supply_mw, changes_at, engine):  # noqa: ANN001, ANN202
    """Periods per topology segment (hours with the same changes in force), joined in time order."""
    from gridcore.network.timeseries_store import apply_topology
    from gridcore.network.topology import topology_at

    keys = [()] * len(times)
    in_force: list[list] = [[]] * len(times)
    if changes_at is not None:
        in_force = [changes_at(t) for t in times]
        keys = [tuple(r["id"] for r in c) for c in in_force]
    periods: list[ConstraintPeriod] = []
    results = []
    converged = 0
    k = 0
    while k < len(times):
        j = k
        while j < len(times) and keys[j] == keys[k]:
            j += 1
        net = base if not keys[k] else apply_topology(base, topology_at(g.model, in_force[k]))
        part = inj.part(slice(k, j))
        result = run_timeseries(
            net, times[k:j], part.load_p_mw, part.load_q_mvar, part.sgen_p_mw, engine=engine
        )
        periods += constraint_periods(net, result, part, limits, supply_mw)
        results.append(result)
        converged += int(result.converged.sum())
        k = j
    peaks = [_peaks(r) for r in results]
    merged: dict[str, float | None] = {}
    for key in peaks[0]:
        values = [p[key] for p in peaks if p[key] is not None]
        merged[key] = (min(values) if key == "vm_min_pu" else max(values)) if values else None
    order = {"shortfall": 0, "overload": 1, "undervoltage": 2, "overvoltage": 3}
    periods.sort(key=lambda c: (c.start, order[c.kind], c.element))
    return periods, merged, converged
