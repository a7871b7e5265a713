"""Degradation cost: what a MWh of throughput costs a battery, for the scheduler's linear cost.

The cost of one MWh moved through a battery (charge or discharge) is the replacement cost spread over the
throughput of its cycle life [5]_: ``c = C_repl / (2 * N_EFC)`` [EUR/MWh], where ``C_repl`` [EUR/MWh of
nominal capacity] buys a new battery and ``N_EFC`` is the number of equivalent full cycles that cycle fade
alone takes to reach end of life at the battery's SoC window (the datasheet "cycle life"; calendar fade
happens whatever the schedule does, so it is not charged to throughput).

References
----------
.. [5] B. Xu, J. Zhao, T. Zheng, E. Litvinov, D. S. Kirschen, "Factoring the cycle aging cost of batteries
   participating in electricity markets", IEEE Trans. Power Syst. 33(2), 2248-2259 (2018),
   doi:10.1109/TPWRS.2017.2733339.
.. [6] BloombergNEF, Lithium-ion battery price survey, December 2024: volume-weighted average pack price
   115 USD/kWh, stationary-storage packs 125 USD/kWh.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.storage.degradation.aging import cycle_life_efc
from gridcore.storage.degradation.chemistry import CHEMISTRIES, EOL_SOH

#: Cost of replacing a battery's cells and modules, by fleet ``kind`` [EUR per kWh of nominal capacity].
#: Assumptions anchored on BNEF 2024 [6]_ (stationary-storage packs 125 USD/kWh, about 115 EUR/kWh at
#: 0.92 EUR/USD): grid-scale = pack price plus 30 % for installation, commissioning and disposal (150);
#: community = pack price roughly doubled for smaller lots and on-site work (250); home = retail battery
#: modules plus an installer's visit (450). Override per unit with a fleet column
#: ``replacement_cost_eur_per_kwh`` or the ``replacement_cost_eur_per_kwh`` argument.
REPLACEMENT_COST_EUR_PER_KWH: Mapping[str, float] = MappingProxyType(
    {"home": 450.0, "community": 250.0, "grid": 150.0}
)


def throughput_cost_eur_per_mwh(
    fleet: pd.DataFrame,
    replacement_cost_eur_per_kwh: Mapping[str, float] | pd.Series | None = None,
    eol_soh: float = EOL_SOH,
    temp_c: float = 25.0,
) -> pd.Series:
    """Degradation cost per MWh charged or discharged, for the scheduler's linear throughput cost.

    ``cost = C_repl / (2 * N_EFC)`` [5]_, with ``C_repl`` the replacement cost [EUR/MWh of nominal
    capacity] and ``N_EFC`` the :func:`cycle_life_efc` of the unit cycling its whole SoC window
    (``soc_max_frac - soc_min_frac``) once a day around the window's middle. One EFC moves two capacities
    (in and out), hence the 2. The LP charges it on ``charge_mw + discharge_mw`` [MWh per 1 h step].

    Parameters
    ----------
    fleet : pd.DataFrame
        Fleet table (index ``battery``) with ``kind``, ``chemistry``, ``soc_min_frac``, ``soc_max_frac``;
        an optional ``replacement_cost_eur_per_kwh`` column overrides the defaults per unit.
    replacement_cost_eur_per_kwh : mapping of kind to float, or pd.Series by battery, optional
        Replacement cost [EUR/kWh]; default :data:`REPLACEMENT_COST_EUR_PER_KWH` by ``kind``.
    eol_soh : float
        End-of-life state of health [fraction].
    temp_c : float
        Cell temperature [°C].

    Returns
    -------
    pd.Series
        ``throughput_cost_eur_per_mwh`` [EUR/MWh] indexed like ``fleet``.

    Raises
    ------
    ValueError
        Naming the battery and field of a missing column, unknown kind or chemistry, or a SoC window that
        is not 0 <= soc_min_frac < soc_max_frac <= 1.
    """
    check_fleet_columns(fleet, ("kind", "chemistry", "soc_min_frac", "soc_max_frac"))
    lo = fleet["soc_min_frac"].to_numpy(dtype=float)
    hi = fleet["soc_max_frac"].to_numpy(dtype=float)
    bad = ~((lo >= 0) & (lo < hi) & (hi <= 1))
    if bad.any():
        b = fleet.index[np.flatnonzero(bad)[0]]
        raise InputError(
            f"fleet.soc_min_frac/soc_max_frac: window {fleet.at[b, 'soc_min_frac']}-"
            f"{fleet.at[b, 'soc_max_frac']} of battery {b} is not within 0-1",
            field="soc_min_frac",
            element=f"battery:{b}",
        )
    cost = replacement_costs(fleet, replacement_cost_eur_per_kwh) * 1000.0  # EUR/MWh of capacity
    life = cycle_life_efc(
        fleet["chemistry"].to_numpy(dtype=str), hi - lo, temp_c, (hi + lo) / 2, eol_soh=eol_soh
    )
    return pd.Series(cost.to_numpy() / (2.0 * life), index=fleet.index, name="throughput_cost_eur_per_mwh")


def replacement_costs(
    fleet: pd.DataFrame, replacement_cost_eur_per_kwh: Mapping[str, float] | pd.Series | None = None
) -> pd.Series:
    """Replacement cost of each unit [EUR per kWh of nominal capacity].

    Parameters
    ----------
    fleet : pd.DataFrame
        Fleet table with ``kind`` (and optionally ``replacement_cost_eur_per_kwh``).
    replacement_cost_eur_per_kwh : mapping of kind to float, or pd.Series by battery, optional
        Overrides; default :data:`REPLACEMENT_COST_EUR_PER_KWH`.

    Returns
    -------
    pd.Series
        [EUR/kWh] indexed like ``fleet``.
    """
    if isinstance(replacement_cost_eur_per_kwh, pd.Series):
        out = replacement_cost_eur_per_kwh.reindex(fleet.index).astype(float)
    else:
        table = {**REPLACEMENT_COST_EUR_PER_KWH, **(replacement_cost_eur_per_kwh or {})}
        unknown = ~fleet["kind"].isin(list(table))
        if unknown.any():
            b = fleet.index[unknown][0]
            raise InputError(
                f"fleet.kind: {fleet.at[b, 'kind']!r} of battery {b} has no replacement cost",
                field="kind",
                element=f"battery:{b}",
            )
        out = fleet["kind"].map(table).astype(float)
    if "replacement_cost_eur_per_kwh" in fleet and replacement_cost_eur_per_kwh is None:
        out = fleet["replacement_cost_eur_per_kwh"].astype(float).fillna(out)
    missing = out.isna()
    if missing.any():
        raise InputError(
            f"replacement_cost_eur_per_kwh: no value for battery {out.index[missing][0]}",
            field="replacement_cost_eur_per_kwh",
            element=f"battery:{out.index[missing][0]}",
        )
    return out


def check_fleet_columns(fleet: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """Raise a ValueError naming the first missing column, or the battery of an unknown chemistry.

    Parameters
    ----------
    fleet : pd.DataFrame
        Fleet table (index ``battery``).
    columns : tuple of str
        Columns that must be present (``chemistry``, when listed, is also checked against
        :data:`CHEMISTRIES`).
    """
    missing = [c for c in columns if c not in fleet.columns]
    if missing:
        raise InputError(
            f"fleet: missing column {missing[0]!r} (have {', '.join(map(str, fleet.columns))})",
            field=missing[0],
        )
    if "chemistry" in columns:
        bad = ~fleet["chemistry"].isin(CHEMISTRIES)
        if bad.any():
            b = fleet.index[bad][0]
            raise InputError(
                f"fleet.chemistry: {fleet.at[b, 'chemistry']!r} of battery {b} is not one of "
                f"{', '.join(CHEMISTRIES)}",
                field="chemistry",
                element=f"battery:{b}",
            )
