"""The remedies a scenario tries on its constraints, each on what the steps before left.

``prices``
    A real-time price (:func:`gridcore.market.signals.price_signal`, ``rtp``) that climbs as any feeder's
    head line or the import limit nears its rating (:func:`utilisation`), and the consumers' response to
    it by customer class (:func:`gridcore.market.response.respond`, ``saturating``; critical customers never
    respond): demand moves out of the dear hours, some of it comes back after.
``batteries``
    The battery fleet (:func:`gridcore.storage.fleet.default_fleet`), one OR-Tools LP per battery
    (:func:`gridcore.storage.schedule.schedule_batch`) on its site's load and renewables of the scenario,
    on a price that follows the net load (:func:`dispatch_price`) with relief priced where a constraint
    needs it, on the battery's own feeder (:func:`unit_need`): the import and export price rise by
    ``SCARCITY_EUR_PER_MWH`` x the ``customers`` weight in hours short of supply or capacity (in proportion
    to the MW needed), and fall by ``SURPLUS_EUR_PER_MWH`` x the ``renewables`` weight in hours of surplus
    generation; each site pays a demand charge on its peak import (``DEMAND_CHARGE_EUR_PER_MW`` x the
    ``customers`` weight) so that the fleet does not all charge in the cheapest hour; the batteries' wear
    cost is scaled by the ``cost`` weight. Each battery's charging minus discharging is added at its bus.
``shedding``
    For each remaining import-side period, a prioritized shedding plan of the blocks fed through the
    element, or on a bus's own feeder (:func:`gridcore.shedding.plan.plan_shortfall`, rotated hour by hour,
    never-shed customers never, critical ones never unless the scenario allows it, and then last); for
    each export-side period, generation curtailed by type (:func:`gridcore.shedding.plan.plan_export`).
    What a round already took within the same reach counts against the next period's relief.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.network.constraints import ConstraintPeriod, Injections
from gridcore.scenarios.spec import Objectives
from gridcore.storage.plan import PRICE_EXPORT_EUR_PER_MWH, PRICE_IMPORT_EUR_PER_MWH

#: Price rise in hours that need relief, per unit of the ``customers`` weight [EUR/MWh].
SCARCITY_EUR_PER_MWH = 1000.0
#: Price fall in hours of surplus generation, per unit of the ``renewables`` weight [EUR/MWh].
SURPLUS_EUR_PER_MWH = 400.0
#: Price of each site's peak import over the horizon, per unit of the ``customers`` weight [EUR/MW]: it
#: makes every battery flatten its own site's import, so the fleet does not charge all at once in the
#: cheapest hour and make a new peak there.
DEMAND_CHARGE_EUR_PER_MW = 300.0
#: Relief planned above what a period asks for, per round of the re-check: a fraction of its relief [-]
#: and a floor [MW] (a period left after a round is one whose relief, from a linear estimate, fell short).
MARGINS = ((0.05, 0.0), (0.25, 0.05), (0.6, 0.2))


@dataclass
class StepResult:
    """What one remedy did.

    Attributes
    ----------
    name : str
        ``prices``, ``batteries`` or ``shedding``.
    injections : Injections
        The hours' injections after it.
    figures : dict
        Its own figures (JSON-ready).
    series : dict of str to np.ndarray
        Hourly series for the report (e.g. ``battery_mw``, ``soc_mwh``, ``shed_mw``, ``price_eur_per_mwh``).
    """

    name: str
    injections: Injections
    figures: dict[str, object] = field(default_factory=dict)
    series: dict[str, np.ndarray] = field(default_factory=dict)


def dispatch_price(net_mw: np.ndarray) -> np.ndarray:
    """The energy price the battery fleet is dispatched on: it follows the net load [EUR/MWh].

    ``PRICE_IMPORT_EUR_PER_MWH`` times the hour's net load over the mean (no lower than 0): the fleet
    charges in the low hours and gives back in the high ones, relative to the load the steps before left.
    Not the consumers' real-time price (:func:`rtp_signal`): that one's exponential scarcity term would
    have the whole fleet charge in the same cheapest hours and make new peaks there.
    """
    pos = np.clip(np.asarray(net_mw, float), 0.0, None)
    mean = pos.mean()
    return PRICE_IMPORT_EUR_PER_MWH * (pos / mean if mean > 0 else np.ones(len(pos)))


def unit_need(
    sg,  # noqa: ANN001 (ScenarioGrid)
    periods: list[ConstraintPeriod],
    times: pd.DatetimeIndex,
    event: np.ndarray,
    bus: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Relief needed per battery and hour, on the battery's own feeder [MW].

    A period of a line or a bus counts for the batteries on that element's feeder (in the topology of the
    hour); one of a transformer or of the supply for all of them. Load to take off and generation to take
    off come apart.

    Returns
    -------
    need_import_mw, need_export_mw : np.ndarray
        Shape (batteries, hours).
    """
    from gridcore.network.feeders import BUSBAR

    need = {True: np.zeros((len(bus), len(times))), False: np.zeros((len(bus), len(times)))}
    pos = {t: i for i, t in enumerate(times)}
    maps = {False: sg.bus_feeder, True: sg.event_bus_feeder}
    at = {k: m.reindex(bus).to_numpy() for k, m in maps.items()}
    for p in periods:
        kind, _, index = p.element.partition(":")
        for t in pd.date_range(p.start, p.end, freq="1h", inclusive="left"):
            r = pos[t]
            during = bool(event[r]) and sg.event_net is not None
            feeders = maps[during]
            if kind == "bus":
                f = feeders.get(int(index))
            elif kind == "line":
                ends = sg.model.line.loc[int(index), ["from_bus", "to_bus"]].map(feeders)
                f = next((x for x in ends if isinstance(x, str) and x != BUSBAR), None)
            else:
                f = None
            units = np.ones(len(bus), dtype=bool) if f is None else at[during] == f
            side = need[p.relief_mw >= 0]
            side[units, r] = np.maximum(side[units, r], abs(p.relief_mw))
    return need[True], need[False]


