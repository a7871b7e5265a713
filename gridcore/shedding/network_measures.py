"""What a network plan measures: violations, downstream areas, excess beyond limits, relief per bus.

Violations after a power flow, an element's downstream area, how far the targets are beyond their limits,
and how much a block or generator at a bus relieves them.

Split from :mod:`gridcore.shedding.network` (which re-exports :func:`area`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

    from gridcore.network.downstream import RadialTree


def _violations(net: pandapowerNet, loading_limit_pct: float, bands: dict | None) -> list[dict[str, object]]:
    """Thermal and voltage violations of a solved-again net (``element`` written ``line:12``)."""
    from gridcore.network.powerflow import run_powerflow

    result = run_powerflow(net, loading_limit_pct=loading_limit_pct, voltage_bands=bands)
    out = []
    for v in result.violations:
        kind = {"thermal": "overload", "voltage_low": "undervoltage", "voltage_high": "overvoltage"}.get(
            v.kind, v.kind
        )
        out.append(
            {
                "element": f"{v.element}:{v.id}",
                "kind": kind,
                "value": None if v.value is None else round(v.value, 4),
                "limit": v.limit,
            }
        )
    return out


def area(tree: RadialTree, element: str) -> set[str]:
    """Elements (``bus:i``, ``line:i``, ``trafo:i``) of an element's downstream area, itself included."""
    from gridcore.network.downstream import parse_element

    kind, _ = parse_element(element)
    buses = tree.downstream_buses(element)
    out = {element} | {f"bus:{b}" for b in buses}
    for b in buses:
        fed = tree.branch.get(b)
        if fed is not None and (kind != "bus" or b != buses[0]):
            out.add(f"{fed[0]}:{fed[1]}")
    return out


def _margin(net: pandapowerNet, targets: list[dict[str, object]]) -> float:
    """How far the solved net is beyond the limits of export-side ``targets`` (relative; < 0: within).

    Overvoltage at buses and overloads of branches count; other kinds do not move with curtailment.
    """
    out = -np.inf
    for v in targets:
        kind, _, index = str(v["element"]).partition(":")
        limit = float(v["limit"])  # type: ignore[arg-type]
        if v["kind"] == "overvoltage" and kind == "bus":
            out = max(out, float(net.res_bus.at[int(index), "vm_pu"]) / limit - 1)
        elif v["kind"] == "overload" and kind in ("line", "trafo"):
            out = max(out, float(net[f"res_{kind}"].at[int(index), "loading_percent"]) / limit - 1)
    return float(out) if np.isfinite(out) else 0.0


def _relief(tree: RadialTree, buses: np.ndarray, targets: list[dict[str, object]]) -> np.ndarray:
    """How much a block or generator at each of ``buses`` relieves the targets (sum, each in [0, 1]).

    A branch: 1 for blocks it feeds. A bus: the share of the bus's path from the slack that the block's
    path shares (a load's effect on a bus's voltage grows with the impedance their paths share).
    """
    score = np.zeros(len(buses))
    for v in targets:
        kind, _, index = str(v["element"]).partition(":")
        if kind == "bus":
            path = {b: d for d, b in enumerate(tree.path(int(index)))}
            if not path:
                continue
            depth = max(len(path) - 1, 1)
            memo: dict[int, float] = {}
            for j, bus in enumerate(buses):
                if bus not in memo:
                    b: int | None = int(bus)
                    while b is not None and b not in path:
                        b = tree.parent.get(b)
                    memo[int(bus)] = path[b] / depth if b is not None else 0.0
                score[j] += memo[int(bus)]
        else:
            fed = set(tree.downstream_buses(str(v["element"])))
            score += np.isin(buses, list(fed))
    return score


def _worst(violations: list[dict[str, object]], scope: set[str]) -> float:
    """How far the worst constraint in ``scope`` is beyond its limit (relative; 0 when none)."""
    out = 0.0
    for v in violations:
        if v["element"] in scope and v["value"] is not None and v["limit"]:
            out = max(out, abs(float(v["value"]) / float(v["limit"]) - 1))  # type: ignore[arg-type]
    return out
