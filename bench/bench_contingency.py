"""Benchmark: N-1 contingency analysis, the fast engine against lightsim2grid alone and a pandapower loop.

Run by hand: ``uv run python bench/bench_contingency.py [--repeat 3] [--sample 100] [--full-loop] [--big]``.

Grids:

- ``case1354pegase`` (pandapower.networks): 1354 buses, 1991 outages (every line and transformer).
- ``simbench_mv``: the default grid, SimBench ``1-MV-semiurb--0-sw`` (bus-bus switches, open loop switches).
- ``simbench_mvlv_1k``: about 1,000 buses of SimBench ``1-MVLV-semiurb-all-0-sw``: the MV grid with every
  tenth of its 110 LV grids in full; the other LV grids are replaced by their load and generation at the
  MV side of their MV/LV transformer. (SimBench has no MV+LV code of about 1,000 buses: the single-LV
  variants have 110-250 buses, the ``-all-`` ones 5,500-10,500.)
- ``simbench_mvlv_all`` (``--big``): the whole ``1-MVLV-semiurb-all-0-sw``, 9,099 buses, 9,097 outages.

Per grid, in the same run:

1. ours: ``contingency_analysis(net)`` (engine lightsim2grid), end to end: grid rewrite and conversion,
   base case, islanding, the batch, loading as pandapower computes it, violations, ranking. Median of
   ``--repeat`` runs after one warm-up.
2. peer: lightsim2grid's own ``ContingencyAnalysisCPP`` alone on the same outages and the same grid model
   (``handle_disconnected_grid`` on, as ours): create, register, ``compute``, then voltages, currents and
   active flows (what ``ContingencyAnalysis.get_flows`` returns), with its default algorithm (``NR_KLU``,
   as ours). Median of ``--repeat``. For ``case1354pegase`` also with the pandapower -> lightsim2grid
   conversion and base case included.
3. pandapower loop, as the issue measures it: set out of service, ``pp.runpp(net, lightsim2grid=False)``
   with pandapower's defaults, restore; on ``--sample`` random outages (seed 0), extrapolated to all
   outages; ``--full-loop`` runs every outage instead (case1354pegase: several minutes). The numba JIT
   compile of the first ``pp.runpp`` is paid in a warm-up and reported apart. Also the reference engine
   ``contingency_analysis(net, engine="pandapower")`` (the same loop started from the base case, plus
   islanding and violations) on the same outages; it checks agreement: max |vm| and |loading|
   difference between the engines.

Ratios: ours / peer (goal <= 1.5) and pandapower loop / ours (goal >= 30). Timings on a shared 2-core
machine: the load average before and after each grid is recorded. Writes ``bench/out/contingency.json``
and prints a markdown table.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import subprocess
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandapower as pp
import pandapower.networks as pn
from pandapower.toolbox import drop_buses as drop_buses_and_elements

from gridcore.network import contingency
from gridcore.network.contingency import ContingencyResult, contingency_analysis, lightsim_model, reference
from gridcore.network.grid import pandapower_net

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
MVLV_CODE = "1-MVLV-semiurb-all-0-sw"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """Median seconds of ``repeat`` runs after one warm-up, all runs, and the last result."""
    out = fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), runs, out


def mvlv_1k(net: pp.pandapowerNet | None = None) -> pp.pandapowerNet:
    """MV grid + every tenth LV grid of ``1-MVLV-semiurb-all-0-sw``; the others lumped at their MV bus.

    ``net``: the whole grid as ``simbench`` builds it (built here when None); changed in place. A lumped
    load or generator lists the rows it replaces in its column ``lumped_from`` (tuple of indices).
    """
    import simbench as sb

    if net is None:
        net = sb.get_simbench_net(MVLV_CODE)
    lv = net.bus[net.bus["vn_kv"] < 1.0]
    grids = sorted(lv["subnet"].str.split("_").str[0].unique())
    keep = set(grids[::10])
    drop_buses = lv.index[~lv["subnet"].str.split("_").str[0].isin(keep)]
    trafos = net.trafo[net.trafo["lv_bus"].isin(drop_buses)]
    lv_of = {}  # LV bus -> MV bus of its transformer, through the LV grid's lines
    for name in grids:
        if name in keep:
            continue
        buses = lv.index[lv["subnet"].str.split("_").str[0] == name]
        hv = trafos.loc[trafos["lv_bus"].isin(buses), "hv_bus"]
        lv_of.update(dict.fromkeys(buses, int(hv.iloc[0])))
    for table in ("load", "sgen"):
        t = net[table]
        moved = t[t["bus"].isin(drop_buses)]
        groups = moved.assign(mv=moved["bus"].map(lv_of)).groupby("mv")
        lumped = groups[["p_mw", "q_mvar"]].sum()
        create = pp.create_load if table == "load" else pp.create_sgen
        t["lumped_from"] = None
        for bus, row in lumped.iterrows():
            i = create(net, int(bus), p_mw=row["p_mw"], q_mvar=row["q_mvar"], name=f"lumped LV at bus {bus}")
            net[table].at[i, "lumped_from"] = tuple(int(k) for k in groups.groups[bus])
    drop_buses_and_elements(net, drop_buses)
    return net


def grid_makers() -> dict[str, Callable[[], pp.pandapowerNet]]:
    def mvlv_all() -> pp.pandapowerNet:
        import simbench as sb

        return sb.get_simbench_net(MVLV_CODE)

    return {
        "case1354pegase": pn.case1354pegase,
        "simbench_mv": pandapower_net,
        "simbench_mvlv_1k": mvlv_1k,
        "simbench_mvlv_all": mvlv_all,
    }


def peer(net: pp.pandapowerNet, result: ContingencyResult, with_conversion: bool) -> Callable[[], Any]:
    """lightsim2grid's ContingencyAnalysisCPP alone, on the grid model ours solves and the same outages."""
    from lightsim2grid.lightsim2grid_cpp import ContingencyAnalysisCPP
    from lightsim2grid.network import init_from_pandapower

    nl = len(net.line)
    branches = [
        net.line.index.get_loc(i) if t == "line" else nl + net.trafo.index.get_loc(i)
        for t, i in result.outages.index
    ]

    def grid_and_base() -> tuple[Any, np.ndarray]:
        if with_conversion:  # a grid without switches: lightsim2grid's importer reads it as it is
            with warnings.catch_warnings():  # NaN taps filled with 0, slack taken from the ext_grid
                warnings.simplefilter("ignore", UserWarning)
                grid = init_from_pandapower(net, pp_orig_file="pandapower_v2")
        else:
            grid = lightsim_model._prepare(net).grid
        flat = np.ones(grid.total_bus(), dtype=complex)
        return grid, grid.ac_pf(grid.dc_pf(flat, 10, 1e-8), 20, 1e-8)

    prepared = None if with_conversion else grid_and_base()

    def run() -> tuple[np.ndarray, np.ndarray]:
        grid, v0 = grid_and_base() if prepared is None else prepared
        sa = ContingencyAnalysisCPP(grid, False)
        sa.handle_disconnected_grid = True
        sa.add_multiple_n1(branches)
        sa.compute(v0, contingency.MAX_ITER, contingency.TOL_PU)
        v = sa.get_voltages()
        sa.compute_flows()
        amps = sa.get_flows()
        sa.compute_power_flows()
        sa.get_power_flows()
        sa.close()
        return v, amps

    return run