def signal_prices(
    base_eur_per_mwh: np.ndarray,
    need_import_mw: np.ndarray,
    need_export_mw: np.ndarray,
    objectives: Objectives,
) -> tuple[np.ndarray, np.ndarray]:
    """Import and export prices of the batteries' LPs [EUR/MWh] (see the module docstring).

    ``base_eur_per_mwh`` is the energy price of each hour (:func:`dispatch_price`); relief where a
    constraint needs it is added on top.
    """
    up = need_import_mw / need_import_mw.max() if need_import_mw.max() > 0 else 0.0 * need_import_mw
    down = need_export_mw / need_export_mw.max() if need_export_mw.max() > 0 else 0.0 * need_export_mw
    imp = (
        np.asarray(base_eur_per_mwh, float)
        + SCARCITY_EUR_PER_MWH * objectives.customers * up
        - SURPLUS_EUR_PER_MWH * objectives.renewables * down
    )
    exp = imp - (PRICE_IMPORT_EUR_PER_MWH - PRICE_EXPORT_EUR_PER_MWH)
    return imp, exp


def place(model, p: np.ndarray, q: np.ndarray, g: np.ndarray, bus: np.ndarray, net_mw: np.ndarray):  # noqa: ANN001, ANN201
    """Add each battery's net charging (hours x batteries) [MW] at its bus.

    At a bus with loads it is spread over them by rated power (reactive power at their power factor); at
    a bus without (a PV plant's) it is taken from the generation there.
    """
    p, q, g = p.copy(), q.copy(), g.copy()
    load_bus = model.load["bus"].to_numpy()
    sgen_bus = model.sgen["bus"].to_numpy()
    rated = model.load["p_mw"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.abs(p) > 1e-9, q / p, 0.0)
    for k, b in enumerate(bus):
        at = np.flatnonzero(load_bus == b)
        if len(at):
            share = rated[at] / rated[at].sum() if rated[at].sum() > 0 else np.full(len(at), 1.0 / len(at))
            p[:, at] += net_mw[:, [k]] * share[None, :]
            q[:, at] = p[:, at] * ratio[:, at]
            continue
        gen = np.flatnonzero(sgen_bus == b)
        if len(gen):
            g[:, gen[0]] -= net_mw[:, k]
    return p, q, g


