"""The chain a scenario runs, in process: forecast, power flow, remedies in order, re-check, figures.

1. **forecast**: the system demand of the scenario's weather (:mod:`gridcore.scenarios.forecast`);
2. **grid**: the scenario applied to the grid's injections, ratings, supply and topology
   (:mod:`gridcore.scenarios.perturb`);
3. **power flow**: every hour solved, the constraint periods found (:mod:`gridcore.scenarios.check`);
4. **remedies** in the scenario's order (:mod:`gridcore.scenarios.remedies`): prices, batteries,
   shedding, each on what the steps before left and each checked by power flow again (shedding in up to
   three rounds, planning more relief each round while a period remains);
5. **figures**: the summary (:class:`gridcore.scenarios.result.ScenarioResult`), and the report
   (:mod:`gridcore.scenarios.report`) when a folder is given.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.constraints import Injections
from gridcore.network.timeseries import Limits
from gridcore.scenarios.check import Check, check
from gridcore.scenarios.forecast import system_forecast
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
from gridcore.scenarios.result import ScenarioResult
from gridcore.scenarios.spec import ScenarioSpec


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
            step, shedding = _shedding(sg, inj, times, event, chk, limits, spec.spare_critical)
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

    Planned again while it makes new constraints, with their hours priced in too; of the plans made, the
    one that leaves the least relief to find (MW x hours over the periods left) is kept.
    """
    price = dispatch_price(inj.net_demand_mw())
    bus = fleet["bus"].to_numpy()
    need_in, need_out = unit_need(sg, chk.periods, times, event, bus)
    step: StepResult | None = None
    kept: tuple[float, int, StepResult, Check] | None = None
    for replan in range(REPLANS + 1):
        step = battery_step(model, fleet, inj, times, price, need_in, need_out, spec.objectives, step)
        after = check(sg, step.injections, times, event, limits)
        left = sum(abs(p.relief_mw) * p.hours for p in after.periods)
        if kept is None or left < kept[0] - 1e-9:
            kept = (left, replan, step, after)
        add_in, add_out = unit_need(sg, after.periods, times, event, bus)
        new = ((add_in > 1e-6) & (need_in <= 1e-6)).any() or ((add_out > 1e-6) & (need_out <= 1e-6)).any()
        if not new or replan == REPLANS:
            break
        need_in, need_out = np.maximum(need_in, add_in), np.maximum(need_out, add_out)
    assert kept is not None
    _, chosen, best, after = kept
    for key in ("price_import", "price_export", "values", "failed"):
        del best.series[key]
    best.figures["replans"] = replan
    best.figures["plan_kept"] = chosen
    best.series["_check"] = after  # type: ignore[assignment]
    return best


def _shedding(
    sg: ScenarioGrid,
    inj: Injections,
    times: pd.DatetimeIndex,
    event: np.ndarray,
    chk: Check,
    limits: Limits | None,
    spare_critical: bool = True,
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
        inj, state = shed_step(
            sg, blocks, priorities, inj, times, chk.periods, event, margin, state, spare_critical
        )
        chk = check(sg, inj, times, event, limits)
        rounds += 1
    figures: dict[str, object] = {"rounds": rounds}
    series: dict[str, object] = {"_check": chk}
    if state is not None:
        figures.update(shed_figures(blocks, state, priorities))
        series["shed_mw"] = state["cut_mw"].sum(axis=1)
        series["curtailed_mw"] = state["curtailed_mw"].sum(axis=1)
    return StepResult("shedding", inj, figures, series), (figures if state is not None else {})  # type: ignore[arg-type]
