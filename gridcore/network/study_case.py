"""SimBench's study cases: loads, generation and slack voltage at a grid's design points.

SimBench (Meinecke et al., 2020, section 3.4) defines six study cases per voltage level, each a set of
scaling factors in the network's ``loadcases`` table (one row per case):

====== ==================================================================================
``hL``  high load: loads at their rated power, no generation
``n1``  high load for N-1 studies (the same factors as ``hL``)
``hW``  high wind feed-in (with high load)
``hPV`` high PV feed-in (with high load)
``lW``  high wind feed-in at low load
``lPV`` high PV feed-in at low load
====== ==================================================================================

Columns: ``pload`` and ``qload`` scale every load's ``p_mw`` / ``q_mvar``; ``Wind_p``, ``PV_p`` and
``RES_p`` scale the ``p_mw`` of wind (``type`` containing "Wind" or "WP"), PV ("PV") and all other static
generators; ``Slack_vm`` is the external grid's voltage set point [p.u.]. A network's ``p_mw`` values are
its rated powers, so a study case is those values times the factors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gridcore.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    from pandapower.auxiliary import pandapowerNet

#: SimBench's study cases, in its order.
STUDY_CASES = ("hL", "n1", "hW", "hPV", "lW", "lPV")


def study_case_factors(net: pandapowerNet, case: str) -> pd.Series:
    """The scaling factors of a study case from the network's ``loadcases`` table.

    Parameters
    ----------
    net : pandapowerNet
        A SimBench network (``net.loadcases`` indexed by study case).
    case : str
        One of :data:`STUDY_CASES`.

    Returns
    -------
    pd.Series
        ``pload``, ``qload``, ``Wind_p``, ``PV_p``, ``RES_p`` [-], ``Slack_vm`` [p.u.].

    Raises
    ------
    InputError
        For an unknown case, or a network without study cases (not from SimBench).
    """
    if case not in STUDY_CASES:
        raise InputError(
            f"--study-case {case!r}: unknown; use one of {', '.join(STUDY_CASES)}", field="--study-case"
        )
    table = net.get("loadcases") if hasattr(net, "get") else None
    if table is None or len(table) == 0 or case not in table.index:
        raise InputError(
            f"--study-case {case}: the network has no SimBench study cases (loadcases table)",
            field="--study-case",
        )
    return table.loc[case]


def generator_class(types: pd.Series) -> np.ndarray:
    """SimBench's class of each static generator from its ``type``: ``Wind_p``, ``PV_p`` or ``RES_p``.

    Parameters
    ----------
    types : pd.Series
        ``net.sgen["type"]`` (e.g. ``PV``, ``Wind_MV``, ``WP``, ``Biomass_MV``, ``lv_RES``).

    Returns
    -------
    np.ndarray of str
    """
    text = types.astype(str)
    wind = text.str.contains("Wind") | text.str.contains("WP")
    pv = text.str.contains("PV") & ~wind
    return np.where(wind, "Wind_p", np.where(pv, "PV_p", "RES_p"))


def apply_study_case(net: pandapowerNet, case: str) -> pandapowerNet:
    """Set a SimBench network's loads, generation and slack voltage to a study case (in place).

    Parameters
    ----------
    net : pandapowerNet
        A SimBench network at its rated values (as built, or read from the grid cache).
    case : str
        One of :data:`STUDY_CASES`.

    Returns
    -------
    pandapowerNet
        ``net``: ``load.p_mw`` [MW] and ``load.q_mvar`` [MVAr] times ``pload`` / ``qload``, ``sgen.p_mw``
        [MW] times the factor of its class, ``ext_grid.vm_pu`` [p.u.] the case's ``Slack_vm``.

    Raises
    ------
    InputError
        As :func:`study_case_factors`.
    """
    factors = study_case_factors(net, case)
    net.load["p_mw"] = net.load["p_mw"] * float(factors["pload"])
    net.load["q_mvar"] = net.load["q_mvar"] * float(factors["qload"])
    if len(net.sgen):
        scale = factors.reindex(["Wind_p", "PV_p", "RES_p"]).astype(float)
        net.sgen["p_mw"] = net.sgen["p_mw"] * scale.loc[generator_class(net.sgen["type"])].to_numpy()
    net.ext_grid["vm_pu"] = float(factors["Slack_vm"])
    return net
