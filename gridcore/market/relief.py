"""Where the grid is short: a locational price per feeder, its response, then the remedies, by AC power flow.

The remedies after the price are batteries, then curtailment of generation or shedding of load.

:func:`relieve` takes the hours of a horizon (or one SimBench study case, :func:`study_case_inputs`) and:

1. **Before.** Runs an AC power flow (pandapower Newton-Raphson, :func:`gridcore.network.powerflow.
   run_powerflow`) of every hour with the loads after the energy price alone; every line or transformer
   above ``loading_limit_pct`` and every bus outside its voltage band is a constraint of that hour.
2. **Price.** The congestion component of each load's price is the DLMP of
   :func:`gridcore.market.locational.locational_prices` (branch overloads, from the linearised flows)
   plus a voltage component: for a bus outside its band, the loads get ``sign * mu * s_j / max(s)``
   [EUR/kWh], ``s_j = R_bj + X_bj * tan(phi_j)`` the resistance and reactance load j's path shares with
   the bus (LinDistFlow, :class:`gridcore.network.constraints.PathImpedance`, p.u. on 1 MVA per MW): the
   voltage sensitivity of the bus to 1 MW more at load j. ``sign`` is -1 for an overvoltage (the price
   falls, possibly below zero, so flexible load moves into the export hours) and +1 for an undervoltage.
   ``mu`` is the smallest shadow price whose linearised response brings every violated bus of the hour
   back into its band, found by bisection, capped at ``max_adder_per_kwh`` (the response saturates: what
   it cannot clear is left to the remedies after it).
3. **After the response.** A second AC power flow measures what the response cleared: per constraint,
   the share of its excess (p.u. above/below the band, or % above the loading limit, summed over its
   hours) that went away (``clears_by_response_pct``) and what is left (``residual_after_response``).
4. **Batteries, then curtailment or shedding** (``order``): batteries in reach (on the constraint's
   feeder, or downstream of an overloaded branch) charge in export-side hours and discharge in
   import-side hours, sized by the linear sensitivity and limited by their power and by half their
   energy over the horizon; then the shedding issue's network planner
   (:func:`gridcore.shedding.network.plan_network`) curtails generation (export side, in the priority
   file's order of types) or sheds load blocks (import side) until the AC power flow is clean. Each
   remedy reports the MW and MWh it used, per feeder.

Conventions: a load's price may go negative in the report (the response reads any ratio below 1e-3 of
the flat tariff as 1e-3). Storage units of the network are held at 0 MW: the batteries are the fleet's
(:func:`gridcore.storage.fleet.default_fleet`, or the network's own storage table where the grid has no
place for the default fleet).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.market.inputs import MarketInputs
from gridcore.market.locational import _class_change, locational_prices
from gridcore.market.relief_grid import _bus_feeder, _excess, _Grid, _per_feeder, _r
from gridcore.market.signals import PriceSignal

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

#: Remedies after the price, in the default order.
REMEDIES = ("price", "batteries", "curtailment")
#: Bisection steps of a voltage shadow price.
BISECTIONS = 20


@dataclass(frozen=True)
class Relief:
    """Locational prices where the grid is short, and what response and the remedies after it cleared.

    Attributes
    ----------
    times : pd.DatetimeIndex
    feeders : list of str
    component_per_kwh : np.ndarray
        (time, load) congestion component of each load's price (branches and voltage) [EUR/kWh].
    price_per_kwh : np.ndarray
        (time, load) the locational price, energy and losses included [EUR/kWh].
    feeder_component_per_kwh, feeder_price_per_kwh : np.ndarray
        (time, feeder) demand-weighted congestion component and locational price of the feeder's loads
        [EUR/kWh].
    load_before_mw, load_after_mw : np.ndarray
        (time, load) load after the energy price alone and after the locational price [MW].
    constraints : list of dict
        Per constrained element (AC power flow): kind, direction, feeder, hours, worst values before
        and after the response, the excess cleared by response [%], what is left after each remedy.
    remedies : dict of str to dict
        Per remedy: MW (largest hour) and MWh used, per feeder.
    power_flows : int
        AC power flows run.
    stages : pd.DataFrame
        Per hour (index) and stage (``before``, ``response``, ``batteries``, ``remedies``: after all of
        them), the AC power flow's highest and lowest bus voltage [p.u.] and highest branch loading [%]
        (columns ``<stage>_vmax_pu``, ``<stage>_vmin_pu``, ``<stage>_loading_max_pct``).
    """

    times: pd.DatetimeIndex
    feeders: list[str]
    component_per_kwh: np.ndarray
    price_per_kwh: np.ndarray
    feeder_component_per_kwh: np.ndarray
    feeder_price_per_kwh: np.ndarray
    load_before_mw: np.ndarray
    load_after_mw: np.ndarray
    constraints: list[dict[str, object]]
    remedies: dict[str, dict[str, object]]
    power_flows: int
    stages: pd.DataFrame

    def most_congested(self) -> tuple[str, str, float] | None:
        """The feeder of the largest constraint, the stage quantity that shows it and its limit.

        Returns
        -------
        tuple of (str, str, float) or None
            Feeder, ``vmax_pu`` / ``vmin_pu`` / ``loading_max_pct`` and the limit; None without constraints.
        """
        named = [c for c in self.constraints if c["feeder"] in self.feeders]
        if not named:
            return None
        worst = max(named, key=lambda c: float(c["excess_before"]) / (1.0 if c["unit"] == "%" else 0.01))  # type: ignore[arg-type]
        quantity = {"overvoltage": "vmax_pu", "undervoltage": "vmin_pu"}.get(
            str(worst["kind"]), "loading_max_pct"
        )
        return str(worst["feeder"]), quantity, float(worst["limit"])  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        """JSON figures, per feeder: congestion component, hours, ``clears_by_response`` and residual."""
        feeders: dict[str, dict[str, object]] = {}
        for j, f in enumerate(self.feeders):
            comp = self.feeder_component_per_kwh[:, j]
            price = self.feeder_price_per_kwh[:, j]
            mine = [c for c in self.constraints if c["feeder"] == f]
            before = sum(float(c["excess_before"]) for c in mine)  # type: ignore[arg-type]
            after = sum(float(c["excess_after_response"]) for c in mine)  # type: ignore[arg-type]
            hours = sorted({h for c in mine for h in c["hour_list"]})  # type: ignore[attr-defined]
            feeders[f] = {
                "price_max_per_kwh": _r(price.max(), 4),
                "price_min_per_kwh": _r(price.min(), 4),
                "price_mean_per_kwh": _r(price.mean(), 4),
                "peak_time": f"{self.times[int(np.argmax(price))]:%Y-%m-%dT%H:%MZ}",
                "congestion_component_min_per_kwh": _r(comp.min(), 4),
                "congestion_component_max_per_kwh": _r(comp.max(), 4),
                "hours": len(hours),
                "first": f"{self.times[hours[0]]:%Y-%m-%dT%H:%MZ}" if hours else None,
                "constraints": [c["element"] for c in mine],
                "clears_by_response_pct": _r(100.0 * (1.0 - after / before), 2) if before > 0 else None,
                "residual_after_response": {
                    "constraint_hours": sum(int(c["hours_after_response"]) for c in mine),  # type: ignore[call-overload]
                    "excess": {str(c["element"]): c["excess_after_response"] for c in mine},
                },
                "residual_after_remedies": {
                    str(c["element"]): c["residual_after_remedies"]
                    for c in mine
                    if c["residual_after_remedies"]
                },
                "remedies": {r: v["per_feeder"].get(f, 0.0) for r, v in self.remedies.items()},  # type: ignore[union-attr]
            }
        return {
            "feeders": feeders,
            "constraints": [{k: v for k, v in c.items() if k != "hour_list"} for c in self.constraints],
            "remedies": self.remedies,
            "order": list(self.remedies),
            "power_flows": self.power_flows,
        }


def study_case_inputs(inputs: MarketInputs, net: pandapowerNet) -> MarketInputs:
    """The first hour of ``inputs`` with the loads and generation of ``net`` (e.g. a SimBench study case).

    Parameters
    ----------
    inputs : MarketInputs
        Of the same grid (classes, feeders); only its first hour is kept.
    net : pandapowerNet
        Loads and generation set to the case (:func:`gridcore.network.study_case.apply_study_case`).

    Returns
    -------
    MarketInputs
        One hour: ``load_mw`` and ``sgen_mw`` from ``net`` [MW]; ``source`` says ``study case``.
    """
    return replace(
        inputs,
        times=inputs.times[:1],
        load_mw=net.load["p_mw"].to_numpy(dtype=float)[None, :].clip(0.0),
        sgen_mw=net.sgen["p_mw"].to_numpy(dtype=float)[None, :].clip(0.0),
        source={"load": "study case", "generation": "study case"},
    )


def battery_fleet(
    inputs: MarketInputs, net: pandapowerNet | None = None, fleet: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Batteries (``bus``, ``power_mw``, ``energy_mwh``): the fleet given, the default one, or the net's."""
    if fleet is not None:
        return fleet[["bus", "power_mw", "energy_mwh"]]
    from gridcore.storage.fleet import default_fleet

    try:
        return default_fleet(inputs.grid)[["bus", "power_mw", "energy_mwh"]]
    except InputError:
        st = net.get("storage") if net is not None and hasattr(net, "get") else None
        if st is None or not len(st):
            return pd.DataFrame({"bus": [], "power_mw": [], "energy_mwh": []})
        return pd.DataFrame(
            {
                "bus": st["bus"].to_numpy(dtype=np.int64),
                "power_mw": st["p_mw"].abs().to_numpy(dtype=float),
                "energy_mwh": st["max_e_mwh"].to_numpy(dtype=float),
            }
        )


