"""Figures of a fleet schedule: renewable utilization, curtailment, losses, feeder limits, constraint checks.

**Renewable utilization** is the renewable energy used on site (directly or through the battery) or exported
within the export limit, divided by the renewable energy available at the sites::

    utilization = (available - curtailed) / available

Energy lost in the battery's conversion is reported apart (``losses_mwh``): a site that charges from PV and
loses 10 % of it still used that PV rather than curtailing it, but the losses are not hidden.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.storage.schedule import BLOCKS, SiteInputs

_I = {name: k for k, name in enumerate(BLOCKS)}
#: Tolerance of the constraint checks [MW, MWh].
TOLERANCE = 1e-6


def energy_figures(site: SiteInputs, blocks: np.ndarray) -> dict[str, float]:
    """Energy totals of a schedule over the horizon (1 h steps).

    Parameters
    ----------
    site : SiteInputs
    blocks : np.ndarray
        Shape (units, 6, hours), as :data:`gridcore.storage.schedule.BLOCKS`.

    Returns
    -------
    dict
        ``renewable_mwh`` (available), ``curtailment_mwh``, ``utilization_pct``, ``import_mwh``,
        ``export_mwh``, ``charge_mwh``, ``discharge_mwh``, ``losses_mwh`` (charge - discharge - SoC gain),
        ``self_sufficiency_pct`` (share of demand not imported).
    """
    available = float(site.pv_mw.sum())
    curtailed = float(blocks[:, _I["curtail_mw"]].sum())
    charge = float(blocks[:, _I["charge_mw"]].sum())
    discharge = float(blocks[:, _I["discharge_mw"]].sum())
    s0 = site.limits.soc_init_mwh
    soc_gain = float((blocks[:, _I["soc_mwh"], -1] - s0).sum())
    demand = float(site.load_mw.sum())
    imported = float(blocks[:, _I["import_mw"]].sum())
    return {
        "renewable_mwh": available,
        "curtailment_mwh": curtailed,
        "utilization_pct": 100.0 * (available - curtailed) / available if available > 0 else float("nan"),
        "import_mwh": imported,
        "export_mwh": float(blocks[:, _I["export_mw"]].sum()),
        "charge_mwh": charge,
        "discharge_mwh": discharge,
        "losses_mwh": charge - discharge - soc_gain,
        "self_sufficiency_pct": 100.0 * (1.0 - imported / demand) if demand > 0 else float("nan"),
    }


def check_schedule(site: SiteInputs, blocks: np.ndarray, tol: float = TOLERANCE) -> dict[str, int]:
    """Count constraint violations in a schedule; all counts are 0 for a valid one.

    Returns
    -------
    dict
        ``balance`` (hours where supply != demand), ``soc_bounds``, ``soc_dynamics``, ``power`` (charge or
        discharge above the limit or negative), ``export_limit``, ``import_limit``, ``curtail_range``
        (curtailment outside [0, available]), ``simultaneous`` (hours charging and discharging at once; the
        LP allows it but with losses and a throughput cost it is never optimal, and this count shows it).
    """
    lim = site.limits
    col = {name: value[:, None] for name, value in vars(lim).items()}
    c, d, s = blocks[:, _I["charge_mw"]], blocks[:, _I["discharge_mw"]], blocks[:, _I["soc_mwh"]]
    g, x, k = blocks[:, _I["import_mw"]], blocks[:, _I["export_mw"]], blocks[:, _I["curtail_mw"]]
    prev = np.concatenate([col["soc_init_mwh"], s[:, :-1]], axis=1)
    p = col["power_mw"]
    return {
        "balance": int((np.abs(site.pv_mw - k + g + d - site.load_mw - c - x) > tol).sum()),
        "soc_bounds": int(((s < col["soc_min_mwh"] - tol) | (s > col["soc_max_mwh"] + tol)).sum()),
        "soc_dynamics": int(
            (np.abs(s - prev - col["eta_charge"] * c + d / col["eta_discharge"]) > tol).sum()
        ),
        "power": int(((c < -tol) | (d < -tol) | (c > p + tol) | (d > p + tol)).sum()),
        "export_limit": int(((x > col["export_limit_mw"] + tol) | (x < -tol)).sum()),
        "import_limit": int(((g > col["import_limit_mw"] + tol) | (g < -tol)).sum()),
        "curtail_range": int(((k < -tol) | (k > site.pv_mw + tol)).sum()),
        "simultaneous": int(((c > tol) & (d > tol)).sum()),
    }


def feeder_exchange(
    fleet: pd.DataFrame, blocks: np.ndarray, other_net_mw: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Net power each feeder takes from the substation, hour by hour [MW] (negative: reverse flow).

    Parameters
    ----------
    fleet : pd.DataFrame
        The fleet table (column ``feeder``).
    blocks : np.ndarray
        Shape (units, 6, hours).
    other_net_mw : pd.DataFrame, optional
        Net demand of everything on each feeder that is not a battery site [MW] (hours x feeders), added.

    Returns
    -------
    pd.DataFrame
        Hours (positions) x feeders.
    """
    net = blocks[:, _I["import_mw"]] - blocks[:, _I["export_mw"]]
    frame = pd.DataFrame(net.T, columns=fleet["feeder"].to_numpy()).T.groupby(level=0).sum().T
    if other_net_mw is not None:
        frame = frame.add(other_net_mw.reset_index(drop=True), fill_value=0.0)
    return frame


def feeder_violations(exchange: pd.DataFrame, limit_mw: pd.Series) -> int:
    """Feeder-hours whose exchange exceeds the feeder's limit in either direction.

    Parameters
    ----------
    exchange : pd.DataFrame
        Hours x feeders [MW] (:func:`feeder_exchange`).
    limit_mw : pd.Series
        Limit per feeder [MW]; feeders without a limit are not counted.
    """
    lim = limit_mw.reindex(exchange.columns)
    over = exchange.abs().gt(lim, axis=1) & lim.notna().to_numpy()
    return int(over.to_numpy().sum())
