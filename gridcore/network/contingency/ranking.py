"""Critical outages and their rank: which outages matter, most critical first."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _rank(frame: pd.DataFrame) -> None:
    """Add ``critical`` and ``rank`` to the outage table (in place).

    An outage is critical when its power flow diverged, it lost load, or it caused a violation
    (``n_new_violations``). Rank 1 is the most critical: diverged first, then by number of overloads, load
    lost, worst overload, number of voltage violations and worst voltage excess (all descending).

    Parameters
    ----------
    frame : pd.DataFrame
        Outage table with ``converged``, ``load_lost_mw`` [MW], ``n_new_violations``, ``n_overloads``,
        ``worst_overload_pct`` [%], ``n_voltage_violations`` and ``worst_vm_excess_pu`` [p.u.].
    """
    n = len(frame)
    diverged = ~frame["converged"]
    frame["critical"] = diverged | (frame["load_lost_mw"] > 0) | (frame["n_new_violations"] > 0)
    # severities rounded to well above solver noise, so that ties fall back to the outage order
    order = np.lexsort(
        [
            -frame["worst_vm_excess_pu"].fillna(0).round(5).to_numpy(),
            -frame["n_voltage_violations"].to_numpy(),
            -frame["worst_overload_pct"].fillna(0).round(2).to_numpy(),
            -frame["load_lost_mw"].round(6).to_numpy(),
            -frame["n_overloads"].to_numpy(),
            frame["converged"].to_numpy(),
        ]
    )
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(1, n + 1)
    frame["rank"] = rank
