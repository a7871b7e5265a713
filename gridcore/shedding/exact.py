"""The exact planner: the least-cost set of blocks that covers the need under the same priority rule.

An OR-Tools CP-SAT model with a Boolean per eligible block and one per tier (``used[t]``: some block of
tier ``t`` is shed). A block can be shed only when its tier is used; when a tier is used, every eligible
block of every earlier tier is shed (the rule :mod:`gridcore.shedding.greedy` keeps). The shed power covers
the need, and the objective is the value of lost load. Power is counted in watts and cost in cents (CP-SAT
works on integers). Used to check the greedy (its gap) and when there is time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridcore.shedding.greedy import TOL_MW


@dataclass(frozen=True)
class ExactResult:
    """The exact planner's answer.

    Attributes
    ----------
    shed : np.ndarray of bool
        Blocks shed.
    status : str
        ``OPTIMAL``, ``FEASIBLE`` (time limit reached), ``INFEASIBLE`` (the eligible blocks do not cover the
        need: all are shed) or ``TRIVIAL`` (nothing needed).
    cost_eur : float
        Objective value [EUR per hour of shedding].
    bound_eur : float
        Best lower bound found [EUR per hour].
    seconds : float
        Solver wall time [s].
    """

    shed: np.ndarray
    status: str
    cost_eur: float
    bound_eur: float
    seconds: float


def exact_select(
    p_mw: np.ndarray,
    order: np.ndarray,
    cost_eur_per_mwh: np.ndarray,
    needed_mw: float,
    eligible: np.ndarray | None = None,
    time_limit_s: float = 30.0,
    workers: int = 1,
) -> ExactResult:
    """Least-cost blocks to shed covering ``needed_mw`` under the tier rule (OR-Tools CP-SAT).

    Parameters
    ----------
    p_mw, order, cost_eur_per_mwh, needed_mw, eligible
        As :func:`gridcore.shedding.greedy.greedy_select`.
    time_limit_s : float
        Solver time limit [s].
    workers : int
        Solver threads.

    Returns
    -------
    ExactResult
    """
    from ortools.sat.python import cp_model

    n = len(p_mw)
    ok = p_mw > 0 if eligible is None else (p_mw > 0) & eligible
    idx = np.flatnonzero(ok)
    shed = np.zeros(n, dtype=bool)
    if needed_mw <= TOL_MW:
        return ExactResult(shed, "TRIVIAL", 0.0, 0.0, 0.0)
    if p_mw[idx].sum() < needed_mw - TOL_MW:
        shed[idx] = True
        cost = float((p_mw * cost_eur_per_mwh)[shed].sum())
        return ExactResult(shed, "INFEASIBLE", cost, cost, 0.0)
    watts = np.round(p_mw[idx] * 1e6).astype(np.int64)
    cents = np.round(p_mw[idx] * cost_eur_per_mwh[idx] * 100).astype(np.int64)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(idx))]
    tiers = np.unique(order[idx])
    used = {int(t): model.new_bool_var(f"tier{t}") for t in tiers}
    tier_of = order[idx]
    for t_pos, t in enumerate(tiers):
        members = np.flatnonzero(tier_of == t)
        for j in members:
            model.add_implication(x[j], used[int(t)])
        if t_pos + 1 < len(tiers):
            later = used[int(tiers[t_pos + 1])]
            for j in members:
                model.add_implication(later, x[j])
            model.add_implication(later, used[int(t)])
    need_w = int(np.ceil(needed_mw * 1e6 - 0.5))
    model.add(sum(int(w) * v for w, v in zip(watts, x, strict=True)) >= need_w)
    model.minimize(sum(int(c) * v for c, v in zip(cents, x, strict=True)))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    name = solver.status_name(status)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult(shed, name, float("nan"), float("nan"), solver.wall_time)
    values = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    shed[idx[values]] = True
    return ExactResult(
        shed,
        name,
        float((p_mw * cost_eur_per_mwh)[shed].sum()),
        solver.best_objective_bound / 100.0,
        solver.wall_time,
    )