def relieve(
    inputs: MarketInputs,
    signal: PriceSignal,
    net: pandapowerNet | None = None,
    loading_limit_pct: float = 100.0,
    bands: dict | None = None,
    fleet: pd.DataFrame | None = None,
    order: tuple[str, ...] = REMEDIES,
    max_adder_per_kwh: float = 3.0,
    time_budget_s: float = 4.0,
) -> Relief:
    """Locational prices, response, batteries and curtailment or shedding, checked by AC power flow.

    Parameters
    ----------
    inputs : MarketInputs
    signal : PriceSignal
        The energy price [EUR/kWh].
    net : pandapowerNet, optional
        The grid in force (a SimBench study case set on it, or its rated values); the cached network of
        ``inputs.grid`` when None. Not changed (a copy is solved).
    loading_limit_pct : float
        Branch limit [% of rating].
    bands : dict, optional
        Voltage bands per level [p.u.] (:func:`gridcore.network.powerflow.run_powerflow`).
    fleet : pd.DataFrame, optional
        Batteries (``bus``, ``power_mw``, ``energy_mwh``); the default fleet when None (module docstring).
    order : tuple of str
        ``price`` first, then ``batteries`` and ``curtailment`` (curtailment of generation on the export
        side, shedding of load on the import side) in the order to apply them; leave one out to skip it.
    max_adder_per_kwh : float
        Largest congestion component (branches and voltage together), either sign [EUR/kWh].
    time_budget_s : float
        Per hour, the shedding planner's refinement budget [s].

    Returns
    -------
    Relief

    Raises
    ------
    InputError
        An ``order`` that does not start with ``price`` or names an unknown remedy.
    """
    from gridcore.network.grid import pandapower_net

    if not order or order[0] != "price" or set(order) - set(REMEDIES) or len(set(order)) != len(order):
        raise InputError(
            f"order {order!r}: price first, then any of batteries, curtailment once each", field="order"
        )
    net = copy.deepcopy(net) if net is not None else pandapower_net(inputs.grid.code)
    bats = battery_fleet(inputs, net, fleet)
    grid = inputs.grid
    p_nom = grid.load_p_mw.mean(axis=0)
    q_nom = grid.load_q_mvar.mean(axis=0)
    tan_phi = np.where(np.abs(p_nom) > 1e-9, q_nom / np.where(np.abs(p_nom) > 1e-9, p_nom, 1.0), 0.0)
    g = _Grid(net, tan_phi, loading_limit_pct, bands)
    n_t, n_l = inputs.load_mw.shape
    flat = signal.flat_per_kwh
    pi = np.asarray(signal.price_per_kwh, dtype=float).reshape(n_t, -1)[:, :1]
    shares = inputs.class_shares

    def respond(extra: np.ndarray, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        ratio = np.maximum((pi[rows] + extra) / flat, 1e-3)
        return inputs.load_mw[rows] + _class_change(inputs.load_mw[rows], shares, ratio)

    base = respond(np.zeros((n_t, n_l)))
    no_bat = (np.zeros(0, np.int64), np.zeros(0))
    before = []
    stages = {k: np.full((n_t, 3), np.nan) for k in ("before", "response", "batteries", "remedies")}
    for h in range(n_t):
        g.set(base[h], inputs.sgen_mw[h], *no_bat)
        before.append(g.solve())
        stages["before"][h] = g.last
    loc = locational_prices(inputs, signal, net, loading_limit_pct, max_adder_per_kwh)
    branch = loc.congestion_per_kwh if loc.congestion_per_kwh is not None else np.zeros((n_t, n_l))
    volt = np.zeros((n_t, n_l))
    for h, viol in enumerate(before):
        volt[h] = _voltage_component(
            g, viol, lambda x, h=h: respond(x[None, :], np.array([h]))[0], branch[h], max_adder_per_kwh
        )
    component = np.clip(branch + volt, -max_adder_per_kwh, max_adder_per_kwh)
    after_load = respond(component)
    after = []
    for h in range(n_t):
        g.set(after_load[h], inputs.sgen_mw[h], *no_bat)
        after.append(g.solve())
        stages["response"][h] = g.last
    price = pi * (1.0 + loc.mlf) + component

    bus_feeder = _bus_feeder(inputs)
    remedies, residual = _remedies(
        inputs, g, after_load, after, bats, bus_feeder, order, time_budget_s, stages
    )
    shifted = after_load - base
    hot = np.array([bool(v) for v in before])
    per_feeder_price = _per_feeder(inputs, np.abs(shifted) * hot[:, None])
    remedies = {
        "price": {
            "mw_max": _r(np.abs(shifted.sum(axis=1))[hot].max() if hot.any() else 0.0, 6),
            "mwh": _r(np.abs(shifted[hot]).sum(), 6),
            "per_feeder": per_feeder_price,
        },
        **remedies,
    }
    constraints = _constraints(before, after, residual, inputs, g, bus_feeder)
    feeders = list(inputs.feeder_limit_mw.index)
    fcomp = np.zeros((n_t, len(feeders)))
    fprice = np.repeat(pi, len(feeders), axis=1)
    for j, f in enumerate(feeders):
        on = inputs.load_feeder == f
        if on.any():
            w = inputs.load_mw[:, on]
            total = np.maximum(w.sum(axis=1), 1e-9)
            fcomp[:, j] = (component[:, on] * w).sum(axis=1) / total
            fprice[:, j] = (price[:, on] * w).sum(axis=1) / total
    return Relief(
        inputs.times,
        feeders,
        component,
        price,
        fcomp,
        fprice,
        base,
        after_load,
        constraints,
        remedies,
        g.runs,
        pd.DataFrame(
            {
                f"{k}_{q}": v[:, i]
                for k, v in stages.items()
                for i, q in enumerate(("vmax_pu", "vmin_pu", "loading_max_pct"))
            },
            index=inputs.times,
        ),
    )


def _voltage_component(
    g: _Grid,
    viol: list[dict[str, object]],
    respond_h,
    branch_h: np.ndarray,
    cap: float,  # noqa: ANN001
) -> np.ndarray:
    """(load,) voltage component of one hour [EUR/kWh] (module docstring, step 2)."""
    volt = [v for v in viol if v["kind"] in ("overvoltage", "undervoltage")]
    if not volt:
        return np.zeros_like(branch_h)
    worst = max(volt, key=_excess)
    sign = -1.0 if worst["kind"] == "overvoltage" else 1.0
    same = [v for v in volt if v["kind"] == worst["kind"]]
    sens = []
    for v in same:
        r, x = g.imp.shared(int(str(v["element"]).split(":")[1]), g.load_bus)
        sens.append(r + x * g.tan_phi)
    s = np.array(sens)  # (bus, load) p.u. per MW
    need = np.array([_excess(v) for v in same])
    w = s[same.index(worst)] / max(float(s[same.index(worst)].max()), 1e-12)
    zero = respond_h(branch_h)

    def ok(mu: float) -> bool:
        dp = respond_h(branch_h + sign * mu * w) - zero
        return bool(np.all(-sign * (s @ dp) >= need))

    if not ok(cap):
        return sign * cap * w
    lo, hi = 0.0, cap
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return sign * hi * w


def _remedies(
    inputs: MarketInputs,
    g: _Grid,
    load: np.ndarray,
    after: list[list[dict[str, object]]],
    bats: pd.DataFrame,
    bus_feeder: pd.Series,
    order: tuple[str, ...],
    budget: float,
    stages: dict[str, np.ndarray],
) -> tuple[dict[str, dict[str, object]], list[list[dict[str, object]]]]:
    """Batteries, then curtailment or shedding, hour by hour on what the response left (module step 4)."""
    from gridcore.market.balance import switchable_blocks
    from gridcore.shedding.network import plan_network

    n_t = len(after)
    bat_bus = bats["bus"].to_numpy(dtype=np.int64)
    bat_p = bats["power_mw"].to_numpy(dtype=float)
    energy = 0.5 * bats["energy_mwh"].to_numpy(dtype=float)  # half the energy: the headroom either way
    bat_feeder = bus_feeder.reindex(bat_bus).fillna("").astype(str).to_numpy()
    used = {
        "batteries": np.zeros((n_t, len(bat_bus))),
        "curtailment": np.zeros((n_t, len(inputs.sgen_mw[0]))),
        "shedding": np.zeros((n_t, len(inputs.load_mw[0]))),
    }
    residual: list[list[dict[str, object]]] = []
    blocks = None
    for h in range(n_t):
        viol = after[h]
        bat = np.zeros(len(bat_bus))
        stages["batteries"][h] = stages["remedies"][h] = stages["response"][h]
        for remedy in order[1:]:
            if not viol:
                break
            if remedy == "batteries":
                bat = _battery_setpoints(g, viol, bat_bus, bat_p, energy, bat_feeder, bus_feeder)
                if np.any(bat != 0):
                    energy -= np.abs(bat)
                    g.set(load[h], inputs.sgen_mw[h], bat_bus, bat)
                    viol = g.solve()
                    stages["batteries"][h] = stages["remedies"][h] = g.last
                used["batteries"][h] = bat
            else:
                g.set(load[h], inputs.sgen_mw[h], bat_bus, bat)
                if blocks is None:
                    blocks = switchable_blocks(inputs.grid)
                plan = plan_network(
                    g.net, blocks, sorted({str(v["element"]) for v in viol}), None, g.limit, g.bands, budget
                )
                g.runs += plan.power_flows
                used["curtailment"][h] = plan.curtail
                p_block = blocks.p_mw(g.net.load["p_mw"].to_numpy(dtype=float))
                cut = np.where(plan.shed, p_block, 0.0) + np.where(
                    plan.dim & ~plan.shed, blocks.dimmable_mw(p_block), 0.0
                )
                used["shedding"][h] = np.bincount(blocks.load, weights=cut, minlength=len(load[h]))
                viol = [{k: x for k, x in v.items() if k != "reason"} for v in plan.remaining]
                g.set(load[h] - used["shedding"][h], inputs.sgen_mw[h] - plan.curtail, bat_bus, bat)
                g.solve()
                stages["remedies"][h] = g.last
        residual.append(viol)
    out: dict[str, dict[str, object]] = {}
    names = [r for r in order[1:]] + (["shedding"] if "curtailment" in order else [])
    for r in names:
        x = used[r]
        feeders = (
            bat_feeder
            if r == "batteries"
            else inputs.sgen_feeder
            if r == "curtailment"
            else inputs.load_feeder
        )
        per: dict[str, float] = {}
        for f in sorted(set(feeders) - {""}):
            mwh = float(np.abs(x[:, feeders == f]).sum())
            if mwh > 1e-9:
                per[str(f)] = _r(mwh, 6)
        out[r] = {
            "mw_max": _r(np.abs(x.sum(axis=1)).max() if n_t else 0.0, 6),
            "mwh": _r(np.abs(x).sum(), 6),
            "per_feeder": per,
        }
        if r == "batteries":
            out[r]["charged_mwh"] = _r(np.clip(x, 0, None).sum(), 6)
            out[r]["discharged_mwh"] = _r(np.clip(-x, 0, None).sum(), 6)
    return out, residual


def _battery_setpoints(
    g: _Grid,
    viol: list[dict[str, object]],
    bat_bus: np.ndarray,
    bat_p: np.ndarray,
    energy: np.ndarray,
    bat_feeder: np.ndarray,
    bus_feeder: pd.Series,
) -> np.ndarray:
    """Charge (> 0) or discharge (< 0) per battery for one hour's constraints [MW] (linear sizing)."""
    out = np.zeros(len(bat_bus))
    avail = np.minimum(bat_p, np.maximum(energy, 0.0))
    for v in sorted(viol, key=_excess, reverse=True):
        el = str(v["element"])
        export = v["kind"] == "overvoltage" or (v["kind"] == "overload" and g.exporting(el))
        sign = 1.0 if export else -1.0
        if el.startswith("bus:"):
            bus = int(el.split(":")[1])
            reach = bat_feeder == str(bus_feeder.get(bus, ""))
            r, x = g.imp.shared(bus, bat_bus)
            s = np.where(reach, r, 0.0)
            per = float((s * avail).sum())
            scale = min(1.0, _excess(v) / per) if per > 0 else 0.0
            take = avail * scale * (s > 0)
        else:
            down = set(g.tree.downstream_buses(el))
            reach = np.isin(bat_bus, list(down))
            value = float(v["value"])  # type: ignore[arg-type]
            p = abs(
                float(
                    g.net[f"res_{el.split(':')[0]}"].at[
                        int(el.split(":")[1]), "p_hv_mw" if el.startswith("trafo") else "p_from_mw"
                    ]
                )
            )
            need = p * (1.0 - float(v["limit"]) / value)  # type: ignore[arg-type]
            total = float(avail[reach].sum())
            take = avail * reach * (min(1.0, need / total) if total > 0 else 0.0)
        take = np.minimum(take, avail)
        out += sign * take
        avail = avail - take
    return out


def _constraints(
    before: list[list[dict[str, object]]],
    after: list[list[dict[str, object]]],
    residual: list[list[dict[str, object]]],
    inputs: MarketInputs,
    g: _Grid,
    bus_feeder: pd.Series,
) -> list[dict[str, object]]:
    """Per element: hours, worst, excess before and after the response, residual after the remedies."""
    out = []
    elements = sorted({(str(v["element"]), str(v["kind"])) for viol in before for v in viol})
    for el, kind in elements:
        hours = [h for h, viol in enumerate(before) if any(v["element"] == el for v in viol)]
        pick = lambda vs, el=el, kind=kind: [v for v in vs if v["element"] == el and v["kind"] == kind]  # noqa: E731
        b = [v for h in hours for v in pick(before[h])]
        a = [v for h in range(len(after)) for v in pick(after[h])]
        rest = [v for h in range(len(residual)) for v in pick(residual[h])]
        ex_b = sum(_excess(v) for v in b)
        ex_a = sum(_excess(v) for v in a)
        worst = max if kind != "undervoltage" else min
        table, idx = el.split(":")
        bus = int(idx) if table == "bus" else None
        if bus is None:
            down = g.tree.downstream_buses(el)
            names = {str(bus_feeder.get(x, "")) for x in down} - {""}
            feeder = names.pop() if len(names) == 1 else ("several" if names else "")
        else:
            feeder = str(bus_feeder.get(bus, ""))
        unit = "p.u." if table == "bus" else "%"
        out.append(
            {
                "element": el,
                "kind": kind,
                "direction": "export"
                if kind == "overvoltage" or (kind == "overload" and _gen_side(inputs, g, el, hours))
                else "import",
                "feeder": feeder,
                "unit": unit,
                "limit": b[0]["limit"],
                "hours": len(hours),
                "hour_list": hours,
                "worst_before": _r(worst(float(v["value"]) for v in b), 4),  # type: ignore[arg-type]
                "worst_after_response": _r(worst(float(v["value"]) for v in a), 4) if a else None,  # type: ignore[arg-type]
                "excess_before": _r(ex_b, 6),
                "excess_after_response": _r(ex_a, 6),
                "clears_by_response_pct": _r(100.0 * (1.0 - ex_a / ex_b), 2) if ex_b > 0 else None,
                "hours_after_response": len({h for h in range(len(after)) if pick(after[h])}),
                "residual_after_remedies": {
                    "hours": len(rest),
                    "excess": _r(sum(_excess(v) for v in rest), 6),
                }
                if rest
                else None,
            }
        )
    return out


def _gen_side(inputs: MarketInputs, g: _Grid, element: str, hours: list[int]) -> bool:
    """Whether an overloaded branch's area feeds back in the first of its hours (generation above load)."""
    loads = g.tree.loads(element)
    sgens = g.tree.sgens(element)
    h = hours[0]
    lpos = g.net.load.index.get_indexer(loads)
    spos = g.net.sgen.index.get_indexer(sgens)
    return bool(inputs.sgen_mw[h, spos].sum() > inputs.load_mw[h, lpos].sum())
