"""Distribution locational marginal prices (DLMP) from a linearised power flow of the grid in force.

The grid in force (open switches respected) is a tree from its slack (:class:`RadialTree`). Its linearised
power flow is the lossless DistFlow model: the active (reactive) flow of a branch is the sum of the net
withdrawals (load minus generation) of the buses it feeds, so the power transfer distribution factor
(PTDF) of branch l for a withdrawal at bus b (injected at the slack) is 1 when l lies on the path from
the slack to b, else 0. The losses of a branch are ``r * (P**2 + Q**2) / V**2`` [MW] with ``r`` [ohm] and
``V`` [kV]; the marginal loss factor (MLF) of bus b is their derivative for 1 MW more withdrawn there
(reactive power at the load's power factor):

``MLF_b = sum over l on the path of b of 2 * r_l * (P_l + Q_l * tan(phi_b)) / V_l**2`` [MW/MW].

The DLMP of a load at bus b and hour t is then ``pi_t * (1 + MLF_bt) + sum_l PTDF_lb * mu_lt`` with
``pi_t`` the energy price of the signal [EUR/kWh] and ``mu_lt`` the congestion price of branch l: zero
while its flow is within its limit (``loading_limit_pct`` of its rating), otherwise the smallest adder
(in load direction; a negative one when the branch is overloaded by generation flowing back) that makes
the loads it feeds respond (saturating model, announced day-ahead) enough to bring it back within the
limit, found by bisection. What response cannot clear (its adder saturates at ``max_adder_per_kwh``) is
the branch's residual, which batteries and shedding then take in that order (:mod:`gridcore.market.balance`).

:func:`check_against_ac` compares the linearised flows and loss factors with a full AC power flow
(pandapower Newton-Raphson) of the same hour, perturbing each sampled load by a small step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.market.inputs import MarketInputs
from gridcore.market.response import CLASSES, DEFAULT_PARAMS, respond
from gridcore.market.signals import PriceSignal

#: Bisection steps of a congestion adder (3 EUR/kWh / 2**24: below 1e-6 EUR/kWh).
BISECTIONS = 24


@dataclass(frozen=True)
class Linearised:
    """The linearised power flow of a radial grid.

    Attributes
    ----------
    branches : list of str
        ``line:<id>`` / ``trafo:<id>``.
    ptdf : np.ndarray
        (branch, bus position) 1 where the branch feeds the bus [-].
    r_ohm, v_kv, limit_mva : np.ndarray
        (branch,) resistance [ohm], voltage [kV], rating [MVA].
    buses : np.ndarray
        Bus ids of the columns of ``ptdf``.
    upstream : np.ndarray
        (branch,) the bus on the slack side of each branch.
    """

    branches: list[str]
    ptdf: np.ndarray
    r_ohm: np.ndarray
    v_kv: np.ndarray
    limit_mva: np.ndarray
    buses: np.ndarray
    upstream: np.ndarray

    def flows(self, p_bus: np.ndarray, q_bus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(time, branch) active and reactive flows [MW], [MVAr] from withdrawals per bus (time, bus)."""
        return np.einsum("tn,bn->tb", p_bus, self.ptdf), np.einsum("tn,bn->tb", q_bus, self.ptdf)

    def losses_mw(self, p_bus: np.ndarray, q_bus: np.ndarray) -> np.ndarray:
        """(time,) total branch losses [MW]."""
        p, q = self.flows(p_bus, q_bus)
        return ((p**2 + q**2) * (self.r_ohm / self.v_kv**2)).sum(axis=1)

    def mlf(self, p_bus: np.ndarray, q_bus: np.ndarray, cols: np.ndarray, tan_phi: np.ndarray) -> np.ndarray:
        """(time, k) marginal loss factor [MW/MW] at bus positions ``cols`` (module docstring).

        ``tan_phi`` (k,) is the ratio of reactive to active power of each withdrawal.
        """
        p, q = self.flows(p_bus, q_bus)
        k = 2.0 * self.r_ohm / self.v_kv**2
        sub = self.ptdf[:, cols]
        return np.einsum("tb,bk->tk", p * k, sub) + np.einsum("tb,bk->tk", q * k, sub) * tan_phi[None, :]