def battery_step(
    model,  # noqa: ANN001 (GridModel)
    fleet: pd.DataFrame,
    injections: Injections,
    times: pd.DatetimeIndex,
    base_price: np.ndarray,
    need_import_mw: np.ndarray,
    need_export_mw: np.ndarray,
    objectives: Objectives,
    previous: StepResult | None = None,
) -> StepResult:
    """Plan the battery fleet on the scenario's hours (see the module docstring).

    Parameters
    ----------
    model : GridModel
    fleet : pd.DataFrame
        :func:`gridcore.storage.fleet.default_fleet` of the grid.
    injections : Injections
        Loads and generation so far [MW].
    times : pd.DatetimeIndex
    base_price : np.ndarray
        Energy price per hour [EUR/MWh] (:func:`dispatch_price` of the load so far).
    need_import_mw, need_export_mw : np.ndarray
        Relief needed per battery and hour [MW] (:func:`unit_need`).
    objectives : Objectives
    previous : StepResult, optional
        A plan of the same fleet on the same injections: only the batteries whose prices differ from
        its are planned again.

    Returns
    -------
    StepResult
        ``series``: ``battery_mw`` (discharging minus charging, fleet), ``soc_mwh`` (fleet),
        ``price_import``, ``price_export`` (battery x hour) [EUR/MWh], ``values`` (the LP's blocks),
        ``failed`` (batteries without an optimum, left idle).
    """
    from gridcore.storage.schedule import SiteInputs, schedule_batch

    units = fleet.copy()
    if "throughput_cost_eur_per_mwh" in units:
        units["throughput_cost_eur_per_mwh"] = units["throughput_cost_eur_per_mwh"] * objectives.cost
    units["demand_charge_eur_per_mw"] = DEMAND_CHARGE_EUR_PER_MW * objectives.customers
    sgen_pos = model.sgen.index.get_indexer(units["sgen"].to_numpy())
    pv = injections.sgen_p_mw[:, sgen_pos].T * units["pv_share"].to_numpy()[:, None]
    has_load = units["load"].to_numpy() >= 0
    load_pos = model.load.index.get_indexer(units["load"].to_numpy()[has_load])
    demand = np.zeros_like(pv)
    demand[has_load] = injections.load_p_mw[:, load_pos].T * units["load_share"].to_numpy()[has_load, None]
    imp, exp = signal_prices(base_price, need_import_mw, need_export_mw, objectives)
    site = SiteInputs(units, np.maximum(pv, 0.0), np.maximum(demand, 0.0), imp, exp, times)
    todo = np.arange(len(units))
    values = np.zeros((len(units), 6, len(times)))
    failed = np.zeros(len(units), dtype=bool)
    if previous is not None:
        failed = previous.series["failed"].copy()
        same = np.isclose(site.price_import, previous.series["price_import"]).all(axis=1)
        same &= np.isclose(site.price_export, previous.series["price_export"]).all(axis=1)
        values = previous.series["values"].copy()
        todo = np.flatnonzero(~same)
    result = schedule_batch(site.subset(todo))
    values[todo] = np.nan_to_num(result.values)  # (units, 6 blocks, hours); an infeasible unit stays idle
    failed[todo] = units.index[todo].astype(str).isin(list(result.reasons))
    charge, discharge, soc = values[:, 0, :], values[:, 1, :], values[:, 2, :]
    net = (charge - discharge).T
    p, q, g = place(
        model,
        injections.load_p_mw,
        injections.load_q_mvar,
        injections.sgen_p_mw,
        units["bus"].to_numpy(),
        net,
    )
    moved = float(discharge.sum())
    wear = (
        float((fleet["throughput_cost_eur_per_mwh"].to_numpy()[:, None] * (charge + discharge)).sum())
        if ("throughput_cost_eur_per_mwh" in fleet)
        else 0.0
    )
    return StepResult(
        "batteries",
        Injections(p, q, g),
        {
            "units": len(units),
            "infeasible": int(failed.sum()),
            "planned": len(todo),
            "power_mw": round(float(units["power_mw"].sum()), 3),
            "energy_mwh": round(float(units["energy_mwh"].sum()), 3),
            "discharged_mwh": round(moved, 3),
            "charged_mwh": round(float(charge.sum()), 3),
            "peak_discharge_mw": round(float(discharge.sum(axis=0).max()), 3),
            "peak_charge_mw": round(float(charge.sum(axis=0).max()), 3),
            "wear_cost_eur": round(wear, 2),
        },
        {
            "battery_mw": -net.sum(axis=1),
            "soc_mwh": soc.sum(axis=0),
            "price_import": site.price_import,
            "price_export": site.price_export,
            "values": values,
            "failed": failed,
        },
    )


