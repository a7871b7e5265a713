"""Bench: the shedding planners. Greedy at 100,000 customers, greedy against the CP-SAT optimum on 1,000- and
10,000-block cases, and a network plan with power-flow verification on the congested LV grid.

    uv run python bench/bench_shedding.py [--repeat 5] [--exact-limit 120] [--only curtail,export24,mvlw]

Writes bench/out/shedding.json.

* greedy, 100,000 customers: the default grid's fleet of 100,000 meters as blocks (load points by class,
  large customers; 3,181 blocks), and every meter a block of its own (100,000 blocks, as with smart-meter
  disconnects); a 20 % shortfall at 2016-07-01T18:00Z; median wall time of the planner (blocks given).
* exact: customer-level blocks of the default grid's fleet (1,000 and 10,000 meters; power at 18:00, order
  and value of lost load by class) and a 30 % shortfall; OR-Tools CP-SAT (up to 8 workers) to
  optimality or the time limit (its default relative gap, 1e-4); the greedy's cost gap to it [%] and
  the ratio of their times.
* network: ``1-LV-rural2--2-sw`` at SimBench's high-load case, a plan for ``trafo:0`` checked by AC power
  flows (pandapower Newton-Raphson), median wall time; the peer is one power flow of the same grid with the
  same engine (``gridcore.network.powerflow.run_powerflow``).
* curtail: the same LV grid on 2016-06-21 10:00-13:00Z with eight times its PV and the slack at 1.03 p.u.
  (up to 1.07 p.u., transformer at 113 %), a 3-hour export event at ``trafo:0`` planned hour by hour; the
  least MW curtailed each hour (partial curtailment), against its peer, whole generators off in the same
  order (the generators the plan touches, at their full output), and the planning time.
* export24: the same grid and settings for the whole of 2016-06-21 (24 hourly plans): the planning time.
* mvlw: ``1-MV-semiurb--2-sw`` at SimBench's lW case, ``trafo:0``: MW curtailed against its peer, whole
  generators off in the priority file's type order (largest first) until a power flow shows no violation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
AT = pd.Timestamp("2016-07-01T18:00Z")


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def customer_blocks(n: int):
    """Per-customer arrays of the default grid's fleet of ``n`` meters at 18:00: p [MW], order, VoLL."""
    from gridcore.data.fleet import build_fleet
    from gridcore.network.grid import load_grid
    from gridcore.shedding.priorities import load_priorities

    grid = load_grid()
    rules = load_priorities()
    fleet = build_fleet(grid, n)
    row = grid.profile_index(pd.DatetimeIndex([AT]))[0]
    pos = grid.load.index.get_indexer(fleet["load"])
    p = np.maximum(grid.load_p_mw[row][pos], 0) * fleet["share"].to_numpy()
    cls = fleet["customer_class"].astype(str)
    order = cls.map(lambda c: rules.classes[c].shed_order * 10).to_numpy()
    voll = cls.map(lambda c: rules.classes[c].voll_eur_per_mwh).to_numpy()
    return p, order, voll


def bench_greedy(repeat: int) -> dict[str, object]:
    from gridcore.data.fleet import build_fleet
    from gridcore.network.grid import load_grid
    from gridcore.shedding.blocks import build_blocks
    from gridcore.shedding.greedy import greedy_select
    from gridcore.shedding.plan import event_slots, plan_shortfall
    from gridcore.shedding.priorities import load_priorities

    grid = load_grid()
    rules = load_priorities()
    t0 = time.perf_counter()
    fleet = build_fleet(grid, 100_000)
    blocks = build_blocks(grid.load, fleet, rules)
    setup = time.perf_counter() - t0
    starts, h = event_slots(AT, 1.0, rules.rotation_period_h)
    load_p = grid.load_p_mw[grid.profile_index(starts)]
    need = 0.2 * float(load_p[0].sum())
    t_blocks, (_, fig) = _median_time(lambda: plan_shortfall(blocks, load_p, starts, h, need, rules), repeat)
    p, order, voll = customer_blocks(100_000)
    t_meters, shed = _median_time(lambda: greedy_select(p, order, voll, need), repeat)
    return {
        "customers": 100_000,
        "shortfall_mw": round(need, 4),
        "blocks": len(blocks),
        "fleet_and_blocks_s": round(setup, 3),
        "plan_s": round(t_blocks, 4),
        "plan_shed_mw": fig["shed_mw"],
        "plan_critical_affected": fig["critical_affected"],
        "per_meter_blocks": 100_000,
        "per_meter_greedy_s": round(t_meters, 4),
        "per_meter_shed_mw": round(float(p[shed].sum()), 4),
    }


