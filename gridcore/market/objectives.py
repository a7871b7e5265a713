"""Conflicting objectives made explicit: named weights, the frontier, and CPP at the same target.

The four objectives are supply cost, peak reduction, renewable absorption and customer bill impact
(:class:`gridcore.market.optimize.Weights`). :func:`frontier` solves the signal program for a sweep of
weightings, from bill impact only to peak only, and tabulates what each achieves (plotted by
:func:`gridcore.market.plot.plot_frontier`). :func:`cpp_at_target` is the benchmark the optimized signal
must beat: critical peak pricing whose events cover the hours above the target's threshold on the days
that reach it, at the lowest event price (bisection) that cuts the net-load peak by the target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.market.inputs import MarketInputs
from gridcore.market.metrics import bill_impact_pct
from gridcore.market.optimize import Weights, optimize_signal
from gridcore.market.response import FLAT_PER_KWH
from gridcore.market.signals import PriceSignal, revenue_neutral
from gridcore.market.whatif import WhatIf, respond_to

#: The default sweep: bill impact against peak, with a little cost and renewables throughout.
WEIGHTINGS: tuple[Weights, ...] = tuple(
    Weights(bill=1.0 - w, peak=w, cost=0.05, renewables=0.05) for w in (0.0, 0.02, 0.05, 0.08, 0.12, 0.2, 0.5)
)


def frontier(inputs: MarketInputs, weightings: tuple[Weights, ...] = WEIGHTINGS) -> pd.DataFrame:
    """What each weighting achieves: one row per weighting.

    Returns
    -------
    pd.DataFrame
        ``label``, the weights, ``net_peak_reduction_pct``, ``peak_reduction_pct`` (the net-load peak, as
        plotted), ``bill_impact_pct`` [%], ``supply_cost_change_pct`` [%], ``renewable_absorbed_mwh``
        [MWh], ``status``.
    """
    rows = []
    for w in weightings:
        opt = optimize_signal(inputs, None, weights=w)
        m = opt.result.metrics
        rows.append(
            {
                "label": f"peak {w.peak:g}",
                **{f"w_{k}": v for k, v in w.to_dict().items()},
                "peak_reduction_pct": m["net_peak_reduction_pct"],
                "bill_impact_pct": round(bill_impact_pct(m["bill_change_pct"]), 4),  # type: ignore[arg-type]
                "supply_cost_change_pct": m["supply_cost_change_pct"],
                "renewable_absorbed_mwh": m["renewable_absorbed_mwh"],
                "status": opt.status,
            }
        )
    return pd.DataFrame(rows)


def cpp_signal(
    inputs: MarketInputs, threshold: float, peak_price: float, flat: float = FLAT_PER_KWH
) -> PriceSignal:
    """CPP with events on every hour whose baseline net load is above ``threshold`` [MW]."""
    net = inputs.net_load_mw.to_numpy()
    peak = net > threshold
    demand = inputs.demand_mw.to_numpy()
    off = revenue_neutral(peak_price, peak, demand, flat)
    return PriceSignal(
        times=inputs.times,
        price_per_kwh=np.where(peak, peak_price, off),
        scheme="cpp",
        salience=np.where(peak, 1.0, 0.35),
        peak_hours=peak,
        flat_per_kwh=flat,
        params={
            "peak_per_kwh": round(peak_price, 4),
            "offpeak_per_kwh": round(off, 4),
            "event_hours": int(peak.sum()),
        },
    )


def cpp_at_target(
    inputs: MarketInputs, target_pct: float, flat: float = FLAT_PER_KWH, max_price: float = 3.0
) -> tuple[WhatIf, bool]:
    """CPP at the lowest event price that cuts the net-load peak by ``target_pct`` (module docstring).

    The event hours are those above the threshold ``(1 - target) * peak`` (widened by 1 % of the peak at a
    time while the rebound keeps the target out of reach).

    Returns
    -------
    tuple of (WhatIf, bool)
        The CPP what-if, and whether it reached the target (else: the highest price tried).
    """
    net = inputs.net_load_mw.to_numpy()
    peak0 = float(net.max())
    target = target_pct / 100.0
    best: WhatIf | None = None
    for widen in np.arange(0.0, 0.06, 0.01):
        threshold = (1.0 - target - widen) * peak0

        def run(price: float, threshold: float = threshold) -> WhatIf:
            sig = cpp_signal(inputs, threshold, price, flat)
            return WhatIf(inputs, sig, respond_to(inputs, sig))

        top = run(max_price)
        if top.metrics["net_peak_reduction_pct"] < target_pct:  # type: ignore[operator]
            best = best or top
            continue
        lo, hi = flat, max_price
        for _ in range(14):
            mid = 0.5 * (lo + hi)
            if run(mid).metrics["net_peak_reduction_pct"] >= target_pct:  # type: ignore[operator]
                hi = mid
            else:
                lo = mid
        return run(hi), True
    assert best is not None
    return best, False
