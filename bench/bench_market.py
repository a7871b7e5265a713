"""Bench: clearing 100,000 bids in one hour, and a 168-hour what-if on the default grid.

    uv run python bench/bench_market.py [--repeat 5] [--orders 100000]

Writes bench/out/market.json.

* clearing: 100,000 bids and 100,000 offers (random prices 0-300 EUR/MWh, quantities 0.01-2 MW, seed 1),
  cleared by :func:`gridcore.market.clearing.clear` (median wall time of ``--repeat`` runs; goal < 1 s).
  Peer: a textbook two-pointer merge of the sorted curves in plain Python (the same matched quantity is
  checked).
* what-if: ``gridflow market whatif --scheme cpp`` for 168 hours of the default grid (1-MV-semiurb--0-sw,
  the default world's demand and renewables from 2016-07-04), inputs included (grid from the cache);
  goal < 10 s. Peer: the same saturating response computed load by load and hour by hour in plain Python
  (no rebound), timed on the same inputs.
* optimize: the least-bill-impact signal for a 10 % net-load peak cut over the same week (OR-Tools SCIP),
  and the CPP that reaches the same cut, with both bill impacts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from gridcore.market.clearing import clear  # noqa: E402


def books(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def side(prefix: str) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "id": [f"{prefix}{i}" for i in range(n)],
                "price_per_mwh": rng.uniform(0, 300, n),
                "quantity_mw": rng.uniform(0.01, 2.0, n),
            }
        )

    return side("o"), side("b")


def two_pointer(offers: pd.DataFrame, bids: pd.DataFrame) -> float:
    """Matched quantity by walking both sorted curves in Python [MW]."""
    o = sorted(zip(offers.price_per_mwh, offers.quantity_mw, strict=True))
    b = sorted(zip(bids.price_per_mwh, bids.quantity_mw, strict=True), reverse=True)
    i = j = 0
    left_o, left_b = o[0][1], b[0][1]
    matched = 0.0
    while i < len(o) and j < len(b) and b[j][0] >= o[i][0]:
        q = min(left_o, left_b)
        matched += q
        left_o -= q
        left_b -= q
        if left_o <= 1e-12:
            i += 1
            left_o = o[i][1] if i < len(o) else 0.0
        if left_b <= 1e-12:
            j += 1
            left_b = b[j][1] if j < len(b) else 0.0
    return matched


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--orders", type=int, default=100_000)
    args = parser.parse_args()
    out: dict[str, object] = {}

    offers, bids = books(args.orders)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = clear(offers, bids)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    peer_q = two_pointer(offers, bids)
    peer_s = time.perf_counter() - t0
    ours = statistics.median(times)
    assert abs(peer_q - result.matched_mw) < 1e-6 * max(peer_q, 1.0), (peer_q, result.matched_mw)
    out["clearing"] = {
        "bids": args.orders,
        "offers": args.orders,
        "seconds": round(ours, 4),
        "peer_seconds": round(peer_s, 4),
        "ratio": round(ours / peer_s, 3),
        "matched_mw": round(result.matched_mw, 3),
        "price_per_mwh": round(result.price_per_mwh, 4),
    }
    print(
        f"clearing {args.orders:,} bids x {args.orders:,} offers: {ours:.3f} s (goal < 1 s), "
        f"peer (Python two-pointer) {peer_s:.3f} s, ratio {ours / peer_s:.3f}"
    )

    from gridcore.market.inputs import market_inputs
    from gridcore.market.response import CLASSES, DEFAULT_PARAMS
    from gridcore.market.whatif import whatif
    from gridcore.network.grid import load_grid

    load_grid()  # the cache, once
    t0 = time.perf_counter()
    inputs = market_inputs(load_grid(), "2016-07-04T00:00Z", 168)
    res = whatif(inputs, "cpp")
    metrics = res.metrics
    whatif_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ratio = res.signal.price_per_kwh / res.signal.flat_per_kwh
    after = np.zeros_like(inputs.load_mw)
    for t in range(inputs.load_mw.shape[0]):
        for n in range(inputs.load_mw.shape[1]):
            for c, name in enumerate(CLASSES):
                p = DEFAULT_PARAMS[name]
                b = inputs.load_mw[t, n] * inputs.class_shares[n, c]
                cut = float(p.reduction(ratio[t])) * res.signal.salience[t] * b
                after[t, n] += b - min(max(cut, -p.flex_share * b), p.flex_share * b)
    peer = time.perf_counter() - t0
    out["whatif"] = {
        "hours": 168,
        "loads": int(inputs.load_mw.shape[1]),
        "seconds": round(whatif_s, 3),
        "peer_seconds": round(peer, 3),
        "ratio": round(whatif_s / peer, 3),
        "peak_reduction_pct": metrics["peak_reduction_pct"],
        "rebound_peak_mw": metrics["rebound_peak_mw"],
        "source": inputs.source,
    }
    print(
        f"what-if CPP 168 h x {inputs.load_mw.shape[1]} loads (inputs included): {whatif_s:.2f} s "
        "(goal < 10 s), "
        f"peer (Python loop, response only) {peer:.2f} s, ratio {whatif_s / peer:.3f}; "
        f"peak-hour reduction {metrics['peak_reduction_pct']} %, rebound peak {metrics['rebound_peak_mw']} MW"
    )

    from gridcore.market.metrics import bill_impact_pct
    from gridcore.market.objectives import cpp_at_target
    from gridcore.market.optimize import optimize_signal

    t0 = time.perf_counter()
    cpp, reached = cpp_at_target(inputs, 10.0)
    p = cpp.signal.params
    opt = optimize_signal(inputs, 10.0, extra_levels_per_kwh=(p["peak_per_kwh"], p["offpeak_per_kwh"]))
    secs = time.perf_counter() - t0
    ours_b = bill_impact_pct(opt.result.metrics["bill_change_pct"])
    cpp_b = bill_impact_pct(cpp.metrics["bill_change_pct"])
    out["optimize"] = {
        "target_pct": 10.0,
        "optimized_net_peak_reduction_pct": opt.result.metrics["net_peak_reduction_pct"],
        "optimized_bill_impact_pct": round(ours_b, 4),
        "cpp_reached": reached,
        "cpp_net_peak_reduction_pct": cpp.metrics["net_peak_reduction_pct"],
        "cpp_bill_impact_pct": round(cpp_b, 4),
        "seconds": round(secs, 3),
    }
    print(
        f"optimize 10 % net-load peak cut, 168 h: optimized bill impact {ours_b:.4f} % "
        f"(cut {opt.result.metrics['net_peak_reduction_pct']} %), CPP at the same cut {cpp_b:.4f} % "
        f"(cut {cpp.metrics['net_peak_reduction_pct']} %), ratio {ours_b / max(cpp_b, 1e-9):.3f}; "
        f"{secs:.2f} s"
    )
    path = Path(__file__).parent / "out" / "market.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=str))
    print(f"written {path}")


if __name__ == "__main__":
    main()
