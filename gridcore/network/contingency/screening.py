"""Screening: post-contingency states against the thermal limit and the voltage bands.

Counts and tables of the violations per outage (overloads, under- and overvoltages), which of them the
outage caused, and the outage table of :class:`~gridcore.network.contingency.result.ContingencyResult`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.contingency.engine import _Batch
from gridcore.network.contingency.outages import _names
from gridcore.network.contingency.ranking import _rank
from gridcore.network.contingency.result import _OUTAGE_COLUMNS, ContingencyResult
from gridcore.network.limits import band_per_bus, bands_by_kv

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


#: Voltage band per voltage level: {lowest nominal voltage [kV]: (vm_min, vm_max) [p.u.]}; a bus takes
#: the band of the highest level at or below its ``vn_kv``. The bands of :mod:`gridcore.network.limits`
#: (LV/MV 0.95-1.05, HV/EHV from 60 kV 0.90-1.10), in this form.
DEFAULT_VM_BAND: dict[float, tuple[float, float]] = bands_by_kv()


def _branch_index(net: pandapowerNet) -> pd.MultiIndex:
    """Every line then every transformer of ``net``, as (``element_type``, ``element``)."""
    return pd.MultiIndex.from_arrays(
        [["line"] * len(net.line) + ["trafo"] * len(net.trafo), [*net.line.index, *net.trafo.index]],
        names=["element_type", "element"],
    )


def _band_per_bus(
    net: pandapowerNet,
    vm_band: Mapping[float, tuple[float, float]]
    | Mapping[str, tuple[float, float]]
    | tuple[float, float]
    | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(vm_min, vm_max) [p.u.] for every bus of ``net``, in ``net.bus`` order."""
    vn = net.bus["vn_kv"].to_numpy(dtype=float)
    if vm_band is None or (isinstance(vm_band, Mapping) and all(isinstance(k, str) for k in vm_band)):
        return band_per_bus(vn, vm_band)  # type: ignore[arg-type]
    if isinstance(vm_band, Mapping):
        levels = sorted((float(k), (float(lo), float(hi))) for k, (lo, hi) in vm_band.items())
        if not levels or levels[0][0] > vn.min():
            raise InputError(
                f"vm_band: no band for buses below {levels[0][0] if levels else 0} kV "
                f"(lowest bus vn_kv {vn.min()} kV); add a level at 0.0",
                field="vm_band",
            )
        lows = np.array([lv for lv, _ in levels])
        which = np.searchsorted(lows, vn, side="right") - 1
        lo = np.array([b[0] for _, b in levels])[which]
        hi = np.array([b[1] for _, b in levels])[which]
    else:
        lo_v, hi_v = (float(v) for v in vm_band)
        lo, hi = np.full(len(vn), lo_v), np.full(len(vn), hi_v)
    if np.any(lo >= hi):
        raise InputError(f"vm_band: vm_min must be below vm_max, got {vm_band}", field="vm_band")
    return lo, hi


#: Violation kinds and element types, as the categories of ``ContingencyResult.violations``.
_KINDS = ["overload", "undervoltage", "overvoltage"]
_ELEMENT_TYPES = ["line", "trafo", "bus"]
#: A pre-existing violation counts as caused by the outage when it worsens by more than this:
#: loading [percentage points], voltage [p.u.].
WORSE_LOADING_PCT = 1.0
WORSE_VM_PU = 0.005


