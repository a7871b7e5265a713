"""What the two engines share: Newton-Raphson settings, the progress callback, the batch they return.

An engine (:mod:`~gridcore.network.contingency.lightsim` or :mod:`~gridcore.network.contingency.reference`)
solves the outages and hands their post-contingency states to the screening
(:mod:`~gridcore.network.contingency.screening`) as :class:`_Batch` objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


#: Newton-Raphson iterations per outage (pandapower's default for ``runpp``).
MAX_ITER = 10
#: Power mismatch tolerance [p.u.] of the fast engine (pandapower's default ``tolerance_mva`` is 1e-8).
TOL_PU = 1e-8

Engine = Literal["lightsim2grid", "pandapower"]
Progress = Callable[[int, int], None]


@dataclass
class _Batch:
    """Post-contingency state of some outages, in the reporting order of buses and branches."""

    rows: np.ndarray  # positions in the outage list
    converged: np.ndarray  # bool
    vm: np.ndarray  # outages x buses [p.u.], NaN where de-energized or diverged
    loading: np.ndarray  # outages x branches [%], 0 where de-energized, NaN where diverged
    islanded: list[tuple[int, ...]]
    load_lost_mw: np.ndarray
    gen_lost_mw: np.ndarray


def _injection_mw(net: pandapowerNet, table: str) -> pd.DataFrame:
    """In-service active power per row of a load/sgen/gen table [MW] (``p_mw * scaling``), with its bus."""
    t = net[table]
    scaling = t["scaling"].to_numpy(dtype=float) if "scaling" in t.columns else 1.0
    p = t["p_mw"].to_numpy(dtype=float) * scaling * t["in_service"].to_numpy(dtype=bool)
    return pd.DataFrame({"bus": t["bus"].to_numpy(), "p_mw": p})
