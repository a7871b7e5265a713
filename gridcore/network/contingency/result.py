"""Result of an N-1 analysis: the outage and violation tables, the critical outages, the JSON summary."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

#: Columns of ``ContingencyResult.outages``.
_OUTAGE_COLUMNS = [
    "name",
    "converged",
    "islanded",
    "n_islanded_buses",
    "load_lost_mw",
    "gen_lost_mw",
    "n_overloads",
    "n_voltage_violations",
    "n_new_violations",
    "max_loading_pct",
    "max_loading_element",
    "vm_min_pu",
    "vm_max_pu",
    "worst_overload_pct",
    "worst_vm_excess_pu",
    "critical",
    "rank",
    "islanded_buses",
]


@dataclass(frozen=True)
class ContingencyResult:
    """Outcome of an N-1 analysis.

    Attributes
    ----------
    outages : pd.DataFrame
        One row per outage, index (``outage_type``, ``outage_element``) = (``line``/``trafo``, pandapower
        index). Columns: ``name``; ``converged``; ``islanded`` (some bus cut off from every slack);
        ``n_islanded_buses``; ``load_lost_mw`` [MW] and ``gen_lost_mw`` [MW] (in-service load and
        generation on the islanded buses); ``n_overloads``; ``n_voltage_violations``;
        ``n_new_violations`` (those the outage causes: absent before it, or worse by more than
        :data:`WORSE_LOADING_PCT` / :data:`WORSE_VM_PU`); ``max_loading_pct`` [%] and
        ``max_loading_element`` (e.g. ``line 12``); ``vm_min_pu``, ``vm_max_pu`` [p.u.] over the
        energized buses; ``worst_overload_pct`` [%] (largest loading above the limit, 0 if none);
        ``worst_vm_excess_pu`` [p.u.] (largest distance outside the band, 0 if none); ``critical``
        (diverged, lost load or caused a violation); ``rank`` (1 = most critical, see :meth:`critical`);
        ``islanded_buses`` (tuple of bus ids). Metrics of a diverged outage are NaN, its counts 0.
    violations : pd.DataFrame
        One row per outage x violated element: ``outage_type``, ``outage_element``, ``kind``
        (``overload``/``undervoltage``/``overvoltage``), ``element_type`` (``line``/``trafo``/``bus``),
        ``element``, ``value`` (loading [%] or voltage [p.u.]), ``limit`` (same unit), ``base_value``
        (pre-contingency value), ``pre_existing`` (already violated before the outage).
    base_vm_pu : pd.Series
        Pre-contingency voltage per bus [p.u.]; NaN for buses not supplied.
    base_loading_pct : pd.Series
        Pre-contingency loading per branch [%], index (``element_type``, ``element``).
    engine : str
        ``lightsim2grid`` or ``pandapower``.
    seconds : float
        Wall-clock time of the analysis [s].
    loading_limit : float
        Thermal limit used [%].
    vm_pu : pd.DataFrame or None
        With ``keep_flows``: outage x bus voltage [p.u.], NaN where de-energized.
    loading_pct : pd.DataFrame or None
        With ``keep_flows``: outage x branch loading [%], 0 where out of service or de-energized.
    """

    outages: pd.DataFrame
    violations: pd.DataFrame
    base_vm_pu: pd.Series
    base_loading_pct: pd.Series
    engine: str
    seconds: float
    loading_limit: float
    vm_pu: pd.DataFrame | None = None
    loading_pct: pd.DataFrame | None = None

    @property
    def n_cases(self) -> int:
        """Number of outages analysed."""
        return len(self.outages)

    def critical(self) -> pd.DataFrame:
        """The critical outages, most critical first.

        An outage is critical when its power flow diverged, it lost load, or it caused a violation
        (``n_new_violations``; violations already there before the outage stay in :attr:`violations`
        with ``pre_existing``). Ranking: diverged first, then by number of overloads, load lost, worst
        overload, number of voltage violations and worst voltage excess (all descending).

        Returns
        -------
        pd.DataFrame
            Rows of :attr:`outages`, sorted by ``rank``.
        """
        return self.outages[self.outages["critical"]].sort_values("rank")

    def report(self, top: int = 10) -> ContingencySummary:
        """The summary of the analysis: counts, seconds taken and the ``top`` critical outages.

        Parameters
        ----------
        top : int
            Number of critical outages listed.

        Returns
        -------
        ContingencySummary
            Its :meth:`~ContingencySummary.to_dict` is the JSON of :meth:`summary`.
        """
        o = self.outages
        crit = self.critical().head(top).reset_index()
        names = [f.name for f in fields(CriticalOutage)]
        critical = tuple(
            CriticalOutage(**{k: _json_value(v) for k, v in row.items()})
            for row in crit[names].to_dict(orient="records")
        )
        return ContingencySummary(
            engine=self.engine,
            n_cases=self.n_cases,
            seconds=round(self.seconds, 4),
            loading_limit_pct=self.loading_limit,
            n_diverged=int((~o["converged"]).sum()),
            n_islanding=int(o["islanded"].sum()),
            load_lost_mw_max=_json_value(o["load_lost_mw"].max()) if len(o) else 0.0,
            n_with_overloads=int((o["n_overloads"] > 0).sum()),
            n_with_voltage_violations=int((o["n_voltage_violations"] > 0).sum()),
            n_critical=int(o["critical"].sum()),
            critical=critical,
        )

    def summary(self, top: int = 10) -> dict[str, Any]:
        """JSON-ready summary: :meth:`report` as plain data (the JSON of ``gridflow grid contingency``).

        Returns
        -------
        dict
            ``engine``, ``n_cases``, ``seconds`` [s], ``loading_limit_pct`` [%], ``n_diverged``,
            ``n_islanding``, ``load_lost_mw_max`` [MW], ``n_with_overloads``,
            ``n_with_voltage_violations``, ``n_critical`` and ``critical`` (records of
            :class:`CriticalOutage`).
        """
        return self.report(top).to_dict()


@dataclass(frozen=True)
class CriticalOutage:
    """One critical outage as the summary lists it (NaN metrics of a diverged outage are None).

    Attributes
    ----------
    outage_type : str
        ``line`` or ``trafo``.
    outage_element : int
        Its pandapower index.
    name : str
    rank : int
        1 = most critical.
    converged : bool
    n_islanded_buses : int
    load_lost_mw, gen_lost_mw : float
        Load and generation on the islanded buses [MW].
    n_overloads, n_voltage_violations, n_new_violations : int
    max_loading_pct : float or None
        Highest branch loading [%].
    max_loading_element : str or None
        Its branch (e.g. ``line 12``).
    vm_min_pu, vm_max_pu : float or None
        Voltage extremes over the energized buses [p.u.].
    """

    outage_type: str
    outage_element: int
    name: str
    rank: int
    converged: bool
    n_islanded_buses: int
    load_lost_mw: float | None
    gen_lost_mw: float | None
    n_overloads: int
    n_voltage_violations: int
    n_new_violations: int
    max_loading_pct: float | None
    max_loading_element: str | None
    vm_min_pu: float | None
    vm_max_pu: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record, keys in the order of the attributes."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class ContingencySummary:
    """The figures of an N-1 analysis: what ``gridflow grid contingency`` reports.

    Attributes
    ----------
    engine : str
        ``lightsim2grid`` or ``pandapower``.
    n_cases : int
        Outages studied.
    seconds : float
        Time taken [s] (4 decimals).
    loading_limit_pct : float
        Loading limit of the branches [%].
    n_diverged, n_islanding : int
        Outages whose power flow diverged; that cut some bus off from every slack.
    load_lost_mw_max : float or None
        Most load lost by one outage [MW].
    n_with_overloads, n_with_voltage_violations, n_critical : int
        Outages with an overload; with a voltage violation; critical.
    critical : tuple of CriticalOutage
        The most critical outages, rank 1 first.
    """

    engine: str
    n_cases: int
    seconds: float
    loading_limit_pct: float
    n_diverged: int
    n_islanding: int
    load_lost_mw_max: float | None
    n_with_overloads: int
    n_with_voltage_violations: int
    n_critical: int
    critical: tuple[CriticalOutage, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures, keys in the order of the attributes (``critical`` as a list of records)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["critical"] = [c.to_dict() for c in self.critical]
        return out


def _json_value(v: Any) -> Any:
    """A plain JSON value: numpy scalars unwrapped, NaN as None."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v
