"""The chain a scenario runs, in process: forecast, power flow, remedies in order, re-check, figures.

1. **forecast**: the system demand of the scenario's weather (:mod:`gridcore.scenarios.forecast`);
2. **grid**: the scenario applied to the grid's injections, ratings, supply and topology
   (:mod:`gridcore.scenarios.perturb`);
3. **power flow**: every hour solved, the constraint periods found (:mod:`gridcore.scenarios.check`);
4. **remedies** in the scenario's order (:mod:`gridcore.scenarios.remedies`): prices, batteries,
   shedding, each on what the steps before left and each checked by power flow again (shedding in up to
   three rounds, planning more relief each round while a period remains);
5. **figures**: the summary below, and the report (:mod:`gridcore.scenarios.report`) when a folder is
   given.

Figures of the summary: ``constraints_found`` (periods before any remedy), ``constraints_resolved``
(of those, the ones with no violation of the same element and kind left in their hours),
``critical_affected`` (critical customers shed), ``unserved_mwh`` (load shed plus any shortfall left
uncovered [MWh]), ``peak_reduction_pct`` (the largest exchange with the upstream grid, import or export,
before and after the remedies [%]), ``renewable_utilization_pct`` (renewable energy used of what was
available [%]).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.constraints import Injections
from gridcore.network.timeseries import Limits
from gridcore.scenarios.check import Check, check, resolved
from gridcore.scenarios.forecast import ScenarioForecast, system_forecast
from gridcore.scenarios.perturb import ScenarioGrid, scenario_grid
from gridcore.scenarios.remedies import (
    MARGINS,
    StepResult,
    battery_step,
    dispatch_price,
    price_step,
    shed_figures,
    shed_step,
    unit_need,
)
from gridcore.scenarios.spec import ScenarioSpec


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
            "forecast": self.forecast.to_dict(),
            "topology": self.topology,
            "steps": {s.name: s.figures for s in self.steps},
            "shedding": self.shedding,
            "tradeoff": self.tradeoff(),
        }


def _grid(spec: ScenarioSpec, grid: str | None):  # noqa: ANN202
    from gridcore.network.grid_spec import resolve_grid

    g = resolve_grid(grid or spec.grid, "--grid" if grid else "grid")
    if g.model is None or g.spec.code is None:
        raise InputError(
            f"grid {g.label}: a scenario needs a SimBench grid (profiles, meter and battery fleets)",
            field="--grid",
        )
    return g


def run_scenario(
    spec: ScenarioSpec,
    grid: str | None = None,
    out_dir: str | Path | None = None,
    limits: Limits | None = None,
) -> ScenarioResult:
    """Run a scenario's whole chain (see the module docstring).

    Parameters
    ----------
    spec : ScenarioSpec
    grid : str, optional
        SimBench code instead of the scenario's own.
    out_dir : str or Path, optional
        Folder for the report (Markdown, PNG figures, ``summary.json``); none written when None.
    limits : Limits, optional
        Thermal limit and voltage bands.

    Returns
    -------
    ScenarioResult
    """
    t0 = time.perf_counter()
    clock = {"t": t0}
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(timings.get(name, 0.0) + now - clock["t"], 3)
        clock["t"] = now

    g = _grid(spec, grid)
    lap("grid")
    fc = system_forecast(g.model, spec.start, spec.hours, spec.temperature_shift_c)
    lap("forecast")
    sg = scenario_grid(spec, g.model, g.net, fc)
    times, event = spec.times, spec.event_mask.to_numpy()
    before = check(sg, sg.injections, times, event, limits)
    lap("power_flow")
    chk, inj = before, sg.injections
    steps: list[StepResult] = []
    shedding: dict[str, object] = {}
    for name in spec.order:
        if name == "prices":
            step = price_step(sg, inj, times, event, _meters(sg.model))
        elif name == "batteries":
            from gridcore.storage.fleet import default_fleet

            fleet = default_fleet(g.model)
            step = _batteries(fleet, g.model, sg, inj, times, event, chk, spec, limits)
        else:
            step, shedding = _shedding(sg, inj, times, event, chk, limits)
        inj = step.injections
        chk = step.series.pop("_check") if "_check" in step.series else check(sg, inj, times, event, limits)  # type: ignore[assignment]
        step.figures["constraints_after"] = len(chk.periods)
        steps.append(step)
        lap(name)
    available = float(sg.injections.sgen_p_mw.clip(min=0).sum())
    used = float(np.minimum(inj.sgen_p_mw, sg.injections.sgen_p_mw).clip(min=0).sum())
    uncovered = np.clip(chk.hourly["net_demand_mw"].to_numpy() - sg.supply_mw, 0.0, None)
    unserved = float(shedding.get("shed_mwh", 0.0)) + float(uncovered.sum())
    result = ScenarioResult(
        spec=spec,
        grid=g.label,
        forecast=fc,
        before=before,
        after=chk,
        steps=steps,
        shedding=shedding,
        available_mwh=available,
        used_mwh=used,
        unserved_mwh=unserved,
        topology=sg.topology,
        timings=timings,
    )
    result.seconds = time.perf_counter() - t0
    if out_dir is not None:
        from gridcore.scenarios.report import write_report

        result.report = str(write_report(result, sg, inj, Path(out_dir)))
        lap("report")
        result.seconds = time.perf_counter() - t0
    return result


def _meters(model) -> pd.DataFrame:  # noqa: ANN001
    """The grid's meter fleet (customers by class on each load; the shedding blocks' and response's base)."""
    from gridcore.data.fleet import build_fleet
    from gridcore.shedding.blocks import default_meters

    return build_fleet(model, default_meters(model.load, model.bus))


