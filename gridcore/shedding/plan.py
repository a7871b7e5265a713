"""A shedding plan for a supply shortfall, and the plan's figures and commands (its JSON).

:func:`plan_shortfall` covers a shortfall of ``needed_mw`` over an event of ``hours`` (rotating the burden
every rotation period) with batteries, dimming and cuts (:mod:`gridcore.shedding.rotation`);
:func:`plan_export` is the mirror for too much generation: batteries charge, then generation is curtailed
in the priority file's order of types. :func:`plan_figures` turns a schedule into the plan's JSON: what was
needed and shed, customers affected by class, critical customers affected, unserved energy, cost (value of
lost load), the rotation, fairness, the blocks and the commands.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.shedding.blocks import Blocks
from gridcore.shedding.commands import ShedCommand, interval_commands
from gridcore.shedding.impact import customers_affected, fairness
from gridcore.shedding.priorities import Priorities
from gridcore.shedding.rotation import Schedule, rotate


def event_slots(at: pd.Timestamp, hours: float, period_h: float) -> tuple[pd.DatetimeIndex, float]:
    """Slot starts of an event and the slot length [h] (the last slot may be shorter: all equal here).

    Parameters
    ----------
    at : pd.Timestamp
        UTC start.
    hours : float
        Event duration [h].
    period_h : float
        Rotation period [h].

    Returns
    -------
    tuple of (pd.DatetimeIndex, float)
    """
    n = max(1, int(np.ceil(hours / period_h - 1e-9)))
    length = hours / n
    starts = pd.DatetimeIndex([at + pd.Timedelta(hours=length * k) for k in range(n)])
    return starts, length


def plan_shortfall(
    blocks: Blocks,
    load_p_mw: np.ndarray,
    starts: pd.DatetimeIndex,
    period_h: float,
    needed_mw: float | np.ndarray,
    priorities: Priorities,
    battery_mw: float = 0.0,
    battery_mwh: float = np.inf,
    eligible: np.ndarray | None = None,
) -> tuple[Schedule, dict[str, object]]:
    """Plan a supply shortfall over the event's slots.

    Parameters
    ----------
    blocks : Blocks
    load_p_mw : np.ndarray, shape (slots, loads)
        Load power in each slot [MW].
    starts : pd.DatetimeIndex
        UTC slot starts.
    period_h : float
        Slot length [h].
    needed_mw : float or np.ndarray
        Shortfall per slot [MW].
    priorities : Priorities
    battery_mw, battery_mwh : float
        Battery discharge headroom [MW] and energy [MWh] in reach.
    eligible : np.ndarray of bool, optional
        Blocks in reach.

    Returns
    -------
    tuple of (Schedule, dict)
        The schedule and the plan's figures (:func:`plan_figures`).
    """
    need = np.broadcast_to(np.asarray(needed_mw, dtype=np.float64), (len(starts),)).copy()
    p = blocks.p_mw(np.atleast_2d(load_p_mw))
    bat = battery_mw if priorities.batteries_first else 0.0
    sched = rotate(blocks, p, need, period_h, bat, battery_mwh, eligible)
    return sched, plan_figures(blocks, sched, p, starts, period_h, need, priorities)


def plan_figures(
    blocks: Blocks,
    sched: Schedule,
    p_mw: np.ndarray,
    starts: pd.DatetimeIndex,
    period_h: float,
    needed_mw: np.ndarray,
    priorities: Priorities,
    eligible: np.ndarray | None = None,
) -> dict[str, object]:
    """The plan's JSON figures (see the module docstring).

    ``eligible`` (blocks in reach, e.g. downstream of the constrained elements) limits the fairness
    figures to the customers that could have taken the outage.

    Returns
    -------
    dict
        ``needed_mw`` (largest over the slots), ``shed_mw``, ``dimmed_mw``, ``battery_mw`` (in the slot of
        the largest need) [MW], ``uncovered_mw`` (largest), ``customers_affected`` (by class),
        ``critical_affected``, ``unserved_mwh`` [MWh], ``cost`` [EUR], ``rotation``, ``fairness``,
        ``blocks`` (those shed or dimmed), ``kept_reasons``, ``commands``.
    """
    shed_any = sched.shed.any(axis=0)
    dim_any = sched.dim.any(axis=0)
    unserved = float(sched.cut_mw.sum() * period_h)
    dim_mwh = float(sched.dimmed_mw.sum() * period_h)
    cost = float((sched.cut_mw * blocks.voll_eur_per_mwh).sum() * period_h)
    cost += dim_mwh * priorities.dim_cost_eur_per_mwh
    worst = int(np.argmax(needed_mw))
    affected = customers_affected(blocks, shed_any)
    period = pd.Timedelta(hours=period_h)
    expiry = pd.Timedelta(minutes=priorities.command_expiry_min)
    ids = list(blocks.block_id)
    commands: list[ShedCommand] = interval_commands(
        ids, sched.shed, starts, period, expiry, "shed", loads_kw=sched.cut_mw * 1000
    )
    floor_kw = [None if np.isnan(f) else f * 1000 for f in blocks.dim_floor_mw]
    dim_kw = np.where(sched.dim, blocks.dimmable_mw(p_mw), 0.0) * 1000
    commands += interval_commands(ids, sched.dim, starts, period, expiry, "dim", floor_kw, dim_kw)
    slots = [
        {
            "start": f"{starts[s]:%Y-%m-%dT%H:%M}Z",
            "hours": round(period_h, 4),
            "needed_mw": round(float(needed_mw[s]), 6),
            "shed_mw": round(float(sched.shed_mw[s]), 6),
            "dimmed_mw": round(float(sched.dimmed_mw[s]), 6),
            "battery_mw": round(float(sched.battery_mw[s]), 6),
            "blocks_shed": int(sched.shed[s].sum()),
            "customers_out": int(blocks.n_customers[sched.shed[s]].sum()),
        }
        for s in range(len(starts))
    ]
    shown = np.flatnonzero(shed_any | dim_any)
    listed = [
        {
            "block": ids[i],
            "kind": str(blocks.kind[i]),
            "action": "shed" if shed_any[i] else "dim",
            "mw": round(float(sched.cut_mw[:, i].max() if shed_any[i] else 0.0), 6),
            "order": int(blocks.order[i]),
            "customers": int(blocks.n_customers[i]),
            "outage_h": round(float(sched.outage_h[i]), 3),
        }
        for i in shown[np.argsort(blocks.order[shown], kind="stable")]
    ]
    return {
        "needed_mw": round(float(needed_mw[worst]), 6),
        "shed_mw": round(float(sched.shed_mw[worst]), 6),
        "dimmed_mw": round(float(sched.dimmed_mw[worst]), 6),
        "battery_mw": round(float(sched.battery_mw[worst]), 6),
        "curtailed_mw": 0.0,
        "uncovered_mw": round(float(sched.uncovered_mw.max()), 6),
        "customers_affected": affected,
        "critical_affected": int(affected["critical"]),
        "unserved_mwh": round(unserved, 6),
        "cost": round(cost, 2),
        "rotation": {
            "period_h": round(period_h, 4),
            "slots": slots,
            "max_outage_exceeded": [ids[i] for i in np.flatnonzero(sched.over_max)],
        },
        "fairness": fairness(blocks, sched.outage_h, shed_any, eligible),
        "blocks": listed,
        "kept_reasons": kept_reasons(blocks, shed_any, None),
        "commands": [c.to_dict() for c in commands],
    }


def kept_reasons(
    blocks: Blocks, shed_any: np.ndarray, eligible: np.ndarray | None, outside: str = "out of reach"
) -> dict[str, int]:
    """Why blocks of an earlier shed order than the latest one shed were kept, counted by reason.

    Reasons: ``never-shed list``, ``out of reach`` (``outside``: not downstream of the constraint), ``no
    load now``. A plan of the greedy keeps no such block for any other reason.
    """
    if not shed_any.any():
        return {}
    latest = blocks.order[shed_any].max()
    kept = ~shed_any & (blocks.order < latest)
    out: dict[str, int] = {}
    never = kept & blocks.never_shed
    if never.any():
        out["never-shed list"] = int(never.sum())
    if eligible is not None:
        far = kept & ~blocks.never_shed & ~eligible
        if far.any():
            out[outside] = int(far.sum())
    return out


def plan_export(
    sgen: pd.DataFrame,
    sgen_p_mw: np.ndarray,
    excess_mw: float,
    priorities: Priorities,
    battery_charge_mw: float = 0.0,
    eligible: np.ndarray | None = None,
) -> dict[str, object]:
    """The export-side mirror: batteries charge, then generation is curtailed by the priority file's order.

    Generators are curtailed type by type (``curtailment.type_order``; types not listed last), largest
    first within a type, the last one partly (to a setpoint).

    Parameters
    ----------
    sgen : pd.DataFrame
        Static generators (index id; ``type``).
    sgen_p_mw : np.ndarray
        Their output now [MW].
    excess_mw : float
        Generation to take off [MW].
    priorities : Priorities
    battery_charge_mw : float
        Charge headroom of the batteries in reach [MW].
    eligible : np.ndarray of bool, optional
        Generators in reach.

    Returns
    -------
    dict
        ``needed_mw``, ``battery_mw`` (charging), ``curtailed_mw`` [MW], ``uncovered_mw``, ``curtailed``
        (generator id -> setpoint [MW]), ``cost`` [EUR/h].
    """
    bat = min(battery_charge_mw, excess_mw) if priorities.batteries_first else 0.0
    need = excess_mw - bat
    types = sgen["type"].astype(str).to_numpy()
    rank = np.array(
        [
            next((k for k, t in enumerate(priorities.curtail_type_order) if typ.startswith(t)), 99)
            for typ in types
        ]
    )
    ok = sgen_p_mw > 0 if eligible is None else (sgen_p_mw > 0) & eligible
    idx = np.flatnonzero(ok)
    idx = idx[np.lexsort((-sgen_p_mw[idx], rank[idx]))]
    curtailed: dict[str, float] = {}
    total = 0.0
    for i in idx:
        if total >= need - 1e-9:
            break
        take = min(float(sgen_p_mw[i]), need - total)
        curtailed[str(sgen.index[i])] = round(float(sgen_p_mw[i]) - take, 6)
        total += take
    return {
        "needed_mw": round(excess_mw, 6),
        "battery_mw": round(bat, 6),
        "curtailed_mw": round(total, 6),
        "uncovered_mw": round(max(need - total, 0.0), 6),
        "curtailed": curtailed,
        "cost": round(total * priorities.curtail_cost_eur_per_mwh, 2),
    }
