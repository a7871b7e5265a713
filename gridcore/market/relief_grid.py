"""The network of a locational relief study an hour at a time, and the small helpers its stages share.

Split from :mod:`gridcore.market.relief`: :class:`_Grid` sets loads, generation and batteries, solves the
AC power flow and lists the violations; the helpers round, measure excess and sum MWh per feeder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

    from gridcore.market.inputs import MarketInputs

_KIND = {"thermal": "overload", "voltage_low": "undervoltage", "voltage_high": "overvoltage"}


def _r(x: float, digits: int) -> float:
    """Rounded, with -0.0 written as 0.0."""
    return round(float(x), digits) + 0.0


class _Grid:
    """The network an hour at a time: loads, generation and batteries set, solved, violations listed."""

    def __init__(self, net: pandapowerNet, tan_phi: np.ndarray, limit: float, bands: dict | None) -> None:
        from gridcore.network.constraints import PathImpedance
        from gridcore.network.downstream import RadialTree

        self.net, self.tan_phi, self.limit, self.bands = net, tan_phi, limit, bands
        if "storage" in net and len(net.storage):
            net.storage["p_mw"] = 0.0
            net.storage["q_mvar"] = 0.0
        net.sgen["q_mvar"] = 0.0
        self.tree = RadialTree(net)
        self.imp = PathImpedance(net, self.tree)
        self.load_bus = net.load["bus"].to_numpy(dtype=np.int64)
        self.runs = 0
        self.last = (np.nan, np.nan, np.nan)

    def set(self, load: np.ndarray, sgen: np.ndarray, bat_bus: np.ndarray, bat_mw: np.ndarray) -> None:
        """Loads, generation [MW] and battery charging (> 0) or discharging (< 0) per bus [MW]."""
        net = self.net
        net.load["p_mw"] = load
        net.load["q_mvar"] = load * self.tan_phi
        net.sgen["p_mw"] = sgen
        extra = pd.Series(bat_mw, index=bat_bus).groupby(level=0).sum()
        extra = extra[extra.abs() > 1e-12]
        for bus, mw in extra.items():  # a battery is a load (charging) or a negative load at its bus
            rows = np.flatnonzero(self.load_bus == bus)
            if len(rows):
                net.load.iloc[rows[0], net.load.columns.get_loc("p_mw")] += mw

    def solve(self) -> list[dict[str, object]]:
        """Violations of the network as set (``element`` ``bus:3``, ``kind``, ``value``, ``limit``)."""
        from gridcore.network.powerflow import run_powerflow

        self.runs += 1
        result = run_powerflow(self.net, loading_limit_pct=self.limit, voltage_bands=self.bands)
        vm = self.net.res_bus["vm_pu"]
        loading = pd.concat([self.net.res_line["loading_percent"], self.net.res_trafo["loading_percent"]])
        self.last = (float(vm.max()), float(vm.min()), float(loading.max()))
        return [
            {
                "element": f"{v.element}:{v.id}",
                "kind": _KIND.get(v.kind, v.kind),
                "value": v.value,
                "limit": v.limit,
            }
            for v in result.violations
            if v.value is not None
        ]

    def exporting(self, element: str) -> bool:
        """Whether an element's downstream area feeds power back (an overvoltage always does)."""
        if element.startswith("bus:"):
            return True
        loads = self.net.load["p_mw"].reindex(self.tree.loads(element)).sum()
        gen = self.net.sgen["p_mw"].reindex(self.tree.sgens(element)).sum()
        return bool(gen > loads)


def _excess(v: dict[str, object]) -> float:
    """How far a violation is beyond its limit: p.u. for a voltage, % of rating for an overload."""
    value, limit = float(v["value"]), float(v["limit"])  # type: ignore[arg-type]
    return abs(value - limit)


def _bus_feeder(inputs: MarketInputs) -> pd.Series:
    from gridcore.network.feeders import derive_feeders

    return derive_feeders(inputs.grid).bus_feeder


def _per_feeder(inputs: MarketInputs, mwh_per_load: np.ndarray) -> dict[str, float]:
    """MWh per feeder of a (time, load) array."""
    out: dict[str, float] = {}
    for f in sorted(set(inputs.load_feeder) - {""}):
        x = float(mwh_per_load[:, inputs.load_feeder == f].sum())
        if x > 1e-9:
            out[str(f)] = _r(x, 6)
    return out
