"""The price signal that meets a peak target, or balances named objectives, with the least bill impact.

A mixed-integer program (OR-Tools, SCIP) picks one price level per hour from a ladder of levels
[EUR/kWh]. Hours whose baseline net load comes within ``margin`` of the peak threshold are priced one by
one; the other hours of a day share one level (an off-peak discount or the flat price), which keeps the
program small (a week: a few hundred binaries). For every hour and level the saturating response of each
class (:mod:`gridcore.market.response`; an hour above the flat price is announced day-ahead like an event,
salience 1; below it, daily salience) is computed beforehand, so the program is linear:

* load after ``a_t = b_t + sum_l x_tl * c_tl + rebound_t``, the rebound of hour t a fixed share of the
  cuts of the hours before it (each class's ``rebound`` over its ``rebound_h`` hours);
* peak target: ``a_t - ren_t <= (1 - target) * max(b - ren)`` for every hour (net load);
* bill of class k: ``B_k = sum_t sum_l x_tl * (p_l * (b_tk + c_tlk) + p_flat * rebound_k * cut_tlk)`` (the
  rebound billed at the flat price);
  bill impact ``z >= |B_k / B0_k - 1|`` for every responsive class, ``B0`` the flat tariff on the baseline;
* objective: the named weights of :class:`Weights` on bill impact, net peak, supply cost and renewable
  absorption, each normalised by its baseline value, plus a tie-break towards the flat price.

The program's rebound is an approximation (it lands in the hours right after each cut); the signal is
then evaluated with the full response model; when its peak reduction misses the target the program is
solved again with its target moved by the miss (at most ``rounds`` times), and the signal with the least
bill impact among those that reach the target is kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gridcore.errors import InputError
from gridcore.market.books import IMPORT_TRANCHES
from gridcore.market.inputs import MarketInputs
from gridcore.market.metrics import bill_impact_pct
from gridcore.market.response import CLASSES, DAILY_SALIENCE, DEFAULT_PARAMS, FLAT_PER_KWH, day_index
from gridcore.market.signals import PriceSignal
from gridcore.market.whatif import WhatIf, respond_to

#: Price ladder as multiples of the flat tariff [-].
LEVELS = (0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 1.0, 1.05, 1.1, 1.15, 1.2, 1.3, 1.5, 2.0, 3.0)


@dataclass(frozen=True)
class Weights:
    """Named weights of the objectives (each term normalised by its baseline value).

    Attributes
    ----------
    bill : float
        Bill impact: the largest absolute class bill change.
    peak : float
        The horizon's net-load peak.
    cost : float
        Supply cost of the net import at the upstream merit order.
    renewables : float
        Renewable energy absorbed locally (rewarded).
    """

    bill: float = 1.0
    peak: float = 0.0
    cost: float = 0.0
    renewables: float = 0.0

    def to_dict(self) -> dict[str, float]:
        """The weights by name."""
        return {"bill": self.bill, "peak": self.peak, "cost": self.cost, "renewables": self.renewables}


@dataclass(frozen=True)
class Optimized:
    """The optimized signal, its evaluation and how the solve went.

    Attributes
    ----------
    result : WhatIf
        Signal (scheme ``optimized``), response and metrics.
    status : str
        Solver status of the last round.
    seconds : float
        Solve time [s].
    rounds : int
        Programs solved.
    target_pct : float or None
        Peak target [%].
    """

    result: WhatIf
    status: str
    seconds: float
    rounds: int
    target_pct: float | None

    def to_dict(self) -> dict[str, object]:
        """JSON figures: the what-if's plus the solve."""
        return {
            **self.result.to_dict(),
            "optimization": {
                "status": self.status,
                "seconds": round(self.seconds, 3),
                "rounds": self.rounds,
                "target_peak_reduction_pct": self.target_pct,
                "solver": "OR-Tools SCIP",
            },
        }


def _class_change(base: np.ndarray, ratio: float, salience: float) -> np.ndarray:
    """(time, class) change of load at one price ratio for every hour [MW] (negative: a cut)."""
    out = np.zeros_like(base)
    for c, name in enumerate(CLASSES):
        p = DEFAULT_PARAMS[name]
        change = -p.reduction(np.array(ratio)) * salience * base[:, c]
        out[:, c] = np.clip(change, -p.flex_share * base[:, c], p.flex_share * base[:, c])
    return out


