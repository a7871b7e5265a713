"""N-1 contingency analysis: the entry point that runs an engine and screens its results."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from gridcore.errors import InputError
from gridcore.network.contingency.engine import Engine, Progress
from gridcore.network.contingency.lightsim import _run_lightsim2grid
from gridcore.network.contingency.outages import _OutageSelection
from gridcore.network.contingency.reference import _run_pandapower
from gridcore.network.contingency.result import ContingencyResult
from gridcore.network.contingency.screening import _assemble, _band_per_bus

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


def contingency_analysis(
    net: pandapowerNet,
    elements: Iterable[tuple[str, int]] | None = None,
    loading_limit: float = 100.0,
    vm_band: Mapping[float, tuple[float, float]]
    | Mapping[str, tuple[float, float]]
    | tuple[float, float]
    | None = None,
    engine: Engine = "lightsim2grid",
    progress: Progress | None = None,
    keep_flows: bool = False,
    n_threads: int = 1,
) -> ContingencyResult:
    """N-1 contingency analysis of a pandapower network.

    Parameters
    ----------
    net : pandapowerNet
        The grid in its base state; not modified.
    elements : iterable of (str, int), optional
        Outages as (``"line"``/``"trafo"``, pandapower index). By default every in-service line and
        two-winding transformer that is energized in the base case and not opened by a switch (an open
        tie line carries no flow; list it explicitly to study it anyway).
    loading_limit : float
        Thermal limit [%] of ``loading_percent``; above it a branch is overloaded.
    vm_band : mapping or (float, float), optional
        Voltage band [p.u.]: one (vm_min, vm_max) for every bus; or per voltage level, either by level
        name, ``{"MV": (0.97, 1.03)}``, replacing the defaults of :mod:`gridcore.network.limits` for the
        levels named, or by nominal voltage, ``{lowest vn_kv [kV]: (vm_min, vm_max)}``. By default the
        bands of :mod:`gridcore.network.limits` (:data:`DEFAULT_VM_BAND`).
    engine : {"lightsim2grid", "pandapower"}
        Fast batch engine or the pandapower reference loop.
    progress : callable, optional
        Called as ``progress(done, total)`` after each batch (fast engine) or outage (pandapower).
    keep_flows : bool
        Also return the outage x bus voltages and outage x branch loadings (memory grows as outages x
        buses).
    n_threads : int
        Threads of the lightsim2grid batch (fast engine only).

    Returns
    -------
    ContingencyResult

    Raises
    ------
    ValueError
        Naming an outage that is not an in-service line or transformer of ``net``, an unknown engine or
        a malformed band.
    NotImplementedError
        The fast engine met an element lightsim2grid does not model (e.g. ``trafo3w``, several slacks);
        the message names it; ``engine="pandapower"`` handles it.
    RuntimeError
        The base case does not converge.
    """
    t0 = time.perf_counter()
    if engine not in ("lightsim2grid", "pandapower"):
        raise InputError(f"engine: {engine!r} is not 'lightsim2grid' or 'pandapower'", field="engine")
    band = _band_per_bus(net, vm_band)
    select = _OutageSelection(net, elements)
    if engine == "lightsim2grid":
        outages, batches, base_vm, base_loading = _run_lightsim2grid(net, select, progress, n_threads)
    else:
        outages, batches, base_vm, base_loading = _run_pandapower(net, select, progress)
    return _assemble(
        net, outages, batches, base_vm, base_loading, band, loading_limit, engine, keep_flows, t0
    )
