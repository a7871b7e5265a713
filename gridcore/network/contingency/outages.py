"""The outages an N-1 analysis studies: the default list, the checks of a given one, their names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


def _switch_opened(net: pandapowerNet) -> set[tuple[str, int]]:
    """Branches with an open switch at one end or both: (``line``/``trafo``, index)."""
    sw = net.switch
    open_sw = sw[~sw["closed"].astype(bool)]
    kind = {"l": "line", "t": "trafo"}
    return {(kind[et], int(e)) for et, e in zip(open_sw["et"], open_sw["element"], strict=True) if et in kind}


class _OutageSelection:
    """The outages to study, checked against the base case of an engine.

    By default every in-service branch not opened by a switch and energized in the base case (an end on a
    supplied bus); listed elements must be in-service lines or transformers, energized too.
    """

    def __init__(self, net: pandapowerNet, elements: Iterable[tuple[str, int]] | None) -> None:
        self.net = net
        self.explicit = elements is not None
        if elements is None:
            opened = _switch_opened(net)
            cand = [("line", int(i)) for i in net.line.index[net.line["in_service"].astype(bool)]]
            cand += [("trafo", int(i)) for i in net.trafo.index[net.trafo["in_service"].astype(bool)]]
            self.candidates = [c for c in cand if c not in opened]
            return
        self.candidates = []
        for kind, idx in elements:
            if kind not in ("line", "trafo"):
                raise InputError(
                    f"elements: {kind!r} is not 'line' or 'trafo' (outage {kind} {idx})",
                    field="elements",
                    element=f"{kind}:{idx}",
                )
            if idx not in net[kind].index:
                raise InputError(
                    f"elements: {kind} {idx} is not in net.{kind}", field="elements", element=f"{kind}:{idx}"
                )
            if not bool(net[kind].at[idx, "in_service"]):
                raise InputError(
                    f"elements: {kind} {idx} is already out of service in the base case",
                    field="elements",
                    element=f"{kind}:{idx}",
                )
            self.candidates.append((kind, int(idx)))

    def __call__(self, base_vm: np.ndarray) -> list[tuple[str, int]]:
        """The outages, given the base-case voltage per bus [p.u.] (NaN where not supplied)."""
        net = self.net
        supplied = pd.Series(~np.isnan(base_vm), index=net.bus.index)
        energized = np.zeros(len(self.candidates), bool)
        for kind, ends in (("line", ("from_bus", "to_bus")), ("trafo", ("hv_bus", "lv_bus"))):
            k = np.array([i for i, (t, _) in enumerate(self.candidates) if t == kind], dtype=np.int64)
            if len(k):
                rows = net[kind].loc[[self.candidates[i][1] for i in k]]
                energized[k] = supplied[rows[ends[0]]].to_numpy() | supplied[rows[ends[1]]].to_numpy()
        if self.explicit and not energized.all():
            kind, idx = self.candidates[int(np.flatnonzero(~energized)[0])]
            raise InputError(
                f"elements: {kind} {idx} is not energized in the base case",
                field="elements",
                element=f"{kind}:{idx}",
            )
        return [c for c, e in zip(self.candidates, energized, strict=True) if e]


def _names(net: pandapowerNet, outages: list[tuple[str, int]]) -> list[str]:
    """The elements' names, or ``line 12`` where a name is missing."""
    names = {
        kind: net[kind]["name"].to_dict() if "name" in net[kind].columns else {} for kind in ("line", "trafo")
    }
    out = []
    for kind, idx in outages:
        name = names[kind].get(idx)
        out.append(name if isinstance(name, str) and name else f"{kind} {idx}")
    return out