#: Times the batteries are planned again when their plan makes a constraint where there was none.
REPLANS = 2


def _batteries(fleet, model, sg, inj, times, event, chk, spec, limits) -> StepResult:  # noqa: ANN001
    """The battery plan on the dispatch price of the load so far (:func:`dispatch_price`).

    Planned again while it makes new constraints, with their hours priced in too.
    """
    price = dispatch_price(inj.net_demand_mw())
    bus = fleet["bus"].to_numpy()
    need_in, need_out = unit_need(sg, chk.periods, times, event, bus)
    step = None
    for replan in range(REPLANS + 1):
        step = battery_step(model, fleet, inj, times, price, need_in, need_out, spec.objectives, step)
        after = check(sg, step.injections, times, event, limits)
        add_in, add_out = unit_need(sg, after.periods, times, event, bus)
        new = ((add_in > 1e-6) & (need_in <= 1e-6)).any() or ((add_out > 1e-6) & (need_out <= 1e-6)).any()
        if not new or replan == REPLANS:
            break
        need_in, need_out = np.maximum(need_in, add_in), np.maximum(need_out, add_out)
    for key in ("price_import", "price_export", "values", "failed"):
        del step.series[key]
    step.figures["replans"] = replan
    step.series["_check"] = after  # type: ignore[assignment]
    return step


def _shedding(
    sg: ScenarioGrid,
    inj: Injections,
    times: pd.DatetimeIndex,
    event: np.ndarray,
    chk: Check,
    limits: Limits | None,
) -> tuple[StepResult, dict[str, object]]:
    """Shedding and curtailment in rounds until the power flow finds no period or the rounds run out."""
    from gridcore.shedding.blocks import build_blocks
    from gridcore.shedding.priorities import load_priorities

    priorities = load_priorities()
    blocks = build_blocks(sg.model.load, _meters(sg.model), priorities)
    state = None
    rounds = 0
    for margin in MARGINS:
        if not chk.periods:
            break
        inj, state = shed_step(sg, blocks, priorities, inj, times, chk.periods, event, margin, state)
        chk = check(sg, inj, times, event, limits)
        rounds += 1
    figures: dict[str, object] = {"rounds": rounds}
    series: dict[str, object] = {"_check": chk}
    if state is not None:
        figures.update(shed_figures(blocks, state, priorities))
        series["shed_mw"] = state["cut_mw"].sum(axis=1)
        series["curtailed_mw"] = state["curtailed_mw"].sum(axis=1)
    return StepResult("shedding", inj, figures, series), (figures if state is not None else {})  # type: ignore[arg-type]