def _marginal_cost(net: np.ndarray, capacity_mw: float) -> np.ndarray:
    """Upstream marginal price of each hour's net import at the baseline [EUR/MWh] (0 when exporting)."""
    size = max(capacity_mw, float(np.max(net, initial=0.0)), 1e-9) / len(IMPORT_TRANCHES)
    k = np.minimum((np.maximum(net, 0.0) / size).astype(int), len(IMPORT_TRANCHES) - 1)
    return np.where(net > 0, np.asarray(IMPORT_TRANCHES)[k], 0.0)


def _solve(
    inputs: MarketInputs,
    target: float | None,
    weights: Weights,
    levels: np.ndarray,
    margin: float,
    flat: float,
    time_limit_s: float,
) -> tuple[np.ndarray, str]:
    """One program (module docstring): the price per hour [EUR/kWh] and the solver status."""
    from ortools.linear_solver import pywraplp

    base = np.einsum("tn,nc->tc", inputs.load_mw, inputs.class_shares)  # (time, class)
    b_tot = base.sum(axis=1)
    ren = inputs.sgen_mw.sum(axis=1)
    net0 = b_tot - ren
    peak0 = float(net0.max())
    n_t, n_l = len(b_tot), len(levels)
    change = np.stack(
        [_class_change(base, r, 1.0 if r > 1.0 else DAILY_SALIENCE) for r in levels / flat], axis=1
    )  # (time, level, class)
    reb_share = np.array([DEFAULT_PARAMS[c].rebound for c in CLASSES])
    reb_h = max(DEFAULT_PARAMS[c].rebound_h for c in CLASSES)
    solver = pywraplp.Solver.CreateSolver("SCIP")
    solver.SetTimeLimit(int(time_limit_s * 1000))
    cap = (1.0 - target) * peak0 if target is not None else None
    free = net0 >= ((1.0 - (target or 0.0)) - margin) * peak0
    day = day_index(inputs.times)
    x = {}
    for t in np.flatnonzero(free):
        x[t] = [solver.BoolVar(f"x{t}_{lv}") for lv in range(n_l)]
        solver.Add(solver.Sum(x[t]) == 1)
    for d in np.unique(day):
        hours = [t for t in np.flatnonzero(day == d) if not free[t]]
        if hours:
            y = [solver.BoolVar(f"y{d}_{lv}") for lv in range(n_l)]
            solver.Add(solver.Sum(y) == 1)
            for t in hours:
                x[t] = y
    # load change per hour and class, and the cuts that rebound in the hours after
    cut = np.maximum(-change, 0.0)
    n_c = len(CLASSES)
    delta = [solver.Sum(float(change[t, lv].sum()) * x[t][lv] for lv in range(n_l)) for t in range(n_t)]
    back = [
        solver.Sum(float((reb_share * cut[t, lv]).sum()) / reb_h * x[t][lv] for lv in range(n_l))
        for t in range(n_t)
    ]
    after = [b_tot[t] + delta[t] + solver.Sum(back[max(0, t - reb_h) : t]) for t in range(n_t)]
    peak = solver.NumVar(-solver.infinity(), solver.infinity(), "peak")
    for t in range(n_t):
        solver.Add(after[t] - ren[t] <= peak)
        if cap is not None:
            solver.Add(after[t] - ren[t] <= cap)
    z = solver.NumVar(0.0, solver.infinity(), "bill_impact")
    for c, name in enumerate(CLASSES[:n_c]):
        b0 = float(base[:, c].sum()) * flat
        if name == "critical" or b0 <= 0:
            continue
        # the energy bought at each level, and the rebound of its cuts billed at the flat price
        bill = solver.Sum(
            float(levels[lv] * (base[t, c] + change[t, lv, c]) + flat * reb_share[c] * cut[t, lv, c])
            * x[t][lv]
            for t in range(n_t)
            for lv in range(n_l)
        )
        solver.Add(bill - b0 <= z * b0)
        solver.Add(b0 - bill <= z * b0)
    mc = _marginal_cost(net0, inputs.capacity_mw)
    cost0 = max(float((mc * np.maximum(net0, 0)).sum()), 1e-9)
    cost = solver.Sum(float(mc[t]) * (after[t] - ren[t]) for t in range(n_t))
    absorbed = [solver.NumVar(0.0, float(max(ren[t], 0.0)), f"u{t}") for t in range(n_t)]
    for t in range(n_t):
        solver.Add(absorbed[t] <= after[t])
    ren0 = max(float(np.minimum(b_tot, ren).sum()), 1e-9)
    tie = solver.Sum(abs(levels[lv] - flat) / flat * x[t][lv] for t in range(n_t) for lv in range(n_l))
    solver.Minimize(
        weights.bill * z
        + weights.peak * peak * (1.0 / max(abs(peak0), 1e-9))
        + weights.cost * cost * (1.0 / cost0)
        - weights.renewables * solver.Sum(absorbed) * (1.0 / ren0)
        + 1e-5 * tie
    )
    status = solver.Solve()
    names = {
        pywraplp.Solver.OPTIMAL: "optimal",
        pywraplp.Solver.FEASIBLE: "feasible",
        pywraplp.Solver.INFEASIBLE: "infeasible",
    }
    name = names.get(status, "not solved")
    if name not in ("optimal", "feasible"):
        return np.full(n_t, flat), name
    price = np.array([sum(levels[lv] * x[t][lv].solution_value() for lv in range(n_l)) for t in range(n_t)])
    return price, name


