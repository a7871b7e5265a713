"""A shedding plan on a grid, from the command line's arguments: the grid, the fleet, the blocks, the plan.

:func:`prepare` loads the grid (a SimBench code or a case file), builds its meter fleet and the switchable
blocks, and puts loads and generation at the event's time (the SimBench profiles) or at a study case.
:func:`make_plan` plans the event on it: network constraints first (downstream of each element, checked by
power flow), then a supply shortfall with the blocks left, or the export-side mirror. A network event is
planned hour by hour (slots of an hour, or of the rotation period when shorter), each hour with that
hour's loads and generation and checked by its own power flow; the plan reports each hour (``per_hour``).
Batteries the plan uses get set-point commands (``charge`` / ``discharge``) beside the load commands.
``seconds`` is the planning time once the grid is loaded (``setup_seconds`` the loading).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.shedding.batteries import NONE, Headroom
from gridcore.shedding.blocks import Blocks, build_blocks, default_meters
from gridcore.shedding.events import Event
from gridcore.shedding.periods import events_from_periods, stored_events  # noqa: F401  (re-exported)
from gridcore.shedding.plan import event_slots, kept_reasons, plan_export, plan_figures, plan_shortfall
from gridcore.shedding.priorities import Priorities
from gridcore.shedding.rotation import Schedule, rotate

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

    from gridcore.network.grid import GridModel
    from gridcore.shedding.network import NetworkPlan


@dataclass
class Setting:
    """A grid ready to plan on.

    Attributes
    ----------
    label : str
        The grid's name.
    net : pandapowerNet or None
        Loads and generation at the event's first slot (or the study case); None for a supply shortfall.
        Later slots of a network plan scale its loads and generation by the profiles' change.
    model : GridModel
    fleet : pd.DataFrame
    blocks : Blocks
    starts : pd.DatetimeIndex
        UTC slot starts.
    period_h : float
        Slot length [h].
    load_p_mw : np.ndarray, shape (slots, loads)
        Load power per slot [MW].
    sgen_p_mw : np.ndarray
        Generation at the first slot [MW].
    headroom : Headroom
    study_case : str or None
    setup_seconds : float
    sgen_slots_mw : np.ndarray, shape (slots, sgens), optional
        Generation per slot [MW] (the first slot's in every slot when None).
    load_q_mvar : np.ndarray, shape (slots, loads), optional
        Load reactive power per slot [MVAr] (scaled with the active power when None).
    """

    label: str
    net: pandapowerNet | None
    model: GridModel
    fleet: pd.DataFrame
    blocks: Blocks
    starts: pd.DatetimeIndex
    period_h: float
    load_p_mw: np.ndarray
    sgen_p_mw: np.ndarray
    headroom: Headroom
    study_case: str | None
    setup_seconds: float
    sgen_slots_mw: np.ndarray | None = None
    load_q_mvar: np.ndarray | None = None


def prepare(
    event: Event,
    priorities: Priorities,
    grid: str | Path | None = None,
    meters: int | None = None,
    store: str | Path | None = None,
    network: bool | None = None,
) -> Setting:
    """Load the grid, fleet and blocks and set loads at the event's time or study case.

    Parameters
    ----------
    event : Event
        Needs ``start`` unless it has a study case (which then starts at 2016-01-01T00:00Z, nominal).
    priorities : Priorities
    grid : str or Path, optional
        SimBench code or case file (GRIDFLOW_GRID, else the default grid).
    meters : int, optional
        Fleet size (:func:`gridcore.shedding.blocks.default_meters` by default).
    store : str or Path, optional
        Store with battery schedules (batteries count only from a stored schedule).
    network : bool, optional
        Load the pandapower network (by default when the event has network elements or a study case).

    Returns
    -------
    Setting
    """
    from gridcore.data.fleet import build_fleet
    from gridcore.network.grid_spec import grid_model, resolve_grid
    from gridcore.network.powerflow import set_loads_at

    t0 = perf_counter()
    if event.start is None and event.study_case is None:
        raise InputError("give the event's time (--at) or a study case (--study-case)", field="--at")
    start = event.start if event.start is not None else pd.Timestamp("2016-01-01T00:00Z")
    hourly = bool(event.elements or event.export) and network is not False
    period = min(1.0, priorities.rotation_period_h) if hourly else priorities.rotation_period_h
    starts, period_h = event_slots(start, event.hours, period)
    net = None
    if network or (network is None and (event.elements or event.study_case is not None)):
        resolved = resolve_grid(grid)
        net, model, label = resolved.net, resolved.model, resolved.label
    else:  # a supply shortfall on the profiles needs no pandapower network
        model = grid_model(grid)
        label = model.code
    if model is None:
        raise InputError(
            f"--grid {label}: the grid has no load table the meter fleet can be built on", field="--grid"
        )
    if event.study_case is not None:
        from gridcore.network.study_case import apply_study_case

        apply_study_case(net, event.study_case)
        load_p = np.tile(net.load["p_mw"].to_numpy(dtype=np.float64), (len(starts), 1))
        sgen_p = net.sgen["p_mw"].to_numpy(dtype=np.float64).copy()
        sgen_slots = np.tile(sgen_p, (len(starts), 1))
        load_q = np.tile(net.load["q_mvar"].to_numpy(dtype=np.float64), (len(starts), 1))
    else:
        if net is not None:
            set_loads_at(net, model, start)
        rows = model.profile_index(starts)
        load_p = model.load_p_mw[rows]
        sgen_slots = model.sgen_p_mw[rows]
        load_q = model.load_q_mvar[rows]
        sgen_p = sgen_slots[0].copy()
    fleet = build_fleet(model, meters or default_meters(model.load, model.bus))
    blocks = build_blocks(model.load, fleet, priorities)
    headroom = NONE
    if store is not None and event.start is not None:
        headroom = _stored_headroom(Path(store), event.start)
    return Setting(
        label=label,
        net=net,
        model=model,
        fleet=fleet,
        blocks=blocks,
        starts=starts,
        period_h=period_h,
        load_p_mw=load_p,
        sgen_p_mw=sgen_p,
        headroom=headroom,
        study_case=event.study_case,
        setup_seconds=perf_counter() - t0,
        sgen_slots_mw=sgen_slots,
        load_q_mvar=load_q,
    )


def _stored_headroom(store: Path, at: pd.Timestamp) -> Headroom:
    """Battery headroom from the latest stored schedule covering ``at`` (none when there is none)."""
    from gridcore.shedding.batteries import headroom_from_schedule
    from gridcore.storage.store import list_schedules, read_schedule

    if not store.is_dir():
        return NONE
    issues = [t for t in list_schedules(store) if t <= at]
    if not issues:
        return NONE
    return headroom_from_schedule(read_schedule(store, issues[-1]), at)


def make_plan(
    setting: Setting,
    event: Event,
    priorities: Priorities,
    loading_limit_pct: float = 100.0,
) -> dict[str, object]:
    """Plan an event on a prepared grid (see the module docstring).

    Returns
    -------
    dict
        The plan's JSON: :func:`gridcore.shedding.plan.plan_figures` plus ``grid``, ``at``, ``hours``,
        ``study_case``, ``shortfall_mw``, ``elements``, ``constraints_before``, ``remaining_constraints``,
        ``power_flows``, ``priorities``, ``batteries_from``, ``seconds``, ``setup_seconds``. A network
        plan adds ``per_hour`` (per slot: ``start``, ``hours``, ``constraints_before`` and
        ``remaining_constraints`` (counts), ``shed_mw``, ``dimmed_mw``, ``battery_mw``, ``curtailed_mw``);
        its constraint lists give each element and kind once, worst value, with the slot ``starts``. When it
        curtails, ``export`` holds ``curtailed_mw`` (largest over the slots), ``generators`` (id -> largest
        MW curtailed), ``slots_mw`` (id -> MW curtailed per slot) and ``setpoints_mw`` (id -> output kept
        per slot) [MW].
    """
    t0 = perf_counter()
    s = setting
    blocks = s.blocks
    p = blocks.p_mw(s.load_p_mw)
    slots = len(s.starts)
    extra: dict[str, object] = {"constraints_before": [], "remaining_constraints": [], "power_flows": 0}
    figures: dict[str, object]
    bat_mw, bat_mwh, charge_mw, _ = s.headroom.total()
    eligible = None
    elements = [*event.elements, *event.export]
    curtail: dict[str, object] | None = None
    if elements:
        battery = (s.headroom.bus, s.headroom.discharge_mw) if priorities.batteries_first else None
        results, gen_p, load_p, bat_slots = _plan_hours(s, elements, battery, loading_limit_pct, priorities)
        p = blocks.p_mw(load_p)  # the loads planned on (the net's, which a caller may have changed)
        eligible = np.any([r.eligible for r in results], axis=0)
        extra = {
            "constraints_before": _merge([r.before for r in results], s.starts),
            "remaining_constraints": _merge([r.remaining for r in results], s.starts),
            "power_flows": sum(r.power_flows for r in {id(r): r for r in results}.values()),
            "per_hour": [
                {
                    "start": f"{s.starts[k]:%Y-%m-%dT%H:%M}Z",
                    "hours": round(s.period_h, 4),
                    "constraints_before": len(r.before),
                    "remaining_constraints": len(r.remaining),
                    "shed_mw": round(float(p[k][r.shed].sum()), 6),
                    "dimmed_mw": round(float(blocks.dimmable_mw(p[k])[r.dim & ~r.shed].sum()), 6),
                    "battery_mw": round(r.battery_mw, 6),
                    "curtailed_mw": round(r.curtailed_mw, 6),
                }
                for k, r in enumerate(results)
            ],
        }
        shed = np.array([r.shed for r in results])
        dim = np.array([r.dim & ~r.shed for r in results])
        cut = np.where(shed, p, 0.0)
        sched = Schedule(
            shed=shed,
            dim=dim,
            shed_mw=cut.sum(axis=1),
            dimmed_mw=np.where(dim, blocks.dimmable_mw(p), 0.0).sum(axis=1),
            battery_mw=np.array([r.battery_mw for r in results]),
            uncovered_mw=np.zeros(slots),
            cut_mw=cut,
            over_max=shed.sum(axis=0) * s.period_h > blocks.max_outage_h + 1e-9,
            outage_h=shed.sum(axis=0) * s.period_h,
        )
        curtail_mw = np.array([r.curtail for r in results])
        if (curtail_mw > 0).any():
            ids = [str(i) for i in s.net.sgen.index]
            used = np.flatnonzero((curtail_mw > 0).any(axis=0))
            curtail = {
                "curtailed_mw": round(float(curtail_mw.sum(axis=1).max()), 6),
                "generators": {ids[i]: round(float(curtail_mw[:, i].max()), 6) for i in used},
                "slots_mw": {ids[i]: [round(float(x), 6) for x in curtail_mw[:, i]] for i in used},
                "setpoints_mw": {
                    ids[i]: [round(float(x), 6) for x in gen_p[:, i] - curtail_mw[:, i]] for i in used
                },
            }
        need = sched.shed_mw + sched.dimmed_mw
        if event.shortfall_mw > 0:
            rest = np.maximum(event.shortfall_mw - need - sched.battery_mw, 0.0)
            more = rotate(blocks, np.where(shed, 0.0, p), rest, s.period_h, 0.0, np.inf, ~shed.any(axis=0))
            sched = _combine(sched, more)
            need = need + rest
        figures = plan_figures(blocks, sched, p, s.starts, s.period_h, need, priorities, eligible)
        reach = np.any([r.battery_in_reach for r in results if r.battery_in_reach is not None], axis=0)
        figures["batteries"], figures["battery_summary"] = _battery_report(
            s, bat_slots, reach if battery is not None else None, elements
        )
        figures["kept_reasons"] = kept_reasons(
            blocks, sched.shed.any(axis=0), eligible, "not downstream of " + ", ".join(elements)
        )
        if (sched.shed == sched.shed[0]).all():
            _switch_sections(s, sched.shed[0], figures, priorities)
        expiry = pd.Timedelta(minutes=priorities.command_expiry_min)
        period = pd.Timedelta(hours=s.period_h)
        if curtail is not None:
            from gridcore.shedding.commands import setpoint_commands

            figures["curtailed_mw"] = curtail["curtailed_mw"]
            figures["export"] = curtail
            sgen_ids = [f"sgen:{i}" for i in s.net.sgen.index]
            figures["commands"] += [  # type: ignore[operator]
                c.to_dict()
                for c in setpoint_commands(sgen_ids, gen_p - curtail_mw, curtail_mw, s.starts, period, expiry)
            ]
        if bat_slots.any():
            figures["commands"] += _battery_commands(s, bat_slots, expiry)  # type: ignore[operator]
    elif event.shortfall_mw >= 0:
        sched, figures = plan_shortfall(
            blocks, s.load_p_mw, s.starts, s.period_h, event.shortfall_mw, priorities, bat_mw, bat_mwh
        )
        share = s.headroom.discharge_mw / max(bat_mw, 1e-12)
        used = np.outer(sched.battery_mw, share)
        figures["batteries"], figures["battery_summary"] = _battery_report(
            s, used, np.ones(len(share), dtype=bool), ["supply"]
        )
        if sched.battery_mw.any():
            expiry = pd.Timedelta(minutes=priorities.command_expiry_min)
            figures["commands"] += _battery_commands(s, used, expiry)  # type: ignore[operator]
    else:
        figures = plan_figures(
            blocks,
            rotate(blocks, p, np.zeros(slots), s.period_h),
            p,
            s.starts,
            s.period_h,
            np.zeros(slots),
            priorities,
        )
    if event.shortfall_mw < 0:
        exp = plan_export(s.model.sgen, s.sgen_p_mw, max(-event.shortfall_mw, 0.0), priorities, charge_mw)
        figures["curtailed_mw"] = exp["curtailed_mw"]
        figures["export"] = exp
        if exp["battery_mw"]:
            share = s.headroom.charge_mw / max(charge_mw, 1e-12)
            charge = -float(exp["battery_mw"]) * np.tile(share, (slots, 1))  # type: ignore[arg-type]
            expiry = pd.Timedelta(minutes=priorities.command_expiry_min)
            figures["commands"] += _battery_commands(s, charge, expiry)  # type: ignore[operator]
    # needed_mw: what cutting load must cover (the shortfall less batteries and dimming)
    total = figures["needed_mw"]
    figures["shortfall_mw"] = round(event.shortfall_mw, 6)
    figures["needed_mw"] = round(max(float(total) - figures["battery_mw"] - figures["dimmed_mw"], 0.0), 6)  # type: ignore[operator]
    seconds = perf_counter() - t0
    return {
        "grid": s.label,
        "at": f"{s.starts[0]:%Y-%m-%dT%H:%M}Z" if s.study_case is None else None,
        "study_case": s.study_case,
        "hours": round(s.period_h * slots, 4),
        "elements": elements,
        "meters": len(s.fleet),
        "blocks_total": len(blocks),
        **figures,
        **extra,
        "priorities": priorities.source,
        "batteries_from": s.headroom.source,
        "seconds": round(seconds, 4),
        "setup_seconds": round(s.setup_seconds, 3),
    }


def _plan_hours(
    s: Setting,
    elements: list[str],
    battery: tuple[np.ndarray, np.ndarray] | None,
    loading_limit_pct: float,
    priorities: Priorities,
    budget_s: float = 8.0,
    slot_s: float = 3.0,
) -> tuple[list[NetworkPlan], np.ndarray, np.ndarray, np.ndarray]:
    """A network plan for each slot with that slot's loads and generation, rotated over the slots.

    Rotation: within a rotation period the blocks cut in the slot before are cut first again (a block
    stays out for the period); at the start of a period, within a tier, the blocks that took the least
    outage so far are cut first, so the burden moves on to other blocks downstream of the same element.
    A block whose customers would exceed their maximum outage is cut only after every other non-critical
    block in reach. Batteries give at most the energy they hold over the event: in each slot a battery
    offers the smaller of its headroom and its energy left over the slot.

    A slot with the same loads and generation as the one before, within the same rotation period, shares
    its plan. The search's time budget is ``budget_s``, or ``slot_s`` per plan made when that is more,
    spread over the plans still to make. Returned with the plans: the generation and the loads per slot
    [MW], shapes (slots, sgens) and (slots, loads), and the battery discharge per slot (slots, batteries)
    [MW].

    The net's loads and generation (the first slot's, maybe changed by the caller) are scaled, element by
    element, by the profiles' change from the first slot; the net is left as it was.
    """
    from gridcore.shedding.network import plan_network

    net = s.net
    base_p = net.load["p_mw"].to_numpy(dtype=np.float64).copy()
    base_q = net.load["q_mvar"].to_numpy(dtype=np.float64).copy()
    base_g = net.sgen["p_mw"].to_numpy(dtype=np.float64).copy()
    gen_slots = s.sgen_slots_mw if s.sgen_slots_mw is not None else np.tile(s.sgen_p_mw, (len(s.starts), 1))
    load_f = _scale(s.load_p_mw, s.load_p_mw[0])
    gen_f = _scale(gen_slots, gen_slots[0])
    gen_p = np.where(np.isnan(gen_f), gen_slots, base_g * np.nan_to_num(gen_f))
    load_p = np.where(np.isnan(load_f), s.load_p_mw, base_p * np.nan_to_num(load_f))
    if s.load_q_mvar is not None:
        q_f = _scale(s.load_q_mvar, s.load_q_mvar[0])
        load_q = np.where(np.isnan(q_f), s.load_q_mvar, base_q * np.nan_to_num(q_f))
    else:
        load_q = base_q * np.nan_to_num(load_f, nan=1.0)
    blocks = s.blocks
    out_h = np.zeros(len(blocks))
    prev = np.zeros(len(blocks), dtype=bool)
    per_period = max(int(round(priorities.rotation_period_h / s.period_h)), 1)
    energy = s.headroom.discharge_mwh.astype(np.float64).copy() if battery is not None else np.zeros(0)
    bat_slots = np.zeros((len(s.starts), len(energy)))
    last_offer = np.zeros(len(energy))
    fresh = [
        k == 0
        or k % per_period == 0
        or not np.array_equal(s.load_p_mw[k], s.load_p_mw[k - 1])
        or not np.array_equal(gen_p[k], gen_p[k - 1])
        for k in range(len(s.starts))
    ]
    budget_s = max(budget_s, slot_s * sum(fresh))
    out: list[NetworkPlan] = []
    t0 = perf_counter()
    try:
        for k in range(len(s.starts)):
            boundary = k % per_period == 0
            offer = None
            if battery is not None:
                offer = (battery[0], np.minimum(battery[1], np.maximum(energy, 0.0) / s.period_h))
            if not fresh[k] and (offer is None or np.array_equal(offer[1], last_offer)):
                plan = out[-1]
            else:
                net.load["p_mw"] = load_p[k]
                net.load["q_mvar"] = load_q[k]
                net.sgen["p_mw"] = gen_p[k]
                left = max((budget_s - (perf_counter() - t0)) / max(sum(fresh[k:]), 1), 0.5)
                plan = plan_network(
                    net,
                    blocks,
                    elements,
                    offer,
                    loading_limit_pct,
                    time_budget_s=left,
                    curtail_order=priorities.curtail_type_order,
                    rotation=np.where(prev & ~boundary, -1.0, out_h),
                    avoid=out_h + s.period_h > blocks.max_outage_h + 1e-9,
                    hints=out[-1].prefix if out else None,
                )
            out.append(plan)
            if offer is not None:
                last_offer = offer[1]
                bat_slots[k] = np.where(plan.battery, offer[1], 0.0)
                energy -= bat_slots[k] * s.period_h
            prev = plan.shed
            out_h += np.where(plan.shed, s.period_h, 0.0)
    finally:
        net.load["p_mw"] = base_p
        net.load["q_mvar"] = base_q
        net.sgen["p_mw"] = base_g
    return out, gen_p, load_p, bat_slots


def _scale(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Each slot's values over the first slot's (NaN where the first is 0)."""
    ok = np.abs(first) > 1e-12
    return np.where(ok, values / np.where(ok, first, 1.0), np.nan)