def plain_loop(net: pp.pandapowerNet, outages: list[tuple[str, int]]) -> float:
    """Seconds of the plain pandapower N-1 loop over ``outages`` (a diverged outage is caught, counted)."""
    work = copy.deepcopy(net)
    t = time.perf_counter()
    for kind, idx in outages:
        work[kind].at[idx, "in_service"] = False
        try:
            pp.runpp(work, lightsim2grid=False)
        except pp.LoadflowNotConverged:
            pass
        finally:
            work[kind].at[idx, "in_service"] = True
    return time.perf_counter() - t


def agreement(fast: ContingencyResult, ref: ContingencyResult) -> dict[str, Any]:
    """Max differences between the engines on the same outages."""
    assert fast.vm_pu is not None and ref.vm_pu is not None
    assert fast.loading_pct is not None and ref.loading_pct is not None
    vm_f, vm_r = fast.vm_pu.to_numpy(), ref.vm_pu.to_numpy()
    ld_f, ld_r = fast.loading_pct.to_numpy(), ref.loading_pct.to_numpy()
    key = ["outage_type", "outage_element", "kind", "element_type", "element"]
    return {
        "max_dvm_pu": float(np.nanmax(np.abs(vm_f - vm_r), initial=0.0)),
        "max_dloading_pct": float(
            np.nanmax(np.abs(np.where(np.isfinite(ld_r), ld_f - ld_r, 0.0)), initial=0.0)
        ),
        "same_nan": bool((np.isnan(vm_f) == np.isnan(vm_r)).all()),
        "same_converged": bool((fast.outages["converged"] == ref.outages["converged"]).all()),
        "same_islands": bool(fast.outages["islanded_buses"].equals(ref.outages["islanded_buses"])),
        "same_violations": bool(fast.violations[key].equals(ref.violations[key])),
    }


