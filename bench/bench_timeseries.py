"""Time-series power flow on the SimBench MV grid: ours vs power-grid-model batch alone vs a pandapower loop.

Run: ``uv run python bench/bench_timeseries.py [--steps 672] [--pp-steps 96]``. Writes
``bench/out/timeseries.json``. The peer (power-grid-model batch) is timed on the same converted model and
the same update arrays, solve only; ours includes the conversion from pandapower each call. The pandapower
loop (numba on, warmed up) is timed on ``--pp-steps`` steps and scaled to ``--steps``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=672)
    ap.add_argument("--pp-steps", type=int, default=96)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from power_grid_model import CalculationMethod, ComponentType, PowerGridModel

    from gridcore.network.grid import load_grid, pandapower_net
    from gridcore.network.timeseries import run_timeseries

    grid, net = load_grid(), pandapower_net()
    times = pd.date_range("2016-07-01", periods=args.steps, freq="15min", tz="UTC")
    rows = grid.profile_index(times)
    lp, lq, sp = grid.load_p_mw[rows], grid.load_q_mvar[rows], grid.sgen_p_mw[rows]
    ours = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        res = run_timeseries(net, times, lp, lq, sp)
        ours.append(time.perf_counter() - t)
    # the peer: power-grid-model batch on the same model and updates, solve only
    import copy

    from power_grid_model_io.converters import PandaPowerConverter

    work = copy.deepcopy(net)
    work.trafo["vector_group"] = work.trafo["vector_group"].fillna("Dyn5")
    data, extra = PandaPowerConverter().load_input_data(work, make_extra_info=True)
    data[ComponentType.source]["sk"] = 1e20
    model = PowerGridModel(data)
    from power_grid_model import initialize_array

    ids = data[ComponentType.sym_load]["id"]
    upd = initialize_array("update", ComponentType.sym_load, (args.steps, len(ids)))
    upd["id"] = ids
    idx = [extra[int(i)]["id_reference"]["index"] for i in ids]
    pos = work.load.index.get_indexer(idx)
    upd["p_specified"] = lp[:, pos] * 1e6
    upd["q_specified"] = lq[:, pos] * 1e6
    gids = data[ComponentType.sym_gen]["id"]
    gupd = initialize_array("update", ComponentType.sym_gen, (args.steps, len(gids)))
    gupd["id"] = gids
    gupd["p_specified"] = (
        sp[:, work.sgen.index.get_indexer([extra[int(i)]["id_reference"]["index"] for i in gids])] * 1e6
    )
    peer = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        model.calculate_power_flow(
            update_data={ComponentType.sym_load: upd, ComponentType.sym_gen: gupd},
            calculation_method=CalculationMethod.newton_raphson,
            error_tolerance=1e-8,
        )
        peer.append(time.perf_counter() - t)
    n_pp = min(args.pp_steps, args.steps)
    run_timeseries(net, times[:2], lp[:2], lq[:2], sp[:2], engine="pandapower", numba=True)  # JIT warm-up
    t = time.perf_counter()
    ref = run_timeseries(net, times[:n_pp], lp[:n_pp], lq[:n_pp], sp[:n_pp], engine="pandapower", numba=True)
    pp_s = (time.perf_counter() - t) * args.steps / n_pp
    dv = float(np.nanmax(np.abs(res.vm_pu.values[:n_pp] - ref.vm_pu.values)))
    dl = float(np.nanmax(np.abs(res.line_loading_pct.values[:n_pp] - ref.line_loading_pct.values)))
    out = {
        "grid": grid.code,
        "steps": args.steps,
        "ours_s": round(statistics.median(ours), 4),
        "power_grid_model_batch_s": round(statistics.median(peer), 4),
        "ratio_ours_to_pgm": round(statistics.median(ours) / statistics.median(peer), 2),
        "pandapower_loop_s_scaled": round(pp_s, 2),
        "pandapower_steps_timed": n_pp,
        "speedup_vs_pandapower": round(pp_s / statistics.median(ours), 1),
        "max_dvm_pu_vs_pandapower": dv,
        "max_dloading_pct_vs_pandapower": dl,
    }
    Path("bench/out").mkdir(parents=True, exist_ok=True)
    Path("bench/out/timeseries.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
