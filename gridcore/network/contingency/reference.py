"""The reference engine: pandapower's Newton-Raphson, one outage at a time on a copy of the grid."""

from __future__ import annotations

import copy
import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from gridcore.network.contingency.engine import MAX_ITER, Progress, _Batch, _injection_mw
from gridcore.network.contingency.outages import _OutageSelection

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


def _per_bus_mw(net: pandapowerNet, tables: Sequence[str]) -> np.ndarray:
    """In-service active power of ``tables`` summed per bus [MW], in ``net.bus`` order."""
    pos = net.bus.index
    out = np.zeros(len(pos))
    for table in tables:
        inj = _injection_mw(net, table)
        np.add.at(out, pos.get_indexer(inj["bus"]), inj["p_mw"].to_numpy())
    return out


def _numba_available() -> bool:
    return importlib.util.find_spec("numba") is not None


def _runpp(net: pandapowerNet, start: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Run pandapower's Newton-Raphson, never delegated to lightsim2grid.

    ``start`` is (vm [p.u.], va [deg]) per bus to start from; pandapower's default (a DC power flow)
    otherwise.
    """
    import pandapower as pp

    kwargs = {} if start is None else {"init_vm_pu": start[0], "init_va_degree": start[1]}
    pp.runpp(net, lightsim2grid=False, numba=_numba_available(), max_iteration=MAX_ITER, **kwargs)


def _pp_state(net: pandapowerNet) -> tuple[np.ndarray, np.ndarray]:
    """(vm per bus [p.u.], loading per branch [%]) of the last pandapower power flow."""
    vm = net.res_bus["vm_pu"].reindex(net.bus.index).to_numpy(dtype=float)
    loading = np.concatenate(
        [
            net.res_line["loading_percent"].reindex(net.line.index).to_numpy(dtype=float),
            net.res_trafo["loading_percent"].reindex(net.trafo.index).to_numpy(dtype=float),
        ]
    )
    return vm, np.where(np.isnan(loading), 0.0, loading)


def _run_pandapower(
    net: pandapowerNet, select: _OutageSelection, progress: Progress | None
) -> tuple[list[tuple[str, int]], list[_Batch], np.ndarray, np.ndarray]:
    """The reference loop: one ``runpp`` per outage on a copy of ``net``.

    Islanded buses: those supplied in the base case that the outage leaves without voltage, or, when the
    power flow diverges, without a path to the slack (``pandapower.topology.unsupplied_buses``).
    """
    import pandapower as pp
    from pandapower.topology import unsupplied_buses

    work = copy.deepcopy(net)
    try:
        _runpp(work)
    except pp.LoadflowNotConverged as err:
        raise RuntimeError("the base case does not converge (pandapower)") from err
    base_vm, base_loading = _pp_state(work)
    outages = select(base_vm)
    # every outage starts from the base case, as the fast engine does (a third fewer iterations)
    start = (
        np.nan_to_num(base_vm, nan=1.0),
        np.nan_to_num(work.res_bus["va_degree"].reindex(work.bus.index).to_numpy(dtype=float), nan=0.0),
    )
    supplied = ~np.isnan(base_vm)
    load_mw = _per_bus_mw(work, ["load"])
    gen_mw = _per_bus_mw(work, ["sgen", "gen"])
    bus_ids = work.bus.index.to_numpy()
    n, nb, nbr = len(outages), len(bus_ids), len(base_loading)
    vm = np.full((n, nb), np.nan)
    loading = np.full((n, nbr), np.nan)
    converged = np.zeros(n, bool)
    islanded: list[tuple[int, ...]] = []
    lost = np.zeros(n)
    gen_lost = np.zeros(n)
    for k, (kind, idx) in enumerate(outages):
        work[kind].at[idx, "in_service"] = False
        try:
            _runpp(work, start)
            converged[k] = True
            vm[k], loading[k] = _pp_state(work)
            cut = supplied & np.isnan(vm[k])
        except pp.LoadflowNotConverged:
            cut = supplied & work.bus.index.isin(list(unsupplied_buses(work)))
        finally:
            work[kind].at[idx, "in_service"] = True
        islanded.append(tuple(int(b) for b in bus_ids[cut]))
        lost[k] = load_mw[cut].sum()
        gen_lost[k] = gen_mw[cut].sum()
        if progress is not None:
            progress(k + 1, n)
    batch = _Batch(np.arange(n), converged, vm, loading, islanded, lost, gen_lost)
    return outages, [batch], base_vm, base_loading