def linearise(net) -> Linearised:  # noqa: ANN001 (pandapowerNet)
    """The linearised power flow of ``net`` in its switching state (module docstring).

    Parameters
    ----------
    net : pandapowerNet
        Radial in its switching state (a meshed part is fed from its first path). Transformers in service
        that the tree does not use are taken as parallel to the one it does (a coupled substation busbar:
        one equivalent branch with their combined rating and parallel resistance).

    Returns
    -------
    Linearised
    """
    from gridcore.network.downstream import RadialTree

    tree = RadialTree(net)
    buses = np.array(sorted(tree.parent), dtype=np.int64)
    col = {b: i for i, b in enumerate(buses)}
    names: list[str] = []
    r, v, lim, up = [], [], [], []
    rows: list[list[int]] = []
    vn = net.bus["vn_kv"]
    for bus, (table, idx) in sorted(tree.branch.items()):
        if table == "line":
            ln = net.line.loc[idx]
            par = float(ln.get("parallel", 1) or 1)
            r.append(float(ln["r_ohm_per_km"] * ln["length_km"]) / par)
            v.append(float(vn.loc[ln["from_bus"]]))
            lim.append(float(np.sqrt(3.0) * vn.loc[ln["from_bus"]] * ln["max_i_ka"] * par))
        elif table == "trafo":
            tr = net.trafo.loc[idx]
            # transformers in service outside the tree run in parallel with it (a coupled busbar)
            n_par = (
                1
                + int(net.trafo["in_service"].sum())
                - sum(1 for t, _ in tree.branch.values() if t == "trafo")
            )
            r.append(
                float(tr["vkr_percent"]) / 100.0 * float(tr["vn_lv_kv"]) ** 2 / float(tr["sn_mva"]) / n_par
            )
            v.append(float(tr["vn_lv_kv"]))
            lim.append(float(tr["sn_mva"]) * n_par)
        else:
            continue  # a bus-bus switch: no impedance, no rating
        names.append(f"{table}:{idx}")
        up.append(tree.parent[bus])
        rows.append([col[b] for b in tree.subtree(bus)])
    ptdf = np.zeros((len(names), len(buses)))
    for i, cols in enumerate(rows):
        ptdf[i, cols] = 1.0
    return Linearised(
        names, ptdf, np.array(r), np.array(v), np.array(lim), buses, np.array(up, dtype=np.int64)
    )


