"""A scenario run's result: its figures, the JSON summary and the trade-off of its objectives.

Figures of the summary: ``constraints_found`` (periods before any remedy), ``constraints_resolved`` (of
those, the ones with no violation of the same element and kind left in their hours),
``critical_affected`` (critical customers shed), ``unserved_mwh`` (load shed plus any shortfall left
uncovered [MWh]), ``peak_reduction_pct`` (the largest exchange with the upstream grid, import or export,
before and after the remedies [%]), ``renewable_utilization_pct`` (renewable energy used of what was
available [%]).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gridcore.scenarios.check import Check, resolved
from gridcore.scenarios.forecast import ScenarioForecast
from gridcore.scenarios.remedies import StepResult
from gridcore.scenarios.spec import ScenarioSpec

#: The headline keys of a scenario's JSON summary, first in :meth:`ScenarioResult.to_dict`.
HEADLINE = (
    "scenario",
    "constraints_found",
    "constraints_resolved",
    "critical_affected",
    "unserved_mwh",
    "peak_reduction_pct",
    "renewable_utilization_pct",
    "report",
    "seconds",
)


@dataclass
class ScenarioResult:
    """A scenario run: its figures and what the report draws.

    Attributes
    ----------
    spec : ScenarioSpec
    grid : str
    forecast : ScenarioForecast
    before, after : Check
        Power flow before any remedy and after the last.
    steps : list of StepResult
    shedding : dict
        :func:`gridcore.scenarios.remedies.shed_figures` (empty when shedding was not needed).
    available_mwh, used_mwh : float
        Renewable energy available and used [MWh].
    unserved_mwh : float
        [MWh]
    topology : dict
    timings : dict of str to float
        Wall time per part [s]: ``grid`` (loading), ``forecast``, ``power_flow`` (the first check), each
        remedy (with its re-checks), ``report``.
    seconds : float
        Wall time of the chain [s].
    report : str or None
        Path of the Markdown report.
    """

    spec: ScenarioSpec
    grid: str
    forecast: ScenarioForecast
    before: Check
    after: Check
    steps: list[StepResult]
    shedding: dict[str, object]
    available_mwh: float
    used_mwh: float
    unserved_mwh: float
    topology: dict[str, object] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    report: str | None = None

    @property
    def peak_reduction_pct(self) -> float:
        """Largest exchange with the upstream grid after the remedies against before, reduction [%]."""
        a = float(np.abs(self.before.hourly["net_demand_mw"]).max())
        b = float(np.abs(self.after.hourly["net_demand_mw"]).max())
        return 100.0 * (a - b) / a if a > 0 else 0.0

    @property
    def renewable_utilization_pct(self) -> float:
        """Renewable energy used of what was available [%] (100 without any renewable)."""
        return 100.0 * self.used_mwh / self.available_mwh if self.available_mwh > 0 else 100.0

    def ramp_mw_per_h(self, after: bool = True) -> float:
        """Steepest rise of the import from the upstream grid from one hour to the next [MW/h]."""
        net = (self.after if after else self.before).hourly["net_demand_mw"].to_numpy()
        return float(np.diff(net).max()) if len(net) > 1 else 0.0

    def tradeoff(self) -> dict[str, object]:
        """The three objectives' outcomes beside their weights."""
        wear = sum(float(s.figures.get("wear_cost_eur", 0.0)) for s in self.steps)
        cost = wear + float(self.shedding.get("cost_eur", 0.0))
        customers = self.shedding.get("customers_affected", {})
        return {
            "weights": self.spec.objectives.to_dict(),
            "cost_eur": round(cost, 2),
            "renewable_utilization_pct": round(self.renewable_utilization_pct, 3),
            "customers_affected": int(sum(customers.values())) if isinstance(customers, dict) else 0,
        }

    def to_dict(self) -> dict[str, object]:
        """The JSON summary (the keys in the module docstring first)."""
        return {
            "scenario": self.spec.name,
            "constraints_found": len(self.before.periods),
            "constraints_resolved": resolved(self.before.periods, self.after.periods),
            "critical_affected": int(self.shedding.get("critical_affected", 0)),
            "unserved_mwh": round(self.unserved_mwh, 4),
            "peak_reduction_pct": round(self.peak_reduction_pct, 3),
            "renewable_utilization_pct": round(self.renewable_utilization_pct, 3),
            "report": self.report,
            "seconds": round(self.seconds, 3),
            "timings": dict(self.timings),
            "grid": self.grid,
            "start": f"{self.spec.start:%Y-%m-%dT%H:%MZ}",
            "hours": self.spec.hours,
            "source": self.spec.source,
            "order": list(self.spec.order),
            "constraints_before": self.before.counts(),
            "constraints_after": self.after.counts(),
            "constraints_remaining": [p.to_dict() for p in self.after.periods],
            "peak_exchange_before_mw": round(float(np.abs(self.before.hourly["net_demand_mw"]).max()), 4),
            "peak_exchange_after_mw": round(float(np.abs(self.after.hourly["net_demand_mw"]).max()), 4),
            "ramp_before_mw_per_h": round(self.ramp_mw_per_h(after=False), 4),
            "ramp_after_mw_per_h": round(self.ramp_mw_per_h(), 4),
            "forecast": self.forecast.to_dict(),
            "topology": self.topology,
            "steps": {s.name: s.figures for s in self.steps},
            "shedding": self.shedding,
            "tradeoff": self.tradeoff(),
        }
