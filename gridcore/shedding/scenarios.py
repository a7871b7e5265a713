"""A sweep of shedding scenarios on one grid: shortfalls, simultaneous overloads, a rotating event.

* supply shortfalls of 5, 10, 20, 30 and 50 % of the grid's load at the time;
* one, two and three simultaneous overloads: the feeder-head lines carrying the most active power to the
  loads of their feeders (load above generation downstream), derated (as in a heat wave) to 80 % of the
  current they carry, each relieved downstream and checked by power flow;
* a 6-hour event of a 20 % shortfall, rotating every rotation period.

Each row gives MW shed and dimmed, customers affected by class, critical customers affected, unserved
energy, cost, fairness (Jain) and the constraints left; :func:`plot_scenarios` draws them.
"""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.shedding.events import Event
from gridcore.shedding.priorities import CLASSES, Priorities

if TYPE_CHECKING:
    from gridcore.shedding.request import Setting

SHORTFALL_PCT = (5, 10, 20, 30, 50)
OVERLOADS = (1, 2, 3)
#: Derated line current as a fraction of the current it carries (an overload of 25 %).
DERATE = 0.8


def derate_heads(setting: Setting, count: int) -> list[str]:
    """Derate the ``count`` feeder-head lines carrying the most active power to loads, in place.

    Parameters
    ----------
    setting : Setting
        With a pandapower network at the time planned for.
    count : int

    Returns
    -------
    list of str
        ``line:<i>`` of the derated lines.
    """
    import pandapower as pp

    from gridcore.network.downstream import RadialTree

    net = setting.net
    pp.runpp(net, lightsim2grid=False)
    tree = RadialTree(net)
    heads = []
    for bus, (table, index) in tree.branch.items():
        parent = tree.parent[bus]
        if table != "line" or parent is None or tree.branch.get(parent, ("trafo",))[0] != "trafo":
            continue
        load = net.load["p_mw"].reindex(tree.loads(f"line:{index}")).sum()
        if load <= net.sgen["p_mw"].reindex(tree.sgens(f"line:{index}")).sum():
            continue  # import side only
        row = net.line.loc[index]
        p_out = net.res_line.at[index, "p_from_mw" if row["from_bus"] == parent else "p_to_mw"]
        if p_out > 0:  # power flows away from the transformer (not a loop flow of a closed ring)
            heads.append((float(p_out), index))
    # the largest active power flows: a cable's charging current is no load to shed
    heads = [i for _, i in sorted(set(heads), reverse=True)][:count]
    for i in heads:
        net.line.at[i, "max_i_ka"] = DERATE * float(net.res_line.at[i, "i_ka"])
    return [f"line:{i}" for i in heads]


def run_scenarios(setting: Setting, priorities: Priorities, six_hour: Setting | None = None) -> pd.DataFrame:
    """Plan every scenario (see the module docstring).

    Parameters
    ----------
    setting : Setting
        A one-slot setting (with its network) at the time of the sweep.
    priorities : Priorities
    six_hour : Setting, optional
        The same grid over 6 hours (for the rotating event); skipped when None.

    Returns
    -------
    pd.DataFrame
        One row per scenario: ``scenario``, ``needed_mw``, ``shed_mw``, ``dimmed_mw``, one column per class
        (customers affected), ``critical_affected``, ``unserved_mwh``, ``cost_eur``, ``fairness_jain``,
        ``remaining_constraints``, ``seconds``.
    """
    from gridcore.shedding.request import make_plan

    total = float(setting.load_p_mw[0].sum())
    rows = []
    for pct in SHORTFALL_PCT:
        ev = Event(setting.starts[0], setting.period_h, total * pct / 100)
        rows.append(_row(f"shortfall {pct} %", make_plan(setting, ev, priorities)))
    limits = setting.net.line["max_i_ka"].copy()
    for count in OVERLOADS:
        elements = derate_heads(setting, count)
        ev = Event(setting.starts[0], setting.period_h, 0.0, elements)
        t0 = perf_counter()
        plan = make_plan(setting, ev, priorities)
        plan["seconds"] = round(perf_counter() - t0, 4)
        rows.append(_row(f"{count} overload{'s' if count > 1 else ''}", plan))
        setting.net.line["max_i_ka"] = limits
    if six_hour is not None:
        need = float(six_hour.load_p_mw.sum(axis=1).min()) * 0.2
        ev = Event(six_hour.starts[0], 6.0, need)
        rows.append(_row("6 h event, 20 %, rotating", make_plan(six_hour, ev, priorities)))
    return pd.DataFrame(rows)


def _row(name: str, plan: dict[str, object]) -> dict[str, object]:
    customers = plan["customers_affected"]
    fair = plan["fairness"]
    assert isinstance(customers, dict) and isinstance(fair, dict)
    return {
        "scenario": name,
        "needed_mw": plan["needed_mw"],
        "shed_mw": plan["shed_mw"],
        "dimmed_mw": plan["dimmed_mw"],
        **{c: customers[c] for c in CLASSES},
        "critical_affected": plan["critical_affected"],
        "unserved_mwh": plan["unserved_mwh"],
        "cost_eur": plan["cost"],
        "fairness_jain": fair["jain"],
        "max_outage_h": fair["max_outage_h"],
        "remaining_constraints": len(plan["remaining_constraints"]),  # type: ignore[arg-type]
        "seconds": plan["seconds"],
    }


def plot_scenarios(table: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Draw the sweep: MW shed and dimmed, customers by class, unserved MWh, fairness (PNG).

    Parameters
    ----------
    table : pd.DataFrame
        As :func:`run_scenarios` returns.
    path : str or Path
        PNG file.
    title : str

    Returns
    -------
    Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    x = np.arange(len(table))
    fig, axes = plt.subplots(2, 2, figsize=(13, 8), sharex=True)
    ax = axes[0, 0]
    ax.bar(x, table["shed_mw"], label="shed")
    ax.bar(x, table["dimmed_mw"], bottom=table["shed_mw"], label="dimmed")
    ax.plot(x, table["needed_mw"], "k_", markersize=18, label="needed (cuts)")
    ax.set_ylabel("MW")
    ax.legend()
    ax = axes[0, 1]
    bottom = np.zeros(len(table))
    for c in CLASSES:
        ax.bar(x, table[c], bottom=bottom, label=c)
        bottom += table[c].to_numpy()
    ax.set_ylabel("customers affected")
    ax.legend()
    ax = axes[1, 0]
    ax.bar(x, table["unserved_mwh"], color="tab:red")
    ax.set_ylabel("unserved MWh")
    ax = axes[1, 1]
    ax.bar(x, table["fairness_jain"], color="tab:green")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("fairness (Jain)")
    for a in axes[1]:
        a.set_xticks(x, table["scenario"], rotation=35, ha="right")
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