def _assemble(
    net: pandapowerNet,
    outages: list[tuple[str, int]],
    batches: list[_Batch],
    base_vm: np.ndarray,
    base_loading: np.ndarray,
    band: tuple[np.ndarray, np.ndarray],
    limit: float,
    engine: str,
    keep_flows: bool,
    t0: float,
) -> ContingencyResult:
    """Evaluate the batches against the limits and build the result tables."""
    n = len(outages)
    lo, hi = band
    bus_ids = net.bus.index.to_numpy()
    branches = _branch_index(net)
    br_code = np.asarray(branches.get_level_values(0) == "trafo", dtype=np.int8)
    br_id = branches.get_level_values(1).to_numpy()
    br_label = np.array(
        [f"{_ELEMENT_TYPES[t]} {i}" for t, i in zip(br_code, br_id, strict=True)], dtype=object
    )
    bus_code = np.full(len(bus_ids), 2, np.int8)
    # per kind: code, per-element limit, base value, base violated, sign and margin of "worse", elements
    checks = (
        (0, np.full(len(br_id), float(limit)), base_loading, base_loading > limit, 1.0, WORSE_LOADING_PCT),
        (1, lo, base_vm, base_vm < lo, -1.0, WORSE_VM_PU),
        (2, hi, base_vm, base_vm > hi, 1.0, WORSE_VM_PU),
    )
    elements = ((br_code, br_id), (bus_code, bus_ids), (bus_code, bus_ids))

    cols: dict[str, np.ndarray] = {
        "converged": np.zeros(n, bool),
        "n_islanded_buses": np.zeros(n, np.int64),
        "load_lost_mw": np.zeros(n),
        "gen_lost_mw": np.zeros(n),
        "n_overloads": np.zeros(n, np.int64),
        "n_voltage_violations": np.zeros(n, np.int64),
        "n_new_violations": np.zeros(n, np.int64),
        "max_loading_pct": np.full(n, np.nan),
        "max_loading_element": np.full(n, None, dtype=object),
        "vm_min_pu": np.full(n, np.nan),
        "vm_max_pu": np.full(n, np.nan),
        "worst_overload_pct": np.zeros(n),
        "worst_vm_excess_pu": np.zeros(n),
    }
    islanded: list[tuple[int, ...]] = [()] * n
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int8), np.zeros(0, np.int64))
    viol: list[tuple[np.ndarray, ...]] = [(*empty, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, bool))]
    vm_all = np.full((n, len(bus_ids)), np.nan) if keep_flows else None
    loading_all = np.full((n, len(br_id)), np.nan) if keep_flows else None
    for b in batches:
        r = b.rows
        cols["converged"][r] = b.converged
        cols["load_lost_mw"][r] = b.load_lost_mw
        cols["gen_lost_mw"][r] = b.gen_lost_mw
        for k, isl in zip(r, b.islanded, strict=True):
            islanded[k] = isl
            cols["n_islanded_buses"][k] = len(isl)
        if vm_all is not None and loading_all is not None:
            vm_all[r] = b.vm
            loading_all[r] = b.loading
        with np.errstate(invalid="ignore"):
            masks = (b.loading > limit, b.vm < lo, b.vm > hi)
        cols["n_overloads"][r] = masks[0].sum(axis=1)
        cols["n_voltage_violations"][r] = masks[1].sum(axis=1) + masks[2].sum(axis=1)
        if b.loading.shape[1]:
            cols["max_loading_pct"][r] = np.fmax.reduce(b.loading, axis=1)
            arg = np.where(np.isnan(b.loading), -np.inf, b.loading).argmax(axis=1)
            cols["max_loading_element"][r] = np.where(b.converged, br_label[arg], None)
            cols["worst_overload_pct"][r] = np.fmax.reduce(
                np.where(masks[0], b.loading - limit, 0.0), axis=1, initial=0.0
            )
        if b.vm.shape[1]:
            cols["vm_min_pu"][r] = np.fmin.reduce(b.vm, axis=1)
            cols["vm_max_pu"][r] = np.fmax.reduce(b.vm, axis=1)
            excess = np.where(masks[1], lo - b.vm, 0.0) + np.where(masks[2], b.vm - hi, 0.0)
            cols["worst_vm_excess_pu"][r] = np.fmax.reduce(excess, axis=1, initial=0.0)
        for (code, limits, base, pre, sign, margin), (etype, eid), mask in zip(
            checks, elements, masks, strict=True
        ):
            i, j = np.nonzero(mask)
            values = (b.loading if code == 0 else b.vm)[i, j]
            caused = ~pre[j] | (sign * (values - base[j]) > margin)
            cols["n_new_violations"][r] += np.bincount(i[caused], minlength=len(r))
            viol.append(
                (r[i], np.full(len(i), code, np.int8), etype[j], eid[j], values, limits[j], base[j], pre[j])
            )

    index = pd.MultiIndex.from_arrays(
        [[t for t, _ in outages], [i for _, i in outages]], names=["outage_type", "outage_element"]
    )
    frame = pd.DataFrame(cols, index=index)
    frame.insert(0, "name", _names(net, outages))
    frame.insert(2, "islanded", frame["n_islanded_buses"] > 0)
    diverged = ~frame["converged"]
    for c in ("worst_overload_pct", "worst_vm_excess_pu"):
        frame.loc[diverged, c] = np.nan
    _rank(frame)
    frame["islanded_buses"] = pd.Series(islanded, index=frame.index, dtype=object)
    frame = frame[_OUTAGE_COLUMNS]

    violations = _violation_frame(viol, outages)
    base_vm_s = pd.Series(base_vm, index=pd.Index(bus_ids, name="bus"), name="vm_pu")
    base_loading_s = pd.Series(base_loading, index=branches, name="loading_pct")
    vm_df = loading_df = None
    if vm_all is not None and loading_all is not None:
        vm_df = pd.DataFrame(vm_all, index=frame.index, columns=base_vm_s.index)
        loading_df = pd.DataFrame(loading_all, index=frame.index, columns=branches)
    return ContingencyResult(
        outages=frame,
        violations=violations,
        base_vm_pu=base_vm_s,
        base_loading_pct=base_loading_s,
        engine=engine,
        seconds=time.perf_counter() - t0,
        loading_limit=float(limit),
        vm_pu=vm_df,
        loading_pct=loading_df,
    )


def _violation_frame(viol: list[tuple[np.ndarray, ...]], outages: list[tuple[str, int]]) -> pd.DataFrame:
    """One row per outage x violated element, ordered by outage, kind, then element."""
    row, kind, etype, element, value, limit, base, pre = (np.concatenate(p) for p in zip(*viol, strict=True))
    order = np.lexsort((kind, row))  # stable: elements stay in table order within (outage, kind)
    row = row[order]
    out_type = np.array([t for t, _ in outages] or [""], dtype=object)
    out_id = np.array([i for _, i in outages] or [0], dtype=np.int64)
    return pd.DataFrame(
        {
            "outage_type": out_type[row],
            "outage_element": out_id[row],
            "kind": pd.Categorical.from_codes(kind[order], categories=_KINDS),
            "element_type": pd.Categorical.from_codes(etype[order], categories=_ELEMENT_TYPES),
            "element": element[order].astype(np.int64),
            "value": value[order],
            "limit": limit[order],
            "base_value": base[order],
            "pre_existing": pre[order],
        }
    )
