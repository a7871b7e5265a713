"""The figures of a fleet schedule beside the no-storage and rule baselines, as a typed result.

:func:`gridcore.storage.plan.fleet_report` returns a :class:`FleetSummary`; its
:meth:`FleetSummary.to_dict` is the figures of ``gridflow storage schedule --json``
(:func:`gridcore.storage.plan.fleet_summary`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PerBaseline:
    """One figure for the no-storage baseline, the rule-based baseline and the optimized schedule.

    Attributes
    ----------
    none, rule, optimized : float or int
        The figure without storage, with the rule schedule, with the optimized schedule (same unit).
    """

    none: float
    rule: float
    optimized: float

    def to_dict(self) -> dict[str, float]:
        """``{"none": ..., "rule": ..., "optimized": ...}``."""
        return {"none": self.none, "rule": self.rule, "optimized": self.optimized}


@dataclass(frozen=True)
class KindUtilization:
    """Renewable utilization of the units of one kind.

    Attributes
    ----------
    units : int
    utilization_pct : PerBaseline
        Share of the available renewable energy used [%] (2 decimals).
    """

    units: int
    utilization_pct: PerBaseline

    def to_dict(self) -> dict[str, float]:
        """``units`` and the utilization per baseline, flat: ``{"units", "none", "rule", "optimized"}``."""
        return {"units": self.units, **self.utilization_pct.to_dict()}


@dataclass(frozen=True)
class FleetSummary:
    """Figures of a fleet schedule beside the no-storage and rule baselines (see :func:`fleet_report`).

    Attributes
    ----------
    units, hours, solved : int
        Units, hours of the horizon, units with an optimal schedule.
    infeasible : tuple of dict
        ``battery``, ``status``, ``reason`` of every unit on the rule fall-back.
    objective : float
        Sum of the units' LP optima [EUR] (2 decimals).
    delivered_cost_eur : float
        Cost of the delivered schedules, recomputed from their values [EUR] (2 decimals).
    gap_pct : float
        Delivered cost of the optimized units above the joint bound [%].
    utilization_pct : PerBaseline
        Share of the available renewable energy used [%] (2 decimals).
    curtailment_mwh : PerBaseline
        Renewable energy curtailed [MWh] (4 decimals).
    renewable_mwh : float
        Renewable energy available [MWh] (4 decimals).
    self_sufficiency_pct : PerBaseline
        Share of the demand not imported [%] (2 decimals).
    losses_mwh : PerBaseline
        Storage losses [MWh] (3 decimals).
    by_kind : dict of str to KindUtilization
        Per battery kind, in name order.
    feeder_violations : PerBaseline or None
        Feeder-hours above the head line's limit (None without feeder limits).
    checks : dict of str to int
        Constraint violations in the delivered schedule per check (all 0), see
        :func:`gridcore.storage.metrics.check_schedule`.
    solver : str
    """

    units: int
    hours: int
    solved: int
    infeasible: tuple[dict[str, str], ...]
    objective: float
    delivered_cost_eur: float
    gap_pct: float
    utilization_pct: PerBaseline
    curtailment_mwh: PerBaseline
    renewable_mwh: float
    self_sufficiency_pct: PerBaseline
    losses_mwh: PerBaseline
    by_kind: dict[str, KindUtilization]
    feeder_violations: PerBaseline | None
    checks: dict[str, int]
    solver: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready figures, keys in the order of the attributes (``feeder_violations`` ``{}`` if None)."""
        return {
            "units": self.units,
            "hours": self.hours,
            "solved": self.solved,
            "infeasible": [dict(r) for r in self.infeasible],
            "objective": self.objective,
            "delivered_cost_eur": self.delivered_cost_eur,
            "gap_pct": self.gap_pct,
            "utilization_pct": self.utilization_pct.to_dict(),
            "curtailment_mwh": self.curtailment_mwh.to_dict(),
            "renewable_mwh": self.renewable_mwh,
            "self_sufficiency_pct": self.self_sufficiency_pct.to_dict(),
            "losses_mwh": self.losses_mwh.to_dict(),
            "by_kind": {k: v.to_dict() for k, v in self.by_kind.items()},
            "feeder_violations": {} if self.feeder_violations is None else self.feeder_violations.to_dict(),
            "checks": dict(self.checks),
            "solver": self.solver,
        }
