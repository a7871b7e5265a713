"""A pandapower grid rewritten for lightsim2grid's importer, and the maps back to the original buses.

Buses joined by closed bus-bus switches are fused, a branch end behind an open switch hangs on an auxiliary
bus (as pandapower does), buses without a path to the slack are switched off. Elements lightsim2grid does
not model raise ``NotImplementedError`` naming them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gridcore.network.contingency.engine import _injection_mw

if TYPE_CHECKING:
    from lightsim2grid.lightsim2grid_cpp import LSGrid
    from pandapower.auxiliary import pandapowerNet


#: pandapower tables the fast engine cannot model; their in-service rows raise.
_UNSUPPORTED = ("trafo3w", "impedance", "ward", "xward", "dcline", "motor", "asymmetric_load", "svc", "tcsc")


@dataclass
class _LsModel:
    """A pandapower net rewritten for lightsim2grid's importer, and the maps back to the original.

    Model buses are the fused groups of in-service original buses, then one auxiliary bus per branch end
    behind an open switch. Model branches are the original lines then transformers, in table order.
    """

    grid: LSGrid
    bus_map: np.ndarray  # original bus position -> model bus, -1 if out of service
    vn_kv: np.ndarray  # per model bus [kV]
    supplied: np.ndarray  # per model bus: connected to the slack in the base case
    slack: int  # model bus of the slack
    br_from: np.ndarray  # per branch: model bus of side 1 (line from / trafo hv)
    br_to: np.ndarray
    br_on: np.ndarray  # per branch: in service in the model
    load_mw: np.ndarray  # per model bus, supplied buses only [MW]
    gen_mw: np.ndarray


def _prepare(net: pandapowerNet) -> _LsModel:
    """Rewrite ``net`` into a lightsim2grid grid (see :class:`_LsModel`)."""
    from lightsim2grid.network import init_from_pandapower
    from pandapower.auxiliary import pandapowerNet

    for table in _UNSUPPORTED:
        if table in net and len(net[table]) and net[table]["in_service"].astype(bool).any():
            raise NotImplementedError(
                f"engine='lightsim2grid': net.{table} has in-service rows, which lightsim2grid does not "
                "model; use engine='pandapower'"
            )
    for table in ("load", "sgen"):
        const = [c for c in net[table].columns if c.startswith("const_") and net[table][c].abs().sum() > 0]
        if const:
            raise NotImplementedError(
                f"engine='lightsim2grid': net.{table}.{const[0]} is non-zero (voltage-dependent load), "
                "which lightsim2grid does not model; use engine='pandapower'"
            )
    if "slack" in net.gen.columns and (net.gen["slack"].astype(bool) & net.gen["in_service"]).any():
        raise NotImplementedError(
            "engine='lightsim2grid': gens with slack=True are not supported; use engine='pandapower'"
        )
    ext = net.ext_grid[net.ext_grid["in_service"].astype(bool)]
    if len(ext) != 1:
        raise NotImplementedError(
            f"engine='lightsim2grid': needs exactly one in-service ext_grid, found {len(ext)} "
            "(lightsim2grid distributes several slacks); use engine='pandapower'"
        )

    # 1. fuse buses joined by closed bus-bus switches (only between in-service buses)
    pos = net.bus.index
    nb = len(pos)
    bus_on = net.bus["in_service"].to_numpy(dtype=bool)
    sw = net.switch
    bb = sw[(sw["et"] == "b") & sw["closed"].astype(bool)]
    if "z_ohm" in bb.columns and (bb["z_ohm"] > 0).any():
        sid = bb.index[(bb["z_ohm"] > 0).to_numpy()][0]
        raise NotImplementedError(
            f"engine='lightsim2grid': closed bus-bus switch {sid} has z_ohm > 0 (an impedance); "
            "use engine='pandapower'"
        )
    i, j = pos.get_indexer(bb["bus"]), pos.get_indexer(bb["element"])
    keep = bus_on[i] & bus_on[j]
    adj = coo_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(nb, nb))
    _, labels = connected_components(adj, directed=False)
    bus_map = np.full(nb, -1, dtype=np.int64)
    groups, bus_map[bus_on] = np.unique(labels[bus_on], return_inverse=True)
    n_fused = len(groups)
    vn_orig = net.bus["vn_kv"].to_numpy(dtype=float)
    vn = np.empty(n_fused)
    vn[bus_map[bus_on]] = vn_orig[bus_on]

    # 2. branch ends: an end behind an open switch or on an out-of-service bus hangs on an auxiliary bus
    opened = sw[~sw["closed"].astype(bool)]
    aux_vn: list[float] = []
    ends: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for table, et, cols in (("line", "l", ("from_bus", "to_bus")), ("trafo", "t", ("hv_bus", "lv_bus"))):
        t = net[table]
        on = t["in_service"].to_numpy(dtype=bool, copy=True)
        sides = []
        sw_here = opened[opened["et"] == et]
        open_pairs = set(zip(sw_here["element"].astype(int), sw_here["bus"].astype(int), strict=True))
        for col in cols:
            orig = pos.get_indexer(t[col])
            mapped = bus_map[orig]
            is_open = np.array(
                [(int(e), int(b)) in open_pairs for e, b in zip(t.index, t[col], strict=True)], dtype=bool
            ) | (mapped < 0)
            sides.append((mapped, is_open, vn_orig[orig]))
        (m1, o1, v1), (m2, o2, v2) = sides
        on &= ~(o1 & o2)
        for mapped, is_open, vend in ((m1, o1 & on, v1), (m2, o2 & on, v2)):
            k = np.flatnonzero(is_open)
            mapped[k] = n_fused + len(aux_vn) + np.arange(len(k))
            aux_vn.extend(vend[k])
        m1[m1 < 0], m2[m2 < 0] = 0, 0
        ends[table] = (m1, m2, on)
    vn = np.concatenate([vn, np.asarray(aux_vn, dtype=float)])
    n_bus = len(vn)
    br_from = np.concatenate([ends["line"][0], ends["trafo"][0]])
    br_to = np.concatenate([ends["line"][1], ends["trafo"][1]])
    br_on = np.concatenate([ends["line"][2], ends["trafo"][2]])

    # 3. buses with no path to the slack are switched off (pandapower leaves them unsupplied)
    slack = int(bus_map[pos.get_indexer(ext["bus"])[0]])
    if slack < 0:
        raise RuntimeError(f"ext_grid {ext.index[0]} sits on an out-of-service bus")
    adj = coo_matrix((np.ones(int(br_on.sum())), (br_from[br_on], br_to[br_on])), shape=(n_bus, n_bus))
    _, comp = connected_components(adj, directed=False)
    supplied = comp == comp[slack]
    br_on &= supplied[br_from] & supplied[br_to]

    # 4. the rewritten net
    # only the tables the importer reads (pp.create_empty_network costs 0.7 s)
    pnet = pandapowerNet({"sn_mva": float(net.sn_mva), "f_hz": float(net.f_hz), "dcline": pd.DataFrame()})
    pnet.bus = pd.DataFrame(
        {"name": None, "vn_kv": vn, "type": "b", "zone": None, "in_service": supplied},
        index=pd.RangeIndex(n_bus),
    )
    line = net.line.copy()
    line["from_bus"], line["to_bus"] = ends["line"][0], ends["line"][1]
    line["in_service"] = br_on[: len(line)]
    par = line["parallel"].to_numpy(dtype=float)
    for c in ("r_ohm_per_km", "x_ohm_per_km"):
        line[c] = line[c].to_numpy(dtype=float) / par
    for c in ("c_nf_per_km", "g_us_per_km"):
        line[c] = line[c].to_numpy(dtype=float) * par
    line["parallel"] = 1
    pnet.line = line.reset_index(drop=True)
    pnet.trafo = _trafo_for_lightsim(net.trafo, ends["trafo"], br_on[len(line) :])

    def elements(table: str, cols: Sequence[str]) -> pd.DataFrame:
        t = net[table]
        out = t[[c for c in cols if c in t.columns]].copy().reset_index(drop=True)
        mapped = bus_map[pos.get_indexer(t["bus"])]
        out["bus"] = np.where(mapped >= 0, mapped, 0)
        out["in_service"] = t["in_service"].to_numpy(dtype=bool) & (mapped >= 0) & supplied[out["bus"]]
        return out

    for table in ("load", "sgen"):
        inj = elements(table, ["name", "p_mw", "q_mvar", "scaling"])
        for c in ("p_mw", "q_mvar", "scaling"):
            inj[c] = inj[c].astype(float) if c in inj.columns else 1.0
        pnet[table] = inj
    gen = elements("gen", ["name", "vm_pu", "min_q_mvar", "max_q_mvar"])
    gen["p_mw"] = _injection_mw(net, "gen")["p_mw"].to_numpy()
    for c in ("vm_pu", "min_q_mvar", "max_q_mvar"):
        gen[c] = gen[c].astype(float)
    # a generator on the slack bus becomes lightsim2grid's slack: it holds the ext_grid's voltage
    gen.loc[gen["bus"] == slack, "vm_pu"] = float(ext["vm_pu"].iloc[0])
    gen["slack"], gen["slack_weight"] = False, 1.0
    pnet.gen = gen
    storage = elements("storage", ["name", "p_mw", "q_mvar"])
    if len(storage):
        scaling = net.storage["scaling"].to_numpy(dtype=float)
        storage["p_mw"] *= scaling
        storage["q_mvar"] *= scaling
    pnet.storage = storage
    shunt = elements("shunt", ["name", "p_mw", "q_mvar"])
    if len(shunt):
        s = net.shunt
        vn_sh = s["vn_kv"].to_numpy(dtype=float)
        vn_bus = vn[shunt["bus"].to_numpy()]
        step = s["step"].to_numpy(dtype=float) if "step" in s.columns else 1.0
        ratio = (vn_bus / np.where(np.isnan(vn_sh), vn_bus, vn_sh)) ** 2 * step
        shunt["p_mw"] *= ratio
        shunt["q_mvar"] *= ratio
    pnet.shunt = shunt
    ext_grid = elements("ext_grid", ["name", "vm_pu", "va_degree", "slack_weight"])
    pnet.ext_grid = ext_grid[ext_grid["in_service"]].reset_index(drop=True)

    with warnings.catch_warnings():
        # the importer warns about defaults it fills in (slack from ext_grid, leakage ratio 0.5)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"lightsim2grid\.")
        # measured against pandapower 3.5: the "pandapower_v2" transformer formulas agree to 1e-11 p.u.,
        # "pandapower_v3" is off by 2e-5 p.u. once a transformer has iron losses (pfe_kw, i0_percent)
        grid = init_from_pandapower(pnet, pp_orig_file="pandapower_v2")

    load_mw = np.zeros(n_bus)
    gen_mw = np.zeros(n_bus)
    for table, acc in (("load", load_mw), ("sgen", gen_mw), ("gen", gen_mw)):
        inj = _injection_mw(net, table)
        mapped = bus_map[pos.get_indexer(inj["bus"])]
        ok = (mapped >= 0) & supplied[np.maximum(mapped, 0)]
        np.add.at(acc, mapped[ok], inj["p_mw"].to_numpy()[ok])
    return _LsModel(grid, bus_map, vn, supplied, slack, br_from, br_to, br_on, load_mw, gen_mw)


def _trafo_for_lightsim(
    trafo: pd.DataFrame, ends: tuple[np.ndarray, np.ndarray, np.ndarray], on: np.ndarray
) -> pd.DataFrame:
    """Transformers with model buses, taps without NaN and ``tap_neutral`` 0, ``parallel`` 1."""
    t = trafo.copy().reset_index(drop=True)
    t["hv_bus"], t["lv_bus"], t["in_service"] = ends[0], ends[1], on
    if len(t) == 0:
        return t
    if "tap_dependency_table" in t.columns and t["tap_dependency_table"].fillna(False).astype(bool).any():
        raise NotImplementedError(
            "engine='lightsim2grid': trafos with tap_dependency_table are not supported; "
            "use engine='pandapower'"
        )
    if "tap2_pos" in t.columns and t["tap2_pos"].notna().any():
        raise NotImplementedError(
            "engine='lightsim2grid': trafos with a second tap changer (tap2_pos) are not supported; "
            "use engine='pandapower'"
        )
    for c in ("tap_pos", "tap_neutral", "tap_step_percent", "tap_step_degree", "shift_degree"):
        t[c] = t[c].astype(float).fillna(0.0) if c in t.columns else 0.0
    t["tap_pos"] = t["tap_pos"] - t["tap_neutral"]
    t["tap_neutral"] = 0.0
    if "tap_changer_type" in t.columns:
        kind = t["tap_changer_type"]
        if (kind == "Ideal").any():
            raise NotImplementedError(
                "engine='lightsim2grid': ideal phase shifters (tap_changer_type 'Ideal') are not "
                "supported; use engine='pandapower'"
            )
        # pandapower 3 applies a tap only for the 'Ratio' and 'Symmetrical' changer types
        t.loc[~kind.isin(["Ratio", "Symmetrical"]), "tap_pos"] = 0.0
    t["tap_side"] = t["tap_side"].where(t["tap_side"].isin(["hv", "lv"]), "hv")
    par = t["parallel"].to_numpy(dtype=float)
    t["sn_mva"] = t["sn_mva"].to_numpy(dtype=float) * par
    t["pfe_kw"] = t["pfe_kw"].to_numpy(dtype=float) * par
    t["parallel"] = 1
    return t
