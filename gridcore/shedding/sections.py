"""Feeder sections behind a switch: one command instead of many when a plan sheds a whole section.

A closed line switch (a load-break switch at a line end) cuts everything fed through its line. When a plan
cuts every block of every load downstream of such a line, opening that one switch does the same with one
command, provided no generator produces downstream (opening the switch would take it off too, which the
plan's power flow did not check). The largest such sections are taken (a section inside a taken one adds
nothing); their blocks' own commands are replaced by the switch's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gridcore.shedding.blocks import Blocks

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

    from gridcore.network.downstream import RadialTree


def feeder_sections(
    net: pandapowerNet, tree: RadialTree, blocks: Blocks, shed: np.ndarray
) -> list[dict[str, object]]:
    """Switchable sections whose blocks a plan cuts, largest first, none inside another.

    Parameters
    ----------
    net : pandapowerNet
    tree : RadialTree
        The network's tree (:class:`gridcore.network.downstream.RadialTree`).
    blocks : Blocks
        Blocks whose ``load`` are rows of ``net.load``.
    shed : np.ndarray of bool
        Blocks cut.

    Returns
    -------
    list of dict
        ``switch`` (id), ``line`` (id), ``blocks`` (block positions), ``loads`` (count).
    """
    if not shed.any():
        return []
    switches = net.switch[(net.switch["et"] == "l") & net.switch["closed"].astype(bool)]
    load_ids = net.load.index.to_numpy()
    cut_loads = set(load_ids[np.unique(blocks.load[shed])])
    kept_loads = set(load_ids[np.unique(blocks.load[~shed])])
    candidates = []
    for sid, line in zip(switches.index, switches["element"].astype(int), strict=True):
        loads = set(tree.loads(f"line:{line}"))
        producing = net.sgen["p_mw"].reindex(tree.sgens(f"line:{line}")).fillna(0.0).gt(0).any()
        if loads and loads <= cut_loads and not loads & kept_loads and not producing:
            candidates.append((len(loads), int(sid), line, loads))
    taken: list[dict[str, object]] = []
    covered: set[int] = set()
    for _, sid, line, loads in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if loads & covered:
            continue
        covered |= loads
        members = np.flatnonzero(np.isin(load_ids[blocks.load], list(loads)) & shed)
        taken.append({"switch": sid, "line": line, "blocks": members.tolist(), "loads": len(loads)})
    return taken