def _merge(lists: list[list[dict[str, object]]], starts: pd.DatetimeIndex) -> list[dict[str, object]]:
    """Constraints of each slot as one list, one entry per element and kind.

    Each entry keeps the worst value over the slots and lists the slot starts (``starts``, UTC) where it
    holds.
    """
    out: dict[tuple[str, str], dict[str, object]] = {}
    for k, items in enumerate(lists):
        for v in items:
            key = (str(v["element"]), str(v["kind"]))
            at = f"{starts[k]:%Y-%m-%dT%H:%M}Z"
            if key not in out:
                out[key] = {**v, "starts": [at]}
                continue
            entry = out[key]
            entry["starts"].append(at)  # type: ignore[attr-defined]
            if v["value"] is None or not v["limit"] or entry["value"] is None:
                continue
            limit = float(v["limit"])  # type: ignore[arg-type]
            if abs(float(v["value"]) / limit - 1) > abs(float(entry["value"]) / limit - 1):  # type: ignore[arg-type]
                entry["value"] = v["value"]
    return list(out.values())


def _battery_report(
    s: Setting, used_mw: np.ndarray, reach: np.ndarray | None, relieves: list[str]
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """What each battery of the stored schedule covered: the batteries used, and a summary of all.

    ``used_mw`` (slots, batteries) is each battery's extra discharge per slot [MW]; ``reach`` says which
    batteries may help (downstream of the constrained elements; None: none counted, the priority file
    puts batteries after cuts).

    Returns
    -------
    tuple of (list of dict, dict)
        Per battery used: ``battery``, ``bus``, ``relieves``, ``scheduled_mw``, ``headroom_mw``,
        ``energy_mwh`` (above its minimum), ``covered_mw`` (largest over the slots), ``covered_mwh``,
        ``slots_mw``. The summary: ``from`` (the schedule), ``stored``, ``in_reach``, ``used``,
        ``covered_mwh``, ``out_of_reach`` (ids of batteries not downstream, at most 50).
    """
    h = s.headroom
    ids = h.battery if h.battery is not None else np.arange(len(h.bus)).astype(str)
    scheduled = h.scheduled_mw if h.scheduled_mw is not None else np.zeros(len(h.bus))
    ok = np.zeros(len(h.bus), dtype=bool) if reach is None or len(reach) != len(h.bus) else reach
    used = used_mw if used_mw.size else np.zeros((len(s.starts), len(h.bus)))
    out = [
        {
            "battery": str(ids[i]),
            "bus": int(h.bus[i]),
            "relieves": relieves,
            "scheduled_mw": round(float(scheduled[i]), 6),
            "headroom_mw": round(float(h.discharge_mw[i]), 6),
            "energy_mwh": round(float(h.discharge_mwh[i]), 6),
            "covered_mw": round(float(used[:, i].max()), 6),
            "covered_mwh": round(float(used[:, i].sum() * s.period_h), 6),
            "slots_mw": [round(float(x), 6) for x in used[:, i]],
        }
        for i in np.flatnonzero(used.any(axis=0))
    ]
    summary = {
        "from": h.source,
        "stored": len(h.bus),
        "in_reach": int(ok.sum()),
        "used": len(out),
        "covered_mwh": round(float(used.sum() * s.period_h), 6),
        "out_of_reach": [str(x) for x in ids[~ok][:50]] if reach is not None else [],
    }
    return out, summary


def _battery_commands(s: Setting, extra_mw: np.ndarray, expiry: pd.Timedelta) -> list[dict[str, object]]:
    """Set-point commands for the batteries a plan uses.

    ``extra_mw`` (slots, batteries) is what the plan adds to each one's stored schedule [MW], positive
    discharging.
    """
    from gridcore.shedding.commands import battery_commands

    h = s.headroom
    ids = [f"battery:{i}" for i in (h.battery if h.battery is not None else range(len(h.bus)))]
    scheduled = h.scheduled_mw if h.scheduled_mw is not None else np.zeros(len(h.bus))
    period = pd.Timedelta(hours=s.period_h)
    back = h.scheduled_at(s.starts + period)
    cmds = battery_commands(ids, scheduled, extra_mw, s.starts, period, expiry, back)
    return [c.to_dict() for c in cmds]


def _switch_sections(
    s: Setting, shed: np.ndarray, figures: dict[str, object], priorities: Priorities
) -> None:
    """Replace the commands of blocks that make up whole feeder sections by one switch command each."""
    from gridcore.network.downstream import RadialTree
    from gridcore.shedding.commands import command
    from gridcore.shedding.sections import feeder_sections

    sections = feeder_sections(s.net, RadialTree(s.net), s.blocks, shed)
    figures["sections"] = [{k: v for k, v in sec.items() if k != "blocks"} for sec in sections]
    if not sections:
        return
    ids = {str(s.blocks.block_id[i]) for sec in sections for i in sec["blocks"]}  # type: ignore[attr-defined]
    expiry = pd.Timedelta(minutes=priorities.command_expiry_min)
    end = s.starts[-1] + pd.Timedelta(hours=s.period_h)
    kept = [c for c in figures["commands"] if c["device"] not in ids]  # type: ignore[attr-defined,index]
    p = s.blocks.p_mw(s.load_p_mw[0])
    for sec in sections:
        device = f"switch:{sec['switch']}"
        kw = float(p[sec["blocks"]].sum() * 1000)  # type: ignore[index]
        kept += [command(device, "shed", s.starts[0], end, expiry, None, kw).to_dict()]
        kept += [command(device, "restore", end, end, expiry, None, kw).to_dict()]
    figures["commands"] = kept


def _combine(a: Schedule, b: Schedule) -> Schedule:
    """Two schedules of the same slots and blocks, one on top of the other."""
    return replace(
        a,
        shed=a.shed | b.shed,
        dim=(a.dim | b.dim) & ~(a.shed | b.shed),
        shed_mw=a.shed_mw + b.shed_mw,
        dimmed_mw=a.dimmed_mw + b.dimmed_mw,
        battery_mw=a.battery_mw + b.battery_mw,
        uncovered_mw=b.uncovered_mw,
        cut_mw=a.cut_mw + b.cut_mw,
        over_max=a.over_max | b.over_max,
        outage_h=a.outage_h + b.outage_h,
    )