def _positions(index: pd.Index, ids: pd.Index) -> np.ndarray:
    return index.get_indexer(ids)


def _reach(tree, bus_feeder: pd.Series, table: pd.DataFrame, element: str, what: str) -> pd.Index:  # noqa: ANN001
    """Loads or generators that relieve an element: fed through a branch; for a bus, on its feeder.

    A voltage outside the band is moved by the power on the bus's own feeder (the busbar's voltage is
    the upstream grid's): everything on that feeder, else (a bus on the busbar) everything.
    """
    if not element.startswith("bus:"):
        return getattr(tree, what)(element)
    feeder = bus_feeder.get(int(element.removeprefix("bus:")))
    if feeder is None:
        return table.index
    same = table["bus"].map(bus_feeder) == feeder
    return table.index[same.to_numpy()] if same.any() else table.index


def shed_step(
    sg,  # noqa: ANN001 (ScenarioGrid)
    blocks,  # noqa: ANN001 (Blocks)
    priorities,  # noqa: ANN001 (Priorities)
    injections: Injections,
    times: pd.DatetimeIndex,
    periods: list[ConstraintPeriod],
    event: np.ndarray,
    margin: tuple[float, float],
    state: dict[str, np.ndarray] | None = None,
    spare_critical: bool = True,
) -> tuple[Injections, dict[str, np.ndarray]]:
    """Shed or curtail for each period (see the module docstring), a ``margin`` above its relief.

    Parameters
    ----------
    sg : ScenarioGrid
    blocks : Blocks
        The grid's switchable blocks (:func:`gridcore.shedding.blocks.build_blocks`).
    priorities : Priorities
    injections : Injections
        So far [MW].
    times : pd.DatetimeIndex
    periods : list of ConstraintPeriod
        Those still open.
    event : np.ndarray of bool
        Hours of the event (its topology decides what is downstream).
    margin : tuple of float
        Planned above each period's relief: a fraction of it [-] and a floor [MW].
    state : dict, optional
        Accumulated ``shed`` (hours x blocks, bool), ``cut_mw`` (hours x blocks), ``curtailed_mw`` (hours x
        sgens), ``uncovered_mw`` (hours): carried over rounds.
    spare_critical : bool
        Leave blocks with critical customers out of every plan.

    Returns
    -------
    injections : Injections
    state : dict
    """
    from gridcore.network.downstream import RadialTree
    from gridcore.shedding.plan import plan_export, plan_shortfall

    n, nb = len(times), len(blocks)
    if state is None:
        state = {
            "shed": np.zeros((n, nb), dtype=bool),
            "cut_mw": np.zeros((n, nb)),
            "curtailed_mw": np.zeros((n, injections.sgen_p_mw.shape[1])),
            "uncovered_mw": np.zeros(n),
        }
    p, q, g = injections.load_p_mw.copy(), injections.load_q_mvar.copy(), injections.sgen_p_mw.copy()
    trees: dict[bool, RadialTree] = {}
    pos = {t: i for i, t in enumerate(times)}
    cut_round = np.zeros_like(p)  # MW cut this round, per hour and load
    curtailed_round = np.zeros_like(g)
    for period in sorted(periods, key=lambda c: -abs(c.relief_mw)):
        rows = np.array(
            [pos[t] for t in pd.date_range(period.start, period.end, freq="1h", inclusive="left")]
        )
        in_event = bool(event[rows[0]]) and sg.event_net is not None
        if in_event not in trees:
            trees[in_event] = RadialTree(sg.event_net if in_event else sg.net)
        tree = trees[in_event]
        feeders = sg.event_bus_feeder if in_event else sg.bus_feeder
        if period.relief_mw >= 0:
            loads = _positions(sg.net.load.index, _reach(tree, feeders, sg.net.load, period.element, "loads"))
            eligible = np.isin(blocks.load, loads) & ~state["shed"][rows].any(axis=0)
            if spare_critical:
                eligible &= blocks.critical == 0
            # what this round already cut within the reach counts (a feeder's buses share one relief)
            done = cut_round[np.ix_(rows, loads[loads >= 0])].sum(axis=1)
            relief = np.full(len(rows), period.relief_mw)
            if period.kind == "shortfall":  # known hour by hour: net demand over the limit
                relief = np.clip(p[rows].sum(axis=1) - g[rows].sum(axis=1) - sg.supply_mw[rows], 0.0, None)
            need = np.clip(relief * (1.0 + margin[0]) + margin[1] * (relief > 0) - done, 0.0, None)
            if not need.any():
                continue
            sched, _ = plan_shortfall(blocks, p[rows], times[rows], 1.0, need, priorities, eligible=eligible)
            cut = np.zeros((len(rows), p.shape[1]))
            np.add.at(cut.T, blocks.load, sched.cut_mw.T)
            with np.errstate(invalid="ignore", divide="ignore"):
                keep = np.where(p[rows] > 1e-9, 1.0 - cut / p[rows], 1.0)
            p[rows] *= keep
            q[rows] *= keep
            cut_round[rows] += cut
            state["shed"][rows] |= sched.shed
            state["cut_mw"][rows] += sched.cut_mw
            state["uncovered_mw"][rows] = np.maximum(state["uncovered_mw"][rows], sched.uncovered_mw)
        else:
            gens = _positions(sg.net.sgen.index, _reach(tree, feeders, sg.net.sgen, period.element, "sgens"))
            reach = np.zeros(g.shape[1], dtype=bool)
            reach[gens[gens >= 0]] = True
            for r in rows:
                excess = -period.relief_mw * (1.0 + margin[0]) + margin[1] - curtailed_round[r, reach].sum()
                if excess <= 0:
                    continue
                out = plan_export(sg.model.sgen, g[r], excess, priorities, 0.0, eligible=reach)
                for gid, setpoint in out["curtailed"].items():
                    k = sg.model.sgen.index.get_loc(int(gid))
                    state["curtailed_mw"][r, k] += g[r, k] - setpoint
                    curtailed_round[r, k] += g[r, k] - setpoint
                    g[r, k] = setpoint
    return Injections(p, q, g), state