def bench_exact(sizes: list[int], limit_s: float) -> list[dict[str, object]]:
    from gridcore.shedding.exact import exact_select
    from gridcore.shedding.greedy import greedy_select, plan_cost

    rows = []
    for n in sizes:
        p, order, voll = customer_blocks(n)
        need = 0.3 * float(p.sum())
        t0 = time.perf_counter()
        g = greedy_select(p, order, voll, need)
        tg = time.perf_counter() - t0
        res = exact_select(
            p, order, voll, need, time_limit_s=limit_s, workers=max(1, min(8, os.cpu_count() or 1))
        )
        cg = plan_cost(p, voll, g)
        rows.append(
            {
                "blocks": n,
                "need_mw": round(need, 4),
                "greedy_cost_eur": round(cg, 2),
                "exact_cost_eur": round(res.cost_eur, 2),
                "exact_bound_eur": round(res.bound_eur, 2),
                "exact_status": res.status,
                "gap_pct": round(100 * (cg / res.cost_eur - 1), 4),
                "greedy_s": round(tg, 5),
                "exact_s": round(res.seconds, 3),
                "ratio_exact_to_greedy_time": round(res.seconds / max(tg, 1e-9), 1),
            }
        )
        print(rows[-1], flush=True)
    return rows


def bench_network(repeat: int) -> dict[str, object]:
    from gridcore.network.powerflow import run_powerflow
    from gridcore.shedding.events import Event
    from gridcore.shedding.priorities import load_priorities
    from gridcore.shedding.request import make_plan, prepare

    rules = load_priorities()
    ev = Event(None, study_case="hL", elements=["trafo:0"])
    t0 = time.perf_counter()
    setting = prepare(ev, rules, "1-LV-rural2--2-sw")
    setup = time.perf_counter() - t0
    t_plan, plan = _median_time(lambda: make_plan(setting, ev, rules), repeat)
    t_pf, _ = _median_time(lambda: run_powerflow(setting.net), repeat)
    return {
        "grid": "1-LV-rural2--2-sw",
        "study_case": "hL",
        "element": "trafo:0",
        "constraints_before": len(plan["constraints_before"]),
        "remaining": len(plan["remaining_constraints"]),
        "shed_mw": plan["shed_mw"],
        "dimmed_mw": plan["dimmed_mw"],
        "critical_affected": plan["critical_affected"],
        "power_flows": plan["power_flows"],
        "plan_s": round(t_plan, 3),
        "setup_s": round(setup, 3),
        "one_power_flow_s": round(t_pf, 4),
        "ratio_plan_to_one_power_flow": round(t_plan / t_pf, 1),
    }


def bench_curtail(repeat: int) -> dict[str, object]:
    from gridcore.shedding.events import Event
    from gridcore.shedding.priorities import load_priorities
    from gridcore.shedding.request import make_plan, prepare

    rules = load_priorities()
    ev = Event(pd.Timestamp("2016-06-21T10:00Z"), 3.0, elements=["trafo:0"])
    setting = prepare(ev, rules, "1-LV-rural2--2-sw")
    setting.net.ext_grid["vm_pu"] = 1.03
    setting.net.sgen["p_mw"] *= 8
    t_plan, plan = _median_time(lambda: make_plan(setting, ev, rules), repeat)
    setpoints = plan["export"]["setpoints_mw"]
    hours = []
    for k, h in enumerate(plan["per_hour"]):
        cut = plan["export"]["slots_mw"]
        whole = sum(sp[k] + cut[g][k] for g, sp in setpoints.items() if cut[g][k] > 0)
        hours.append({**h, "whole_generators_mw": round(whole, 6)})
    least = sum(h["curtailed_mw"] for h in hours)
    whole = sum(h["whole_generators_mw"] for h in hours)
    return {
        "grid": "1-LV-rural2--2-sw",
        "hours": hours,
        "curtailed_mwh": round(least, 4),
        "whole_generators_mwh": round(whole, 4),
        "ratio_to_whole_generators": round(least / whole, 3) if whole else None,
        "remaining": len(plan["remaining_constraints"]),
        "power_flows": plan["power_flows"],
        "plan_s": round(t_plan, 3),
    }


def bench_export_day(repeat: int) -> dict[str, object]:
    """The 24-h export event: the same LV grid and settings as ``curtail``, the whole of 2016-06-21."""
    from gridcore.shedding.events import Event
    from gridcore.shedding.priorities import load_priorities
    from gridcore.shedding.request import make_plan, prepare

    rules = load_priorities()
    ev = Event(pd.Timestamp("2016-06-21T00:00Z"), 24.0, elements=["trafo:0"])
    setting = prepare(ev, rules, "1-LV-rural2--2-sw")
    setting.net.ext_grid["vm_pu"] = 1.03
    setting.net.sgen["p_mw"] *= 8
    # no sun at midnight: the later hours take the profiles' generation, eight times over too
    setting.sgen_slots_mw = setting.sgen_slots_mw * 8
    setting.sgen_p_mw = setting.sgen_p_mw * 8
    t_plan, plan = _median_time(lambda: make_plan(setting, ev, rules), repeat)
    hours = plan["per_hour"]
    return {
        "grid": "1-LV-rural2--2-sw",
        "hours_constrained": sum(h["constraints_before"] > 0 for h in hours),
        "hours_curtailed": sum(h["curtailed_mw"] > 0 for h in hours),
        "curtailed_mwh": round(sum(h["curtailed_mw"] for h in hours), 4),
        "remaining": len(plan["remaining_constraints"]),
        "power_flows": plan["power_flows"],
        "plan_s": round(t_plan, 3),
        "setup_s": setting.setup_seconds,
    }


