"""MATPOWER tables to a pandapower network, keeping MATPOWER's model and the case file's ids.

The checked tables are converted with pandapower's ``from_ppc`` (the converter behind
``pandapower.converter.from_mpc``), then set to MATPOWER's model where ``from_ppc`` departs from it:
transformers get MATPOWER's branch model (tap at the from bus, also when that is the low-voltage side;
charging as bus shunts; see :func:`_matpower_transformers`), out-of-service generators are dropped
(``from_ppc`` may make one the slack), and the pi model is used (``trafo_model="pi"`` in the net's
``user_pf_options``). The pandapower bus index is the MATPOWER bus number, and branches keep their row in the
file in ``case_branch``. A bus without a base voltage is given 1 kV internally, which leaves every per-unit
result and every loading unchanged; its ``case_base_kv`` is NaN.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from gridcore.network.cases.ids import CASE_BASE_KV, CASE_BRANCH, CASE_BUS_ID

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


def _to_pandapower(
    bus: np.ndarray, gen: np.ndarray, branch: np.ndarray, base_mva: float, bus_names: list | None
) -> pandapowerNet:
    """Convert checked MATPOWER tables with pandapower's ``from_ppc``, keeping the file's ids."""
    import pandapower as pp
    from pandapower.converter.pypower import from_ppc

    bus = bus[:, :13].copy()
    base_kv = bus[:, 9].copy()
    unknown_kv = ~(base_kv > 0)
    bus[unknown_kv, 9] = 1.0
    branch = branch.copy()
    branch[branch[:, 8] == 0, 8] = 1.0  # MATPOWER: ratio 0 means no transformer (ratio 1)
    gen = _in_service_generators(gen)
    ppc: dict[str, object] = {"version": "2", "baseMVA": base_mva, "bus": bus, "gen": gen, "branch": branch}
    if bus_names and len(bus_names) == len(bus):
        ppc["bus_name"] = np.array([str(n[0]) for n in bus_names], dtype=object)
    with warnings.catch_warnings():
        # pandapower 3.5's from_ppc assigns an empty index when a case has no transformer (a FutureWarning)
        warnings.simplefilter("ignore", FutureWarning)
        net = from_ppc(ppc, f_hz=50, check_costs=False)
    net.bus[CASE_BUS_ID] = bus[:, 0].astype(np.int64)
    net.bus[CASE_BASE_KV] = np.where(unknown_kv, np.nan, base_kv)
    lookup = net._from_ppc_lookups["branch"]
    for element in ("line", "trafo", "impedance"):
        rows = lookup.index[lookup["element_type"] == element]
        if len(rows):
            net[element].loc[lookup.loc[rows, "element"].astype(np.int64).to_numpy(), CASE_BRANCH] = rows + 1
            net[element][CASE_BRANCH] = net[element][CASE_BRANCH].astype(np.int64)
    if len(net.trafo):
        net.trafo["case_from_bus"] = branch[net.trafo[CASE_BRANCH].to_numpy() - 1, 0].astype(np.int64)
        _matpower_transformers(net, bus, branch, base_mva)
    pp.set_user_pf_options(net, trafo_model="pi")
    return net


def _matpower_transformers(net: pandapowerNet, bus: np.ndarray, branch: np.ndarray, base_mva: float) -> None:
    """Set every transformer to MATPOWER's branch model exactly, replacing ``from_ppc``'s parameters.

    MATPOWER's transformer is an ideal transformer of ratio ``t`` and shift ``theta`` at the from bus, then
    the series impedance ``z`` (p.u. on the system base), with half the charging ``b`` at each end
    (``Yff = (y + jb/2) / t**2``, ``Yft = -y / conj(tau)``, ``Ytf = -y / tau``, ``Ytt = y + jb/2``). A
    pandapower transformer has its tap at the high-voltage side. Written from its high-voltage bus, the
    row maps directly: tap ``t``, shift ``theta``, impedance ``z``. Written from its low-voltage bus (as in
    MATPOWER's case300 or case24_ieee_rts, which ``from_ppc`` gets wrong), the same two-port is a tap of
    ``1/t`` and a shift of ``-theta`` at the high-voltage (to) bus with the impedance ``z * t**2``. The
    charging becomes two bus shunts, ``jb/2 / t**2`` at the from bus and ``jb/2`` at the to bus
    (``from_ppc`` would model it as an always inductive magnetizing current), tagged with the branch
    (``case_branch``) and end (``case_end``) they belong to.
    """
    import pandapower as pp

    kv = dict(zip(bus[:, 0].astype(np.int64), bus[:, 9], strict=True))
    trafo = net.trafo
    rows = branch[trafo[CASE_BRANCH].to_numpy() - 1]
    f, t = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
    r, x, b, ratio, shift = rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 8], rows[:, 9]
    kv_f, kv_t = np.array([kv[i] for i in f]), np.array([kv[i] for i in t])
    swap = kv_t > kv_f
    scale = np.where(swap, ratio**2, 1.0)
    tap = np.where(swap, 1.0 / ratio, ratio)
    trafo["hv_bus"] = np.where(swap, t, f)
    trafo["lv_bus"] = np.where(swap, f, t)
    trafo["vn_hv_kv"] = np.where(swap, kv_t, kv_f)
    trafo["vn_lv_kv"] = np.where(swap, kv_f, kv_t)
    rating = np.where(rows[:, 5] > 0, rows[:, 5], 99999.0)  # rateA [MVA]; 0 means unlimited
    trafo["sn_mva"] = rating
    per_rating = scale * rating / base_mva * 100.0  # p.u. on the system base -> % on the rating
    trafo["vkr_percent"] = r * per_rating
    trafo["vk_percent"] = np.sign(x) * np.hypot(r, x) * per_rating
    trafo["pfe_kw"] = 0.0
    trafo["i0_percent"] = 0.0
    trafo["shift_degree"] = np.where(swap, -shift, shift)
    trafo["tap_side"] = "hv"
    trafo["tap_neutral"] = 0
    trafo["tap_min"] = -1
    trafo["tap_max"] = 1
    trafo["tap_pos"] = np.sign(tap - 1.0)
    trafo["tap_step_percent"] = np.abs(tap - 1.0) * 100.0
    trafo["tap_step_degree"] = 0.0
    trafo["tap_changer_type"] = np.where(tap != 1.0, "Ratio", None)
    trafo["parallel"] = 1
    charged = (b != 0) & trafo["in_service"].to_numpy()
    if charged.any():
        half = b[charged] / 2.0
        index = pp.create_shunts(
            net,
            np.concatenate([f[charged], t[charged]]),
            q_mvar=-np.concatenate([half / ratio[charged] ** 2, half]) * base_mva,
            p_mw=0.0,
            name="transformer charging",
        )
        # the branch it belongs to and its end, so that results report the flow as MATPOWER does
        net.shunt.loc[index, CASE_BRANCH] = np.tile(trafo[CASE_BRANCH].to_numpy()[charged], 2)
        net.shunt.loc[index, "case_end"] = np.repeat(["from", "to"], charged.sum())


def _in_service_generators(gen: np.ndarray) -> np.ndarray:
    """The in-service generators, each bus's voltage setpoint taken from its last one, as MATPOWER does.

    An out-of-service generator has no part in MATPOWER's power flow, but ``from_ppc`` would make the first
    generator of the reference bus the slack even when it is out of service (MATPOWER's case2746wop), and
    take a bus's setpoint from its first generator.
    """
    gen = gen[gen[:, 7] > 0].copy()
    last_vg = {bus: vg for bus, vg in zip(gen[:, 0], gen[:, 5], strict=True)}
    gen[:, 5] = [last_vg[b] for b in gen[:, 0]]
    return gen