def shed_figures(blocks, state: dict[str, np.ndarray], priorities) -> dict[str, object]:  # noqa: ANN001
    """Customers affected by class, critical ones, energy shed and curtailed, cost of the plan."""
    from gridcore.shedding.impact import customers_affected

    shed_any = state["shed"].any(axis=0)
    affected = customers_affected(blocks, shed_any)
    cost = float((state["cut_mw"] * blocks.voll_eur_per_mwh).sum())
    curtailed = float(state["curtailed_mw"].sum())
    return {
        "blocks_shed": int(shed_any.sum()),
        "customers_affected": affected,
        "critical_affected": int(affected["critical"]),
        "shed_mwh": round(float(state["cut_mw"].sum()), 4),
        "peak_shed_mw": round(float(state["cut_mw"].sum(axis=1).max()), 4),
        "curtailed_mwh": round(curtailed, 4),
        "uncovered_mw": round(float(state["uncovered_mw"].max()), 4),
        "cost_eur": round(cost + curtailed * priorities.curtail_cost_eur_per_mwh, 2),
    }


def utilisation(sg, injections: Injections, event: np.ndarray) -> pd.DataFrame:  # noqa: ANN001
    """Per hour, each feeder's net load over its head line's (heat-derated) rating, and the import limit's.

    Feeders are those of the topology of the hour (the maintenance topology during the event); column
    ``supply`` is the grid's net import over the import limit (0 where there is none) [-].
    """
    from gridcore.network.feeders import derive_feeders
    from gridcore.storage.plan import feeder_limits_mw

    limits = feeder_limits_mw(sg.model, derive_feeders(sg.model).head_line)
    out = {}
    for f, limit in limits.items():
        net = np.zeros(len(event))
        for in_event, feeders in ((False, sg.bus_feeder), (True, sg.event_bus_feeder)):
            rows = event == in_event
            on_l = (sg.model.load["bus"].map(feeders) == f).to_numpy()
            on_g = (sg.model.sgen["bus"].map(feeders) == f).to_numpy()
            net[rows] = injections.load_p_mw[np.ix_(rows, on_l)].sum(axis=1)
            net[rows] -= injections.sgen_p_mw[np.ix_(rows, on_g)].sum(axis=1)
        out[f] = np.abs(net) / (limit * sg.line_rating_factor)
    total = injections.net_demand_mw()
    out["supply"] = np.where(np.isfinite(sg.supply_mw), np.clip(total, 0.0, None) / sg.supply_mw, 0.0)
    return pd.DataFrame(out)


