"""Network-aware shedding: relieve a constraint with load downstream of it, checked by power flow.

What relieves an overloaded line or transformer is load fed through it; what lifts a bus's voltage is load
on its feeder, the more the more of the bus's path it shares
(:class:`gridcore.network.downstream.RadialTree`). For each constrained element (one, or several in
several grid segments at once) the planner lists the actions in reach in the order the priority rules
give: batteries with headroom first, then dimming controllable devices, then cutting blocks tier by tier,
within a tier the blocks that took the least outage so far in the event first (``rotation``: the burden
rotates), then those that relieve the element's constraints most, then the cheapest; blocks whose
customers would exceed their maximum outage (``avoid``) come after every other non-critical block, and
critical blocks after all of them. An
export-side constraint (overvoltage, or an overloaded branch whose downstream area feeds power back) gets
the mirror: constraint by constraint, the worst first, generators downstream that relieve it are curtailed
in the priority file's order of types (within a type those on more of its path first, then the largest),
partially: the least MW that clears it, first estimated from the sensitivity of the
constraint's margin to the curtailed in-feed (a secant between power flows, regula falsi), then refined
by power flow to within :data:`CURTAIL_TOL_MW`, each generator left at a set-point. For load it
finds, by bisection with an AC power flow (pandapower Newton-Raphson) at each step, the shortest prefix of
that list after which no constraint of the element's area (the element and everything downstream of it)
remains. Elements are taken one after the other on top of the plan so far. A final power flow with the
whole plan lists every constraint left in the network, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.shedding.blocks import Blocks
from gridcore.shedding.greedy import TOL_MW
from gridcore.shedding.network_measures import _margin, _relief, _violations, _worst, area

#: Curtailment is refined by power flow to within this of the least that clears [MW] (1 kW).
CURTAIL_TOL_MW = 1e-3

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

    from gridcore.network.downstream import RadialTree


@dataclass
class NetworkPlan:
    """The actions a network plan takes, and what the power flow says after them.

    Attributes
    ----------
    shed : np.ndarray of bool
        Blocks cut.
    dim : np.ndarray of bool
        Devices dimmed.
    battery_mw : float
        Extra battery discharge [MW].
    battery : np.ndarray of bool
        Batteries discharged (their whole extra headroom), by position in the ``battery`` argument.
    curtail : np.ndarray of float
        Generation curtailed per static generator, by position in ``net.sgen`` [MW] (0: not curtailed;
        the generator keeps its output less this).
    curtailed_mw : float
        Generation curtailed in all [MW].
    eligible : np.ndarray of bool
        Blocks downstream of some constrained element.
    battery_in_reach : np.ndarray of bool
        Batteries downstream of some constrained element (only those may discharge for it).
    prefix : dict of str to int
        Per element, how many of its actions the plan took (a hint for the next slot's search).
    before : list of dict
        Constraints before the plan (``element``, ``kind``, ``value``, ``limit``).
    remaining : list of dict
        Constraints after the plan, each with ``reason``.
    power_flows : int
        Power flows run.
    """

    shed: np.ndarray
    dim: np.ndarray
    battery_mw: float
    battery: np.ndarray
    curtail: np.ndarray
    curtailed_mw: float
    eligible: np.ndarray
    before: list[dict[str, object]]
    remaining: list[dict[str, object]]
    power_flows: int
    battery_in_reach: np.ndarray | None = None
    prefix: dict[str, int] | None = None


def plan_network(
    net: pandapowerNet,
    blocks: Blocks,
    elements: list[str],
    battery: tuple[np.ndarray, np.ndarray] | None = None,
    loading_limit_pct: float = 100.0,
    bands: dict | None = None,
    time_budget_s: float = 8.0,
    curtail_order: tuple[str, ...] = ("PV", "Wind"),
    rotation: np.ndarray | None = None,
    avoid: np.ndarray | None = None,
    hints: dict[str, int] | None = None,
) -> NetworkPlan:
    """Plan for constrained elements of a network at its present loads (see the module docstring).

    Parameters
    ----------
    net : pandapowerNet
        Loads and generation at the time (or study case) planned for; left as it was.
    blocks : Blocks
        Blocks whose ``load`` positions are rows of ``net.load``.
    elements : list of str
        ``line:<i>``, ``trafo:<i>``, ``bus:<i>``.
    battery : tuple of (np.ndarray, np.ndarray), optional
        Bus and extra discharge headroom [MW] of each battery.
    loading_limit_pct : float
        Branch loading limit [%].
    bands : dict, optional
        Voltage bands per level (as :func:`gridcore.network.powerflow.run_powerflow`).
    time_budget_s : float
        The bisection stops refining after this long (the plan stays valid, maybe longer than needed).
    curtail_order : tuple of str
        Generation types, curtailed first to last, for export-side constraints (overvoltage, or an
        overloaded branch whose area feeds back).
    rotation : np.ndarray, optional
        Per block, the rotation key: within a tier, blocks with a smaller key are cut first (the outage
        hours a block has taken so far in the event; negative to keep a block out within its rotation
        period).
    avoid : np.ndarray of bool, optional
        Blocks cut only after every other non-critical block in reach (their customers would exceed
        their maximum outage).
    hints : dict of str to int, optional
        Per element, the number of actions a similar plan took (the previous slot's ``prefix``): the
        search starts there and gallops out from it, which saves power flows.

    Returns
    -------
    NetworkPlan
    """
    from gridcore.network.downstream import RadialTree

    t0 = perf_counter()
    tree = RadialTree(net)
    base_p = net.load["p_mw"].to_numpy(dtype=np.float64).copy()
    base_q = net.load["q_mvar"].to_numpy(dtype=np.float64).copy()
    base_g = net.sgen["p_mw"].to_numpy(dtype=np.float64).copy()
    p_block = blocks.p_mw(base_p)
    dimmable = blocks.dimmable_mw(p_block)
    load_ids = net.load.index
    n = len(blocks)
    rotation = np.zeros(n) if rotation is None else np.asarray(rotation, dtype=np.float64)
    avoid = np.zeros(n, dtype=bool) if avoid is None else np.asarray(avoid, dtype=bool)
    bat_bus, bat_mw = battery if battery is not None else (np.zeros(0, np.int64), np.zeros(0))
    state = State(
        np.zeros(n, dtype=bool),
        np.zeros(n, dtype=bool),
        np.zeros(len(bat_mw), dtype=bool),
        np.zeros(len(base_g)),
    )
    at_bus = net.load["bus"].to_numpy()
    runs = 0

    def apply(st: State) -> None:
        cut = np.bincount(blocks.load, weights=np.where(st.shed, p_block, 0.0), minlength=len(base_p))
        less = np.bincount(
            blocks.load, weights=np.where(st.dim & ~st.shed, dimmable, 0.0), minlength=len(base_p)
        )
        p = base_p - cut - less
        # a battery's discharge lowers the net load of its bus (spread over that bus's loads)
        used = pd.Series(bat_mw[st.battery], index=bat_bus[st.battery]).groupby(level=0).sum()
        for bus, mw in used.items():
            rows = np.flatnonzero(at_bus == bus)
            if len(rows):
                p[rows] -= mw / len(rows)
        ratio = np.divide(p, base_p, out=np.ones_like(p), where=np.abs(base_p) > 1e-12)
        net.load["p_mw"] = p
        net.load["q_mvar"] = base_q * np.clip(ratio, 0.0, None)
        net.sgen["p_mw"] = base_g - st.curtail

    def solve(st: State) -> list[dict[str, object]]:
        nonlocal runs
        apply(st)
        runs += 1
        return _violations(net, loading_limit_pct, bands)

    def clear(scope: set[str], st: State):  # noqa: ANN202
        """Whether a list of actions on top of ``st`` leaves no constraint in ``scope``."""
        return lambda actions: not any(v["element"] in scope for v in solve(st.after(actions)))

    def exporting(element: str) -> bool:
        """Whether a branch's downstream area feeds power back (generation above load)."""
        if element.partition(":")[0] == "bus":
            return False
        loads = net.load["p_mw"].reindex(tree.loads(element)).sum()
        gen = net.sgen["p_mw"].reindex(tree.sgens(element)).sum()
        return bool(gen > loads)

    def curtail_least(st: State, scope: set[str], targets: list[dict[str, object]], element: str) -> State:
        """``st`` with the least in-feed downstream of ``element`` curtailed that clears ``scope``."""
        score = _relief(tree, net.sgen["bus"].to_numpy(), targets)
        pos = _export_order(net, tree.sgens(element), base_g - st.curtail, curtail_order, score)
        avail = (base_g - st.curtail)[pos]
        before_i = np.cumsum(avail) - avail

        def at(x: float) -> State:
            mw = st.curtail.copy()
            mw[pos] += np.clip(x - before_i, 0.0, avail)
            return State(st.shed, st.dim, st.battery, mw)

        def margin(x: float) -> float:
            solve(at(x))
            return _margin(net, targets)

        def clears(x: float) -> bool:
            return not any(v["element"] in scope for v in solve(at(x)))

        return at(_least(margin, clears, float(avail.sum()), t0, time_budget_s) if len(pos) else 0.0)

    def export_side(violations: list[dict[str, object]], scope: set[str]) -> list[dict[str, object]]:
        """Overvoltages and overloads of branches that feed back, in ``scope``."""
        return [
            v
            for v in violations
            if v["element"] in scope
            and (v["kind"] == "overvoltage" or (v["kind"] == "overload" and exporting(str(v["element"]))))
        ]

    def curtail_each(st: State, scope: set[str], element: str) -> State:
        """Constraint by constraint, the worst first, the least in-feed that clears it; then the rest."""
        for _ in range(len(scope)):
            left = export_side(solve(st), scope)
            if not left:
                return st
            worst = max(left, key=lambda v: _worst([v], {str(v["element"])}))
            new = curtail_least(st, {str(worst["element"])}, [worst], element)
            if new.curtail.sum() <= st.curtail.sum() + 1e-9:
                break
            st = new
        left = export_side(solve(st), scope)
        return curtail_least(st, scope, left, element) if left else st

    unhelpful: set[str] = set()
    upstream_of: set[str] = set()
    taken: dict[str, int] = {}
    try:
        before = solve(state)
        eligible = np.zeros(n, dtype=bool)
        reach: dict[str, set[str]] = {}
        work = [(e, np.isin(load_ids[blocks.load], tree.loads(e)) & ~blocks.never_shed) for e in elements]
        for element, in_reach in work:
            reach[element] = area(tree, element)
            eligible |= in_reach
        # overloaded branches upstream of a requested element (feeding all of its area): the same load
        # relieves them, and only that load may be shed for them
        areas = [set(tree.downstream_buses(e)) for e in elements]
        for v in before:
            el = str(v["element"])
            if el.startswith("bus:") or any(el in sc for sc in reach.values()):
                continue
            fed = set(tree.downstream_buses(el))
            feeds = [a for a in areas if a and a <= fed]
            if feeds:
                upstream = np.isin(load_ids[blocks.load], tree.loads(el)) & eligible
                reach[el] = {el}  # only the element itself: the rest of its area is out of reach
                work.append((el, upstream))
                upstream_of.add(el)
        for element, in_reach in work:
            scope = reach[element]
            targets = [v for v in solve(state) if v["element"] in scope]
            if not targets:
                continue
            if any(v["kind"] == "overvoltage" for v in targets) or exporting(element):
                state = curtail_each(state, scope, element)
                targets = [v for v in solve(state) if v["element"] in scope]
                if not targets or any(v["kind"] == "overvoltage" for v in targets):
                    continue
                # curtailing may turn the flow round: what remains is on the import side
            actions = _actions(
                tree,
                blocks,
                p_block,
                in_reach & ~state.shed,
                np.where(state.dim, 0.0, dimmable),
                targets,
                bat_bus,
                scope,
                rotation,
                avoid,
            )
            k = _bisect(actions, clear(scope, state), t0, time_budget_s, hint=(hints or {}).get(element))
            taken[element] = k
            if k == len(actions) and _worst(solve(state.after(actions)), scope) >= _worst(targets, scope):
                unhelpful.add(element)  # all of it would not help (a meshed flow): shed nothing for it
                continue
            state = state.after(actions[:k])
        after = solve(state)
    finally:
        net.load["p_mw"] = base_p
        net.load["q_mvar"] = base_q
        net.sgen["p_mw"] = base_g
    in_scope = [f"bus:{b}" for b in bat_bus]
    bat_reach = np.array([any(x in reach[e] for e, _ in work) for x in in_scope], dtype=bool)
    remaining = []
    for v in after:
        owners = [e for e, sc in reach.items() if v["element"] in sc]
        if any(e in unhelpful for e in owners):
            why = (
                f"shedding all the load in reach of {', '.join(o for o in owners if o in unhelpful)} does "
                "not relieve it (a loop flow in a closed ring?): a case for switching, not shedding"
            )
        elif any(e in upstream_of for e in owners):
            why = (
                f"upstream of {', '.join(elements)}: the load downstream of it does not suffice; plan for "
                f"{v['element']} itself"
            )
        elif owners:
            why = f"all load in reach of {', '.join(owners)} that the priority rules allow is already off"
        else:
            why = (
                f"not downstream of {', '.join(elements)}: outside this plan's reach; plan for it separately"
            )
        remaining.append({**v, "reason": why})
    return NetworkPlan(
        shed=state.shed,
        dim=state.dim,
        battery_mw=float(bat_mw[state.battery].sum()),
        battery=state.battery,
        curtail=state.curtail,
        curtailed_mw=float(state.curtail.sum()),
        eligible=eligible,
        before=before,
        remaining=remaining,
        power_flows=runs,
        battery_in_reach=bat_reach,
        prefix=taken,
    )


#: An action: ("battery", index), ("dim", block) or ("shed", block).
Action = tuple[str, int]


@dataclass(frozen=True)
class State:
    """What a network plan has done: blocks cut and dimmed, batteries used, MW curtailed per generator."""

    shed: np.ndarray
    dim: np.ndarray
    battery: np.ndarray
    curtail: np.ndarray

    def after(self, actions: list[Action]) -> State:
        """The state after ``actions``."""
        new = State(self.shed.copy(), self.dim.copy(), self.battery.copy(), self.curtail.copy())
        for what, i in actions:
            getattr(new, what)[i] = True
        return new


def _export_order(
    net: pandapowerNet,
    sgens: pd.Index,
    available_mw: np.ndarray,
    type_order: tuple[str, ...],
    score: np.ndarray,
) -> np.ndarray:
    """Positions of the generators downstream that relieve the targets, in the order to curtail them.

    The priority file's order of types; within a type those that relieve the targets most first (``score``,
    by position in ``net.sgen``: :func:`_relief`), then the largest. Generators with no output left or no
    relief (off the constrained bus's path) are left out.
    """
    pos = net.sgen.index.get_indexer(sgens)
    pos = pos[pos >= 0]
    pos = pos[(available_mw[pos] > 0) & (score[pos] > 0)]
    p = available_mw[pos]
    types = net.sgen["type"].astype(str).to_numpy()[pos]
    rank = np.array([next((k for k, t in enumerate(type_order) if x.startswith(t)), 99) for x in types])
    return pos[np.lexsort((-p, -np.round(score[pos], 2), rank))] if len(pos) else pos


def _least(  # noqa: ANN001
    margin, clears, total: float, t0: float, budget_s: float, probes: int = 8, min_steps: int = 4
) -> float:
    """The least MW ``x`` in ``[0, total]`` with ``margin(x) <= 0``, to within :data:`CURTAIL_TOL_MW`.

    Regula falsi (Illinois): each step takes the root of the secant through the bracket's ends, i.e. the
    MW the margin's sensitivity to curtailment says is needed, and the power flow there narrows the
    bracket. When curtailing all of it does not clear (the flow turns round), ``probes`` evenly spaced
    amounts are tried first. The result is checked with ``clears`` (a power flow: nothing left in scope)
    and raised by bisection towards ``total`` if something else in scope is still violated. At least
    ``min_steps`` secant steps are taken even when the time budget is spent (otherwise a search that starts
    late would curtail everything it may).
    """
    lo, m_lo = 0.0, margin(0.0)
    if m_lo <= 0:
        return 0.0
    hi, m_hi = total, margin(total)
    if m_hi > 0:
        for j in range(1, probes):
            x = total * j / probes
            m = margin(x)
            if m <= 0:
                hi, m_hi = x, m
                break
            lo, m_lo = x, m
        else:
            return total
    side = steps = 0
    while hi - lo > CURTAIL_TOL_MW and m_hi < -1e-4 and (perf_counter() - t0 < budget_s or steps < min_steps):
        steps += 1
        x = hi - m_hi * (hi - lo) / (m_hi - m_lo)
        x = min(max(x, lo + CURTAIL_TOL_MW / 2), hi - CURTAIL_TOL_MW / 2)
        m = margin(x)
        if m > 0:
            lo, m_lo = x, m
            if side == 1:
                m_hi /= 2
            side = 1
        else:
            hi, m_hi = x, m
            if side == -1:
                m_lo /= 2
            side = -1
    if clears(hi) or not clears(total):
        return hi
    lo, hi = hi, total
    while hi - lo > CURTAIL_TOL_MW and perf_counter() - t0 < budget_s:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if clears(mid) else (mid, hi)
    return hi


def _actions(
    tree: RadialTree,
    blocks: Blocks,
    p_block: np.ndarray,
    in_reach: np.ndarray,
    dimmable: np.ndarray,
    targets: list[dict[str, object]],
    bat_bus: np.ndarray,
    scope: set[str],
    rotation: np.ndarray | None = None,
    avoid: np.ndarray | None = None,
) -> list[Action]:
    """Batteries in reach, then dims (largest first), then cuts.

    Cuts: critical blocks last, before them blocks to ``avoid``; otherwise tier, ``rotation`` key,
    relief, cost, size.
    """
    n = len(blocks)
    rotation = np.zeros(n) if rotation is None else rotation
    avoid = np.zeros(n, dtype=bool) if avoid is None else avoid
    score = _relief(tree, blocks.bus, targets)
    out: list[Action] = [("battery", int(i)) for i in range(len(bat_bus)) if f"bus:{bat_bus[i]}" in scope]
    in_reach = in_reach & (p_block > 0)
    dims = np.flatnonzero(in_reach & (dimmable > TOL_MW))
    out += [("dim", int(i)) for i in dims[np.lexsort((-dimmable[dims], -score[dims]))]]
    cuts = np.flatnonzero(in_reach)
    critical = blocks.critical[cuts] > 0
    keys = (
        -p_block[cuts],
        blocks.voll_eur_per_mwh[cuts],
        -np.round(score[cuts], 2),
        rotation[cuts],
        blocks.order[cuts],
        avoid[cuts] & ~critical,
        critical,
    )
    out += [("shed", int(i)) for i in cuts[np.lexsort(keys)]]
    return out


def _bisect(  # noqa: ANN001
    actions: list[Action], clears, t0: float, budget_s: float, probes: int = 8, hint: int | None = None
) -> int:
    """Shortest prefix length of ``actions`` for which ``clears(prefix)`` holds (all of it if none does).

    Bisection when the whole list clears. When it does not (cutting all load behind a branch that also
    feeds back generation turns the flow round), ``probes`` evenly spaced prefixes are tried and the
    bisection runs below the first that clears. With a ``hint`` (the length a similar plan needed) the
    bracket is found by galloping from it (steps 1, 2, 4, ...) before the bisection narrows it.
    """
    n = len(actions)
    if not actions:
        return 0
    if clears([]):
        return 0
    lo, hi = 0, n  # clears(actions[:hi]) holds; clears(actions[:lo]) does not
    if hint is not None and 0 < hint < n:
        step = 1
        if clears(actions[:hint]):
            hi = hint
            while hi - step > 0 and clears(actions[: hi - step]):
                hi, step = hi - step, step * 2
            lo = max(hi - step, 0)
        else:
            lo = hint
            while lo + step < n and not clears(actions[: lo + step]):
                lo, step = lo + step, step * 2
            if lo + step < n:
                hi = lo + step
            elif not clears(actions):
                return _bisect(actions, clears, t0, budget_s, probes)
    elif not clears(actions):
        points = sorted({max(1, round(n * j / probes)) for j in range(1, probes)})
        found = next((k for k in points if clears(actions[:k])), None)
        if found is None:
            return n
        hi = found
        lo = max((k for k in points if k < found), default=0)
    while hi - lo > 1 and perf_counter() - t0 < budget_s:
        mid = (lo + hi) // 2
        if clears(actions[:mid]):
            hi = mid
        else:
            lo = mid
    return hi