def bus_withdrawals(
    lin: Linearised,
    load_bus: np.ndarray,
    load_mw: np.ndarray,
    tan_phi: np.ndarray,
    sgen_bus: np.ndarray,
    sgen_mw: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(time, bus) net active and reactive withdrawals [MW], [MVAr] (generation at unity power factor)."""
    col = {b: i for i, b in enumerate(lin.buses)}
    p = np.zeros((load_mw.shape[0], len(lin.buses)))
    q = np.zeros_like(p)
    for j, b in enumerate(load_bus):
        if b in col:
            p[:, col[b]] += load_mw[:, j]
            q[:, col[b]] += load_mw[:, j] * tan_phi[j]
    for j, b in enumerate(sgen_bus):
        if b in col:
            p[:, col[b]] -= sgen_mw[:, j]
    return p, q


@dataclass(frozen=True)
class LocationalPrices:
    """DLMP per load and feeder, and what congestion pricing achieved.

    Attributes
    ----------
    times : pd.DatetimeIndex
    load_price_per_kwh : np.ndarray
        (time, load) DLMP [EUR/kWh].
    feeders : list of str
    feeder_price_per_kwh : np.ndarray
        (time, feeder) demand-weighted DLMP of the feeder's loads [EUR/kWh].
    mlf : np.ndarray
        (time, load) marginal loss factor [MW/MW].
    congestion : list of dict
        Per congested branch: hours, worst loading before and after response [%], its adder
        [EUR/kWh], the feeder, the need and what response left.
    load_after_mw : np.ndarray
        (time, load) load after the response to the DLMP [MW].
    loading_limit_pct : float
    reach : dict of str to np.ndarray
        Per congested branch, the loads it feeds (bool per load).
    need_mw, residual_mw : dict of str to np.ndarray
        Per congested branch, (time,) flow above its limit before and after the response [MW].
    congestion_per_kwh : np.ndarray, optional
        (time, load) the congestion component of the DLMP (the adders of the branches feeding each
        load) [EUR/kWh].
    """

    times: pd.DatetimeIndex
    load_price_per_kwh: np.ndarray
    feeders: list[str]
    feeder_price_per_kwh: np.ndarray
    mlf: np.ndarray
    congestion: list[dict[str, object]]
    load_after_mw: np.ndarray
    loading_limit_pct: float
    reach: dict[str, np.ndarray] = field(default_factory=dict)
    need_mw: dict[str, np.ndarray] = field(default_factory=dict)
    residual_mw: dict[str, np.ndarray] = field(default_factory=dict)
    congestion_per_kwh: np.ndarray | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON figures: the feeders' peak and mean prices, the loss factors, the congestion."""
        fp = self.feeder_price_per_kwh
        return {
            "loading_limit_pct": self.loading_limit_pct,
            "feeders": {
                f: {
                    "price_max_per_kwh": round(float(fp[:, j].max()), 4),
                    "price_min_per_kwh": round(float(fp[:, j].min()), 4),
                    "price_mean_per_kwh": round(float(fp[:, j].mean()), 4),
                    "peak_time": f"{self.times[int(np.argmax(fp[:, j]))]:%Y-%m-%dT%H:%MZ}",
                }
                for j, f in enumerate(self.feeders)
            },
            "mlf_min": round(float(self.mlf.min()), 6),
            "mlf_max": round(float(self.mlf.max()), 6),
            "congested_branches": len(self.congestion),
            "congestion": self.congestion,
        }


def _class_change(base: np.ndarray, shares: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """(time, load) change of load at price ratios (time, load), event salience, flexible share bound [MW]."""
    out = np.zeros_like(base)
    for c, name in enumerate(CLASSES):
        p = DEFAULT_PARAMS[name]
        b = base * shares[None, :, c]
        out += np.clip(-p.reduction(ratio) * b, -p.flex_share * b, p.flex_share * b)
    return out


def locational_prices(
    inputs: MarketInputs,
    signal: PriceSignal,
    net=None,  # noqa: ANN001 (pandapowerNet)
    loading_limit_pct: float = 100.0,
    max_adder_per_kwh: float = 3.0,
    model: str = "saturating",
) -> LocationalPrices:
    """DLMP per load point and feeder for the hours of ``inputs`` (module docstring).

    Parameters
    ----------
    inputs : MarketInputs
    signal : PriceSignal
        The energy price ``pi_t`` [EUR/kWh].
    net : pandapowerNet, optional
        The grid in force; the cached network of ``inputs.grid`` when None.
    loading_limit_pct : float
        Branch limit [% of rating].
    max_adder_per_kwh : float
        Largest congestion adder [EUR/kWh].
    model : str
        Response model of the final response to the DLMP.

    Returns
    -------
    LocationalPrices
    """
    from gridcore.network.grid import pandapower_net

    net = net if net is not None else pandapower_net(inputs.grid.code)
    lin = linearise(net)
    grid = inputs.grid
    load_bus = grid.load["bus"].to_numpy(dtype=np.int64)
    sgen_bus = grid.sgen["bus"].to_numpy(dtype=np.int64)
    p_nom = grid.load_p_mw.mean(axis=0)
    q_nom = grid.load_q_mvar.mean(axis=0)
    tan_phi = np.where(np.abs(p_nom) > 1e-9, q_nom / np.where(np.abs(p_nom) > 1e-9, p_nom, 1.0), 0.0)
    pi = np.asarray(signal.price_per_kwh, dtype=float).reshape(len(inputs.times), -1)[:, :1]
    ratio0 = np.broadcast_to(pi / signal.flat_per_kwh, inputs.load_mw.shape)
    base = inputs.load_mw + _class_change(inputs.load_mw, inputs.class_shares, ratio0)
    col = {b: i for i, b in enumerate(lin.buses)}
    load_col = np.array([col.get(b, -1) for b in load_bus])
    feeds = np.zeros((len(lin.branches), len(load_bus)), dtype=bool)  # branch feeds load
    ok = load_col >= 0
    feeds[:, ok] = lin.ptdf[:, load_col[ok]] > 0
    limit = lin.limit_mva * loading_limit_pct / 100.0
    adder = np.zeros((len(inputs.times), len(lin.branches)))
    congestion: list[dict[str, object]] = []

    fmat = feeds.astype(float)
    gen_in = np.zeros((len(lin.branches), len(sgen_bus)))
    sgen_col = np.array([col.get(b, -1) for b in sgen_bus])
    on = sgen_col >= 0
    gen_in[:, on] = lin.ptdf[:, sgen_col[on]]

    def loads_at(
        add: np.ndarray, rows: np.ndarray | slice = slice(None), extra: np.ndarray | None = None
    ) -> np.ndarray:
        if extra is None:  # (time, load): the sum of the adders of the branches feeding each load
            extra = np.einsum("tb,bn->tn", add, fmat)
        ratio = np.maximum((pi[rows] + extra) / signal.flat_per_kwh, 1e-3)
        return inputs.load_mw[rows] + _class_change(inputs.load_mw[rows], inputs.class_shares, ratio)

    def branch_s(load: np.ndarray, b: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Signed apparent flow of branch b [MVA] (sign of its active flow)."""
        p = (load * fmat[b]).sum(axis=1) - (inputs.sgen_mw[rows] * gen_in[b]).sum(axis=1)
        q = (load * tan_phi[None, :] * fmat[b]).sum(axis=1)
        return np.sign(p) * np.sqrt(p**2 + q**2)

    def apparent(load: np.ndarray) -> np.ndarray:
        p = np.einsum("tn,bn->tb", load, fmat) - np.einsum("tg,bg->tb", inputs.sgen_mw, gen_in)
        q = np.einsum("tn,bn->tb", load * tan_phi[None, :], fmat)
        return np.sign(p) * np.sqrt(p**2 + q**2)

    s0 = apparent(base)
    over = np.abs(s0) > limit[None, :]
    # the smallest subtrees first: a branch's adder then also relieves the branches that feed it
    for b in np.argsort(lin.ptdf.sum(axis=1), kind="stable"):
        hours = np.flatnonzero(over[:, b])
        if len(hours) == 0:
            continue
        now = branch_s(loads_at(adder[hours], hours), b, hours)
        hours = hours[np.abs(now) > limit[b]]
        if len(hours) == 0:
            continue
        sign = np.where(now[np.abs(now) > limit[b]] > 0, 1.0, -1.0)
        lo, hi = np.zeros(len(hours)), np.full(len(hours), max_adder_per_kwh)
        others = adder[hours].copy()
        others[:, b] = 0.0
        extra0 = np.einsum("tb,bn->tn", others, fmat)
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            extra = extra0 + (sign * mid)[:, None] * fmat[b][None, :]
            ok = np.abs(branch_s(loads_at(adder, hours, extra), b, hours)) <= limit[b]
            hi = np.where(ok, mid, hi)
            lo = np.where(ok, lo, mid)
        adder[hours, b] = sign * hi
    final = loads_at(adder)
    s1 = apparent(final)
    reach, needs, residuals = {}, {}, {}
    for b in np.flatnonzero(over.any(axis=0)):
        hours = np.flatnonzero(over[:, b])
        name = lin.branches[b]
        reach[name] = feeds[b]
        needs[name] = np.maximum(np.abs(s0[:, b]) - limit[b], 0.0) * over[:, b]
        residuals[name] = np.maximum(np.abs(s1[:, b]) - limit[b], 0.0) * over[:, b]
        congestion.append(
            {
                "branch": name,
                "feeder": _feeder_of(inputs, feeds[b]),
                "direction": "load" if s0[hours, b].max() > 0 else "generation",
                "hours": len(hours),
                "first": f"{inputs.times[hours[0]]:%Y-%m-%dT%H:%MZ}",
                "loading_before_pct": round(float(np.abs(s0[hours, b]).max() / lin.limit_mva[b] * 100), 3),
                "loading_after_pct": round(float(np.abs(s1[hours, b]).max() / lin.limit_mva[b] * 100), 3),
                "adder_max_per_kwh": round(float(np.abs(adder[hours, b]).max()), 4),
                "need_mw_max": round(float(needs[name].max()), 6),
                "residual_mw_max": round(float(residuals[name].max()), 6),
                "cleared_by_response": bool(residuals[name].max() <= 1e-6),
            }
        )
    p, q = bus_withdrawals(lin, load_bus, final, tan_phi, sgen_bus, inputs.sgen_mw)
    mlf = np.where(load_col[None, :] >= 0, lin.mlf(p, q, np.maximum(load_col, 0), tan_phi), 0.0)
    price = pi * (1.0 + mlf) + np.einsum("tb,bn->tn", adder, fmat)
    price = np.maximum(price, 1e-3)
    if model != "saturating":
        final = respond(
            inputs.load_mw,
            price,
            inputs.times,
            model=model,
            class_shares=inputs.class_shares,
            reference_per_kwh=signal.flat_per_kwh,
            salience=np.ones(len(inputs.times)),
        ).load_mw
    feeders = list(inputs.feeder_limit_mw.index)
    fprice = np.zeros((len(inputs.times), len(feeders)))
    for j, f in enumerate(feeders):
        on = inputs.load_feeder == f
        w = inputs.load_mw[:, on]
        fprice[:, j] = (
            (price[:, on] * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-9) if on.any() else pi[:, 0]
        )
    return LocationalPrices(
        inputs.times,
        price,
        feeders,
        fprice,
        mlf,
        congestion,
        final,
        loading_limit_pct,
        reach,
        needs,
        residuals,
        np.einsum("tb,bn->tn", adder, fmat),
    )


def balance_congestion(
    inputs: MarketInputs,
    loc: LocationalPrices,
    fleet: pd.DataFrame | None = None,
    order: tuple[str, ...] = ("price", "batteries", "shedding"),
) -> dict[str, dict[str, object]]:
    """The remedies of each congested branch in ``order``: what response, batteries and shedding covered.

    Parameters
    ----------
    inputs : MarketInputs
    loc : LocationalPrices
    fleet : pd.DataFrame, optional
        Storage fleet (``bus``, ``power_mw``, ``energy_mwh``): the batteries behind the branch.
    order : tuple of str
        Remedy order.

    Returns
    -------
    dict of str to dict
        Per branch, :meth:`gridcore.market.balance.BalanceResult.to_dict` (without the hours one by one).
        Shedding takes the loads behind the branch (the shedding planner); an overload by generation is
        not a shedding case (curtailment), so there shedding covers nothing and says so.
    """
    from gridcore.market.balance import (
        balance,
        battery_remedy,
        price_remedy,
        shedding_remedy,
        switchable_blocks,
    )

    out = {}
    blocks = switchable_blocks(inputs.grid) if loc.congestion else None
    load_bus = inputs.grid.load["bus"].to_numpy()
    for c in loc.congestion:
        name = str(c["branch"])
        need, left = loc.need_mw[name], loc.residual_mw[name]
        buses = set(load_bus[loc.reach[name]])
        bat = fleet[fleet["bus"].isin(buses)] if fleet is not None and len(buses) else None
        power = 0.0 if bat is None else float(bat["power_mw"].sum())
        energy = 0.0 if bat is None else 0.5 * float(bat["energy_mwh"].sum())
        if c["direction"] == "load":
            shed = shedding_remedy(
                inputs.grid, loc.load_after_mw, inputs.times, loc.reach[name], blocks=blocks
            )
        else:

            def shed(x: np.ndarray) -> tuple[np.ndarray, dict[str, object]]:
                return np.zeros_like(x), {"note": "overload by generation: curtailment, not shedding"}

        remedies = {
            "price": price_remedy(need - left),
            "batteries": battery_remedy(power, energy),
            "shedding": shed,
        }
        result = balance(inputs.times, need, remedies, order).to_dict()
        result.pop("per_hour")
        out[name] = result
    return out


def _feeder_of(inputs: MarketInputs, loads: np.ndarray) -> str:
    """The feeder of the loads a branch feeds (``several`` when they span more than one)."""
    names = sorted({str(f) for f in inputs.load_feeder[loads] if f})
    return names[0] if len(names) == 1 else ("several" if names else "")


def check_against_ac(
    net,  # noqa: ANN001 (pandapowerNet)
    inputs: MarketInputs,
    hour: int,
    loads: list[int] | None = None,
    step_mw: float = 0.05,
) -> pd.DataFrame:
    """Linearised flows and loss factors against a full AC power flow at one hour.

    Parameters
    ----------
    net : pandapowerNet
        The network of ``inputs.grid`` (changed: its loads and generation are set to the hour, its storage
        units to 0).
    inputs : MarketInputs
    hour : int
        Position in ``inputs.times``.
    loads : list of int, optional
        Load positions to perturb (default: 6 spread over the grid).
    step_mw : float
        Perturbation [MW].

    Returns
    -------
    pd.DataFrame
        Per load: ``mlf_linear``, ``mlf_ac`` [MW/MW], and ``flow_change_linear_mw`` /
        ``flow_change_ac_mw`` summed over the branches feeding it [MW].
    """
    import pandapower as pp

    lin = linearise(net)
    grid = inputs.grid
    p_nom = grid.load_p_mw.mean(axis=0)
    q_nom = grid.load_q_mvar.mean(axis=0)
    tan_phi = np.where(np.abs(p_nom) > 1e-9, q_nom / np.where(np.abs(p_nom) > 1e-9, p_nom, 1.0), 0.0)
    load = inputs.load_mw[hour].copy()
    net.load["p_mw"] = load
    net.load["q_mvar"] = load * tan_phi
    net.sgen["p_mw"] = inputs.sgen_mw[hour]
    net.sgen["q_mvar"] = 0.0
    if "storage" in net and len(net.storage):
        net.storage["p_mw"] = 0.0  # batteries are the fleet's, outside this comparison
        net.storage["q_mvar"] = 0.0

    def ac() -> tuple[float, np.ndarray]:
        pp.runpp(net, calculate_voltage_angles=False, init="dc", numba=False)
        loss = float(net.res_line["pl_mw"].sum() + net.res_trafo["pl_mw"].sum())
        flows = np.array([_branch_p(net, b, u) for b, u in zip(lin.branches, lin.upstream, strict=True)])
        return loss, flows

    loss0, flow0 = ac()
    load_bus = grid.load["bus"].to_numpy(dtype=np.int64)
    sgen_bus = grid.sgen["bus"].to_numpy(dtype=np.int64)
    p, q = bus_withdrawals(lin, load_bus, load[None, :], tan_phi, sgen_bus, inputs.sgen_mw[hour : hour + 1])
    col = {b: i for i, b in enumerate(lin.buses)}
    chosen = loads if loads is not None else list(np.linspace(0, len(load) - 1, 6).astype(int))
    rows = []
    for j in chosen:
        mlf = lin.mlf(p, q, np.array([col[int(load_bus[j])]]), tan_phi[j : j + 1])[0, 0]
        net.load.loc[net.load.index[j], ["p_mw", "q_mvar"]] = [
            load[j] + step_mw,
            (load[j] + step_mw) * tan_phi[j],
        ]
        loss1, flow1 = ac()
        net.load.loc[net.load.index[j], ["p_mw", "q_mvar"]] = [load[j], load[j] * tan_phi[j]]
        feeds = lin.ptdf[:, col[int(load_bus[j])]] > 0
        rows.append(
            {
                "load": grid.load["name"].iloc[j],
                "mlf_linear": float(mlf),
                "mlf_ac": (loss1 - loss0) / step_mw,
                "flow_change_linear_mw": float(step_mw * feeds.sum()),
                "flow_change_ac_mw": float((flow1 - flow0)[feeds].sum()),
            }
        )
    return pd.DataFrame(rows)


def _branch_p(net, branch: str, upstream: int) -> float:  # noqa: ANN001 (pandapowerNet)
    """Active power into a branch at its slack side [MW] (transformers: all in service, :func:`linearise`)."""
    table, idx = branch.split(":")
    if table == "line":
        side = "from" if int(net.line.at[int(idx), "from_bus"]) == upstream else "to"
        return float(net.res_line.at[int(idx), f"p_{side}_mw"])
    return float(net.res_trafo.loc[net.trafo["in_service"], "p_hv_mw"].sum())  # with those in parallel