def bench_mv_lw(repeat: int) -> dict[str, object]:
    """``1-MV-semiurb--2-sw`` at SimBench's lW case, ``trafo:0``: least curtailment by place and sensitivity
    against the peer, curtailing by type order alone (largest first) until the power flow clears."""
    from gridcore.network.powerflow import run_powerflow
    from gridcore.shedding.events import Event
    from gridcore.shedding.priorities import load_priorities
    from gridcore.shedding.request import make_plan, prepare

    rules = load_priorities()
    ev = Event(None, study_case="lW", elements=["trafo:0"])
    setting = prepare(ev, rules, "1-MV-semiurb--2-sw", meters=5_000)
    t_plan, plan = _median_time(lambda: make_plan(setting, ev, rules), repeat)
    net = setting.net
    base = net.sgen["p_mw"].to_numpy().copy()
    types = net.sgen["type"].astype(str).to_numpy()
    order = rules.curtail_type_order
    rank = np.array([next((k for k, t in enumerate(order) if x.startswith(t)), 99) for x in types])
    idx = np.lexsort((-base, rank))
    idx = idx[base[idx] > 0]
    # the peer: whole generators off in type order, largest first, until nothing is violated
    lo, hi = 0, len(idx)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        net.sgen["p_mw"] = np.where(np.isin(np.arange(len(base)), idx[:mid]), 0.0, base)
        ok = not run_powerflow(net).violations
        lo, hi = (lo, mid) if ok else (mid, hi)
    net.sgen["p_mw"] = base
    peer = float(base[idx[:hi]].sum())
    return {
        "grid": "1-MV-semiurb--2-sw",
        "study_case": "lW",
        "curtailed_mw": plan["curtailed_mw"],
        "type_order_whole_generators_mw": round(peer, 3),
        "ratio": round(float(plan["curtailed_mw"]) / peer, 3) if peer else None,
        "remaining": len(plan["remaining_constraints"]),
        "power_flows": plan["power_flows"],
        "plan_s": round(t_plan, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--exact-limit", type=float, default=120.0)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--only", default="greedy,exact,network,curtail,export24,mvlw", help="parts to run")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    out: dict[str, object] = {}
    lines = []
    if "greedy" in parts:
        greedy = out["greedy"] = bench_greedy(args.repeat)
        print("greedy:", greedy, flush=True)
        lines.append(
            f"greedy 100,000 customers: {greedy['plan_s'] * 1000:.1f} ms ({greedy['blocks']} blocks), "
            f"{greedy['per_meter_greedy_s'] * 1000:.1f} ms (100,000 per-meter blocks)"
        )
    if "exact" in parts:
        exact = out["exact"] = bench_exact([int(s) for s in args.sizes.split(",")], args.exact_limit)
        lines += [
            f"{r['blocks']} blocks: gap {r['gap_pct']:.3f} % ({r['exact_status']}), exact {r['exact_s']} s, "
            f"ratio {r['ratio_exact_to_greedy_time']}"
            for r in exact
        ]
    if "network" in parts:
        network = out["network"] = bench_network(args.repeat)
        print("network:", network, flush=True)
        lines.append(
            f"network plan {network['plan_s']} s ({network['power_flows']} power flows, "
            f"ratio to one power flow {network['ratio_plan_to_one_power_flow']})"
        )
    if "curtail" in parts:
        curtail = out["curtail"] = bench_curtail(args.repeat)
        print("curtail:", curtail, flush=True)
        lines.append(
            f"3 h export event: {curtail['curtailed_mwh']} MWh curtailed, whole generators "
            f"{curtail['whole_generators_mwh']} MWh, ratio {curtail['ratio_to_whole_generators']}, "
            f"{curtail['remaining']} left, {curtail['plan_s']} s ({curtail['power_flows']} power flows)"
        )
    if "export24" in parts:
        day = out["export24"] = bench_export_day(args.repeat)
        print("export24:", day, flush=True)
        lines.append(
            f"24 h export event: {day['hours_constrained']} h constrained, "
            f"{day['curtailed_mwh']} MWh curtailed in {day['hours_curtailed']} h, "
            f"{day['remaining']} left, {day['plan_s']} s "
            f"({day['power_flows']} power flows)"
        )
    if "mvlw" in parts:
        mv = out["mvlw"] = bench_mv_lw(args.repeat)
        print("mvlw:", mv, flush=True)
        lines.append(
            f"MV lW: {mv['curtailed_mw']} MW curtailed against "
            f"{mv['type_order_whole_generators_mw']} MW by type order, ratio {mv['ratio']}, {mv['plan_s']} s"
        )
    OUT.mkdir(exist_ok=True)
    name = "shedding.json" if parts >= {"greedy", "exact", "network", "curtail"} else "shedding-partial.json"
    (OUT / name).write_text(json.dumps(out, indent=1))
    print("; ".join(lines))


if __name__ == "__main__":
    main()