def class_shares(model, meters: pd.DataFrame) -> np.ndarray:  # noqa: ANN001
    """(load, class) share of each load's power per customer class, from the meter fleet [-]."""
    from gridcore.market.response import CLASSES

    table = meters.groupby(["load", "customer_class"], observed=True)["share"].sum().unstack(fill_value=0.0)
    table = table.reindex(index=range(len(model.load)), columns=list(CLASSES), fill_value=0.0)
    total = table.sum(axis=1).replace(0.0, 1.0)
    return (table.div(total, axis=0)).to_numpy()


def rtp_signal(sg, injections: Injections, times: pd.DatetimeIndex, event: np.ndarray):  # noqa: ANN001, ANN201
    """The real-time price of the hours (:func:`gridcore.market.signals.price_signal`, ``rtp``).

    On the system's net load, climbing as any feeder's head line or the import limit nears its rating
    (:func:`utilisation`); revenue-neutral against the flat tariff on the hours' demand.
    """
    from gridcore.market.signals import price_signal

    util = utilisation(sg, injections, event)
    return price_signal(
        pd.Series(injections.net_demand_mw(), index=times),
        "rtp",
        demand_mw=pd.Series(injections.load_p_mw.sum(axis=1), index=times),
        feeder_net_mw=util.set_axis(times),
        feeder_limit_mw=pd.Series(1.0, index=util.columns),
    )


def price_step(
    sg,  # noqa: ANN001 (ScenarioGrid)
    injections: Injections,
    times: pd.DatetimeIndex,
    event: np.ndarray,
    meters: pd.DataFrame,
) -> StepResult:
    """A real-time price from the scarcity of the hours and the consumers' response to it.

    :func:`rtp_signal`; :func:`gridcore.market.response.respond` (``saturating``, by customer class from the
    meter fleet: critical customers never respond) moves each load.

    Returns
    -------
    StepResult
        ``series``: ``price_eur_per_mwh`` (what the batteries are then planned on), ``response_mw`` (load
        after minus before, all loads).
    """
    from gridcore.market.response import respond

    signal = rtp_signal(sg, injections, times, event)
    response = respond(
        injections.load_p_mw,
        signal.price_per_kwh,
        times,
        class_shares=class_shares(sg.model, meters),
        salience=signal.salience,
    )
    p = response.load_mw
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(injections.load_p_mw > 1e-9, p / injections.load_p_mw, 1.0)
    change = response.system_after_mw - response.system_before_mw
    return StepResult(
        "prices",
        Injections(p, injections.load_q_mvar * ratio, injections.sgen_p_mw),
        {
            **signal.to_dict(),
            "response_model": response.model,
            "largest_reduction_mw": round(float(-change.min()), 4),
            "largest_increase_mw": round(float(change.max()), 4),
            "energy_change_mwh": round(float(change.sum()), 4),
        },
        {"price_eur_per_mwh": signal.price_per_kwh * 1000.0, "response_mw": change},
    )