def bench_grid(name: str, net: pp.pandapowerNet, args: argparse.Namespace) -> dict[str, Any]:
    row: dict[str, Any] = {"grid": name, "n_bus": len(net.bus), "load_before": os.getloadavg()}
    ours_s, ours_runs, result = timed(lambda: contingency_analysis(net, n_threads=args.threads), args.repeat)
    row.update(n_outages=result.n_cases, ours_s=ours_s, ours_runs=ours_runs)
    row["summary"] = {k: v for k, v in result.summary(top=3).items() if k != "seconds"}
    print(f"{name}: {len(net.bus)} buses, {result.n_cases} outages, ours {ours_s:.3f} s", flush=True)

    peer_s, peer_runs, _ = timed(peer(net, result, False), args.repeat)
    row.update(peer_s=peer_s, peer_runs=peer_runs, ours_over_peer=ours_s / peer_s)
    if len(net.switch) == 0:
        conv_s, conv_runs, _ = timed(peer(net, result, True), args.repeat)
        row.update(peer_with_conversion_s=conv_s, peer_with_conversion_runs=conv_runs)
    print(f"{name}: peer {peer_s:.3f} s, ours/peer {ours_s / peer_s:.2f}", flush=True)

    t = time.perf_counter()
    pp.runpp(copy.deepcopy(net), lightsim2grid=False)
    row["pandapower_first_call_s"] = time.perf_counter() - t  # lazy imports and numba's JIT compile
    outages = list(result.outages.index)
    if args.full_loop or len(outages) <= args.sample:
        sample = outages
    else:
        rng = np.random.default_rng(0)
        sample = [outages[k] for k in sorted(rng.choice(len(outages), args.sample, replace=False))]
    loop_s = plain_loop(net, sample)
    t = time.perf_counter()
    ref = contingency_analysis(net, engine="pandapower", elements=sample, keep_flows=True)
    ref_s = time.perf_counter() - t
    fast = contingency_analysis(net, elements=sample, keep_flows=True)
    scale = len(outages) / len(sample)
    row.update(
        pandapower_sample=len(sample),
        pandapower_sample_s=loop_s,
        pandapower_s=loop_s * scale,
        pandapower_extrapolated=len(sample) < len(outages),
        reference_engine_s=ref_s * scale,
        agreement=agreement(fast, ref),
        numba=reference._numba_available(),
    )
    row["pandapower_over_ours"] = row["pandapower_s"] / ours_s
    row["load_after"] = os.getloadavg()
    print(
        f"{name}: pandapower loop {row['pandapower_s']:.1f} s "
        f"({'extrapolated from ' + str(len(sample)) if row['pandapower_extrapolated'] else 'all outages'}), "
        f"pandapower/ours {row['pandapower_over_ours']:.0f}, "
        f"reference engine {row['reference_engine_s']:.1f} s, "
        f"agreement {row['agreement']}",
        flush=True,
    )
    return row


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| grid | buses | outages | ours [s] | lightsim2grid alone [s] | ours / lightsim2grid | "
        "pandapower loop [s] | pandapower / ours | reference engine [s] | "
        "max dvm [p.u.] | max dloading [pp] | load avg |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    )
    lines = []
    for r in rows:
        pp_note = f" (est. from {r['pandapower_sample']})" if r["pandapower_extrapolated"] else ""
        load = f"{r['load_before'][0]:.1f} -> {r['load_after'][0]:.1f}"
        lines.append(
            f"| {r['grid']} | {r['n_bus']} | {r['n_outages']} | {r['ours_s']:.3f} | {r['peer_s']:.3f} | "
            f"{r['ours_over_peer']:.2f} | {r['pandapower_s']:.1f}{pp_note} | "
            f"{r['pandapower_over_ours']:.0f} | {r['reference_engine_s']:.1f} | "
            f"{r['agreement']['max_dvm_pu']:.1e} | {r['agreement']['max_dloading_pct']:.1e} | {load} |"
        )
    return head + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (median reported)")
    parser.add_argument("--sample", type=int, default=100, help="outages timed in the pandapower loop")
    parser.add_argument("--full-loop", action="store_true", help="pandapower loop on every outage")
    parser.add_argument("--big", action="store_true", help="also the 9,099-bus MV+LV grid")
    parser.add_argument("--threads", type=int, default=1, help="lightsim2grid threads (ours)")
    parser.add_argument("--only", nargs="*", help="grid names to run")
    args = parser.parse_args()

    makers = grid_makers()
    names = args.only or [n for n in makers if args.big or n != "simbench_mvlv_all"]
    git = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    stamp = {"git": git.stdout.strip(), "at": time.strftime("%Y-%m-%dT%H:%M:%S"), "args": vars(args)}
    rows = [{**bench_grid(name, makers[name](), args), **stamp} for name in names]
    # rows of grids not run this time stay in the file, with their own stamp
    path = OUT / "contingency.json"
    kept = json.loads(path.read_text())["grids"] if path.exists() else []
    rows += [r for r in kept if r["grid"] not in names]
    rows.sort(key=lambda r: list(makers).index(r["grid"]))
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine, "grids": rows}, indent=2, default=float))
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
