"""Case ids on a pandapower network: the columns that keep a case file's bus and branch ids.

A network read from a case file carries the file's bus ids (``case_bus_id`` on ``net.bus``: the MATPOWER bus
number, or the bus index of a pandapower network), each branch's row in a MATPOWER file (``case_branch``) and
each bus's base voltage in the file (``case_base_kv``), so that results can be reported as the file numbers
and orients them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

#: Column of ``net.bus`` holding the bus id as written in the case file.
CASE_BUS_ID = "case_bus_id"
#: Column of ``net.line`` / ``net.trafo`` / ``net.impedance`` holding the branch's row in the case file.
CASE_BRANCH = "case_branch"
#: Column of ``net.bus`` holding the case's base voltage [kV] (NaN where the case gives none).
CASE_BASE_KV = "case_base_kv"


def bus_ids(net: pandapowerNet) -> pd.Series:
    """Case bus id per pandapower bus index (the index itself when the net was not read from a case).

    Parameters
    ----------
    net : pandapowerNet

    Returns
    -------
    pd.Series
        Integer bus id, indexed by pandapower bus index.
    """
    if CASE_BUS_ID in net.bus:
        return net.bus[CASE_BUS_ID].astype(np.int64)
    return pd.Series(net.bus.index.to_numpy(dtype=np.int64), index=net.bus.index, name=CASE_BUS_ID)
