"""The fast engine: lightsim2grid's contingency analysis in batches, voltages and loadings as pandapower's.

One batch of ``ContingencyAnalysisCPP`` per chunk of outages on the grid of
:mod:`~gridcore.network.contingency.lightsim_model`; islanding comes from the graph
(:mod:`~gridcore.network.contingency.islanding`), and an outage whose island outweighs the part still fed
is solved alone.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import coo_matrix

from gridcore.network.contingency.engine import MAX_ITER, TOL_PU, Progress, _Batch
from gridcore.network.contingency.islanding import _Islands, _islands, _original_buses
from gridcore.network.contingency.lightsim_model import _LsModel, _prepare
from gridcore.network.contingency.outages import _OutageSelection

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


#: Outages x buses per lightsim2grid batch: keeps a batch's voltage matrix near 64 MB.
_CHUNK_CELLS = 1 << 22


def _branch_admittance(m: _LsModel) -> tuple[np.ndarray, ...]:
    """Per branch: (y11, y12, y21, y22) [p.u.] from lightsim2grid, zero when out of service."""
    rows = [*m.grid.get_lines(), *m.grid.get_trafos()]
    y = np.array([(b.yac_11, b.yac_12, b.yac_21, b.yac_22) for b in rows], dtype=complex).reshape(-1, 4)
    y[~m.br_on] = 0.0
    return y[:, 0], y[:, 1], y[:, 2], y[:, 3]


def _loading_factors(net: pandapowerNet, m: _LsModel) -> tuple[np.ndarray, np.ndarray]:
    """Per branch: factors turning |I| [p.u.] at side 1 and side 2 into loading [%] (pandapower's rule)."""
    sn = float(net.sn_mva)
    i_base_1 = sn / (math.sqrt(3) * m.vn_kv[m.br_from])  # [kA] per p.u. current
    i_base_2 = sn / (math.sqrt(3) * m.vn_kv[m.br_to])
    line, trafo = net.line, net.trafo
    i_max = (line["max_i_ka"] * line["df"] * line["parallel"]).to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        f_line = 100.0 / i_max
    s_rated = (trafo["sn_mva"] * trafo["df"] * trafo["parallel"]).to_numpy(dtype=float)
    f1 = np.concatenate([f_line, 100.0 * math.sqrt(3) * trafo["vn_hv_kv"].to_numpy(dtype=float) / s_rated])
    f2 = np.concatenate([f_line, 100.0 * math.sqrt(3) * trafo["vn_lv_kv"].to_numpy(dtype=float) / s_rated])
    return f1 * i_base_1, f2 * i_base_2


class _Flows:
    """Turns complex bus voltages of the model into reported voltages and loadings."""

    def __init__(self, net: pandapowerNet, m: _LsModel) -> None:
        y11, y12, y21, y22 = _branch_admittance(m)
        f1, f2 = _loading_factors(net, m)
        n, nbr = len(m.vn_kv), len(m.br_on)
        cols = np.concatenate([np.arange(nbr), np.arange(nbr)])
        buses = np.concatenate([m.br_from, m.br_to])
        # branch currents I1 = V @ y_side1, I2 = V @ y_side2 (buses x branches, two entries per column)
        self.y_side1 = coo_matrix((np.concatenate([y11, y12]), (buses, cols)), shape=(n, nbr)).tocsc()
        self.y_side2 = coo_matrix((np.concatenate([y21, y22]), (buses, cols)), shape=(n, nbr)).tocsc()
        self.f1, self.f2 = f1, f2
        self.bus_col = np.where(m.bus_map >= 0, m.bus_map, 0)
        # switched-off buses keep their start value in lightsim2grid's voltage vector
        self.bus_on = (m.bus_map >= 0) & m.supplied[self.bus_col]

    def vm(self, v: np.ndarray) -> np.ndarray:
        """|V| per original bus [p.u.], NaN where de-energized."""
        vm = np.abs(v[:, self.bus_col])
        vm[:, ~self.bus_on] = np.nan
        vm[vm == 0.0] = np.nan
        return vm

    def loading(self, v: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Loading per branch [%]; ``out[k]`` is the branch out in row k (-1 for none)."""
        a1 = np.abs((self.y_side1.T @ v.T).T) * self.f1
        a2 = np.abs((self.y_side2.T @ v.T).T) * self.f2
        with np.errstate(invalid="ignore"):
            loading = np.fmax(a1, a2)
        rows = np.flatnonzero(out >= 0)
        loading[rows, out[rows]] = 0.0
        loading[np.isnan(loading)] = 0.0
        return loading


def _run_lightsim2grid(
    net: pandapowerNet, select: _OutageSelection, progress: Progress | None, n_threads: int
) -> tuple[list[tuple[str, int]], list[_Batch], np.ndarray, np.ndarray]:
    """The fast engine: lightsim2grid batches, islanding from the graph, loading as pandapower."""
    from lightsim2grid.lightsim2grid_cpp import ContingencyAnalysisCPP

    m = _prepare(net)
    n_bus = len(m.vn_kv)
    v_flat = np.ones(n_bus, dtype=complex)
    # a DC power flow first: phase-shifting transformers (e.g. 150 deg Yd5) defeat a flat start
    v_dc = m.grid.dc_pf(v_flat, MAX_ITER, TOL_PU)
    v0 = m.grid.ac_pf(v_dc if v_dc.size else v_flat, MAX_ITER * 2, TOL_PU)
    if v0.size == 0:
        raise RuntimeError("the base case does not converge (lightsim2grid)")
    flows = _Flows(net, m)
    base_vm = flows.vm(v0[None, :])[0]
    base_loading = flows.loading(v0[None, :], np.array([-1]))[0]
    outages = select(base_vm)

    nl = len(net.line)
    branch = np.array(
        [net.line.index.get_loc(i) if t == "line" else nl + net.trafo.index.get_loc(i) for t, i in outages],
        dtype=np.int64,
    )
    islands = _islands(m)
    orig_of_model = _original_buses(m, net)

    n = len(outages)
    width = max(n_bus, len(m.br_on), 1)
    n_chunks = max(math.ceil(n * width / _CHUNK_CELLS), 10 if progress is not None else 1)
    chunks = [c for c in np.array_split(np.arange(n), min(n_chunks, max(n, 1))) if len(c)]
    batches = []
    done = 0
    for rows in chunks:
        v = np.repeat(v0[None, :], len(rows), axis=0)
        converged = np.ones(len(rows), bool)
        # a branch already open at both ends (listed explicitly) leaves the base case as it is
        live = np.flatnonzero(m.br_on[branch[rows]])
        if len(live):
            sa = ContingencyAnalysisCPP(m.grid, False)
            sa.handle_disconnected_grid = True
            sa.nb_thread = n_threads
            sa.add_multiple_n1([int(b) for b in branch[rows][live]])
            sa.compute(v0, MAX_ITER, TOL_PU)
            row_of = {int(d[0]): r for r, d in enumerate(sa.my_defaults())}
            take = np.array([row_of[int(b)] for b in branch[rows][live]], dtype=np.int64)
            v[live] = sa.get_voltages()[take]
            converged[live] = np.asarray(sa.converged_mask(), dtype=bool)[take]
            sa.close()
        for k in np.flatnonzero(~converged & (islands.start[branch[rows]] >= 0)):
            solved = _solve_alone(m, int(branch[rows][k]), v0)
            if solved is not None:
                solved[islands.buses(int(branch[rows][k]))] = 0.0
                v[k], converged[k] = solved, True
        batches.append(_evaluate_rows(rows, branch[rows], v, converged, flows, islands, m, orig_of_model))
        done += len(rows)
        if progress is not None:
            progress(done, n)
    return outages, batches, base_vm, base_loading


def _solve_alone(m: _LsModel, branch: int, v0: np.ndarray) -> np.ndarray | None:
    """One outage whose island outweighs the fed part: solve the slack's component on its own."""
    grid = m.grid.copy()
    nl = len(grid.get_lines())
    if branch < nl:
        grid.deactivate_powerline(branch)
    else:
        grid.deactivate_trafo(branch - nl)
    grid.consider_only_main_component(redistribute_slack=False)
    v = grid.ac_pf(v0.copy(), MAX_ITER, TOL_PU)
    return v if v.size else None


def _evaluate_rows(
    rows: np.ndarray,
    branch: np.ndarray,
    v: np.ndarray,
    converged: np.ndarray,
    flows: _Flows,
    islands: _Islands,
    m: _LsModel,
    orig_of_model: list[np.ndarray],
) -> _Batch:
    """Reported voltages, loadings and islanding of a chunk of outages."""
    vm = flows.vm(v)
    loading = flows.loading(v, branch)
    vm[~converged] = np.nan
    loading[~converged] = np.nan
    islanded: list[tuple[int, ...]] = []
    lost = np.zeros(len(rows))
    gen_lost = np.zeros(len(rows))
    for k, b in enumerate(branch):
        cut = islands.buses(int(b))
        if len(cut):
            lost[k] = m.load_mw[cut].sum()
            gen_lost[k] = m.gen_mw[cut].sum()
            islanded.append(tuple(sorted(int(x) for c in cut for x in orig_of_model[c])))
        else:
            islanded.append(())
    return _Batch(rows, converged, vm, loading, islanded, lost, gen_lost)