def optimize_signal(
    inputs: MarketInputs,
    target_peak_reduction_pct: float | None = 10.0,
    weights: Weights | None = None,
    flat_per_kwh: float = FLAT_PER_KWH,
    levels: tuple[float, ...] = LEVELS,
    extra_levels_per_kwh: tuple[float, ...] = (),
    margin: float = 0.05,
    rounds: int = 4,
    time_limit_s: float = 20.0,
) -> Optimized:
    """The signal reaching a net-load peak target with the least bill impact (module docstring).

    Parameters
    ----------
    inputs : MarketInputs
    target_peak_reduction_pct : float, optional
        Cut of the horizon's net-load peak to reach [%]; none (weights only) when None.
    weights : Weights, optional
        Objective weights; bill impact only by default.
    flat_per_kwh : float
        Flat tariff [EUR/kWh].
    levels : tuple of float
        Price ladder as multiples of the flat tariff [-].
    extra_levels_per_kwh : tuple of float
        Prices added to the ladder [EUR/kWh] (e.g. a CPP's event and off-peak prices, so that the CPP is
        one of the signals the program can choose).
    margin : float
        Hours within this share below the peak threshold are priced one by one [-].
    rounds : int
        At most this many programs (the target raised by the shortfall each time).
    time_limit_s : float
        Per program [s].

    Returns
    -------
    Optimized

    Raises
    ------
    InputError
        A target outside (0, 100).
    """
    if target_peak_reduction_pct is not None and not 0 < target_peak_reduction_pct < 100:
        raise InputError(
            f"target peak reduction must be in (0, 100) %, got {target_peak_reduction_pct}",
            field="--target-peak-reduction",
        )
    weights = weights or Weights()
    ladder = np.unique(np.r_[np.asarray(levels, dtype=float) * flat_per_kwh, extra_levels_per_kwh])
    target = None if target_peak_reduction_pct is None else target_peak_reduction_pct / 100.0
    t0 = time.perf_counter()
    aim = target
    status, n = "not solved", 0
    best: tuple[float, WhatIf, str] | None = None
    for n in range(1, rounds + 1):  # noqa: B007 (n is reported)
        price, status = _solve(inputs, aim, weights, ladder, margin, flat_per_kwh, time_limit_s)
        result = _evaluate(inputs, price, flat_per_kwh)
        if target is None or status not in ("optimal", "feasible"):
            best = (0.0, result, status)
            break
        got = result.metrics["net_peak_reduction_pct"] / 100.0  # type: ignore[operator]
        impact = bill_impact_pct(result.metrics["bill_change_pct"])  # type: ignore[arg-type]
        if got >= target - 1e-4 and (best is None or impact < best[0]):
            best = (impact, result, status)
        if best is not None and (abs(got - target) < 0.003 or weights.peak > 0):
            break  # on target, or the weights ask for more peak cut than the target anyway
        # the program's rebound is approximate: move its target by the miss and solve again
        aim = float(np.clip(aim + (target - got) + (0.001 if got < target else 0.0), 0.001, 0.95))  # type: ignore[operator]
    if best is None:
        best = (0.0, result, status)
    _, result, status = best
    return Optimized(result, status, time.perf_counter() - t0, n, target_peak_reduction_pct)


def _evaluate(inputs: MarketInputs, price: np.ndarray, flat: float) -> WhatIf:
    """The optimized prices as a signal, with the full response model."""
    above = price > flat + 1e-9
    signal = PriceSignal(
        times=inputs.times,
        price_per_kwh=price,
        scheme="optimized",
        salience=np.where(above, 1.0, DAILY_SALIENCE),
        peak_hours=above,
        flat_per_kwh=flat,
        params={"levels_per_kwh": sorted({round(float(p), 4) for p in price})},
    )
    return WhatIf(inputs, signal, respond_to(inputs, signal))
