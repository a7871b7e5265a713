"""The baselines every optimized schedule is compared with: no storage, and a rule-based battery.

* **No storage**: a site consumes its own renewable production first, exports the surplus up to its export
  limit and curtails the rest; a deficit is imported.
* **Rule**: the usual self-consumption controller of home batteries: charge from surplus (as much as power,
  room and efficiency allow), discharge on deficit (down to the SoC minimum), then export / curtail /
  import what is left. It looks neither ahead nor at prices. At a site without demand (a plant) the same
  controller clips the peak instead: it charges from the output above the export limit and discharges into
  the room below it.

Both are vectorised over units (one numpy step per hour) and return the same blocks as the LP
(:data:`gridcore.storage.schedule.BLOCKS`), so the metrics treat all three alike.
"""

from __future__ import annotations

import numpy as np

from gridcore.storage.schedule import SiteInputs


def no_storage(site: SiteInputs) -> np.ndarray:
    """Site exchange without a battery.

    Parameters
    ----------
    site : SiteInputs

    Returns
    -------
    np.ndarray
        Shape (units, 6, hours), blocks as :data:`gridcore.storage.schedule.BLOCKS`; charge, discharge are 0
        and SoC stays at its initial value [MW, MWh]. Imports above the import limit are kept (and show as
        an unmet limit in the metrics) rather than hidden.
    """
    lim = site.limits
    net = site.pv_mw - site.load_mw
    surplus = np.maximum(net, 0.0)
    export_cap = lim.export_limit_mw[:, None]
    out = np.zeros((len(site.units), 6, site.hours))
    out[:, 2] = lim.soc_init_mwh[:, None]
    out[:, 3] = np.maximum(-net, 0.0)
    out[:, 4] = np.minimum(surplus, export_cap)
    out[:, 5] = surplus - out[:, 4]
    return out


def rule_based(site: SiteInputs) -> np.ndarray:
    """Charge from surplus, discharge on deficit, hour by hour.

    Parameters
    ----------
    site : SiteInputs

    Returns
    -------
    np.ndarray
        Shape (units, 6, hours), blocks as :data:`gridcore.storage.schedule.BLOCKS` [MW, MWh]; SoC at the
        end of each hour.
    """
    lim = site.limits
    p, smin, smax, soc = lim.power_mw, lim.soc_min_mwh, lim.soc_max_mwh, lim.soc_init_mwh
    eta_c, eta_d, export_cap = lim.eta_charge, lim.eta_discharge, lim.export_limit_mw
    plant = site.load_mw.max(axis=1) <= 0.0
    threshold = np.where(plant, export_cap, 0.0)
    out = np.zeros((len(site.units), 6, site.hours))
    for t in range(site.hours):
        net = site.pv_mw[:, t] - site.load_mw[:, t]
        surplus = np.maximum(net, 0.0)
        deficit = np.maximum(-net, 0.0)
        room_below = np.where(plant, np.maximum(export_cap - surplus, 0.0), deficit)
        charge = np.minimum.reduce(
            [np.maximum(surplus - threshold, 0.0), p, np.maximum(smax - soc, 0.0) / eta_c]
        )
        discharge = np.minimum.reduce([room_below, p, np.maximum(soc - smin, 0.0) * eta_d])
        soc = soc + eta_c * charge - discharge / eta_d
        supply = surplus - charge + np.where(plant, discharge, 0.0)
        export = np.minimum(supply, export_cap)
        out[:, 0, t] = charge
        out[:, 1, t] = discharge
        out[:, 2, t] = soc
        out[:, 3, t] = np.where(plant, 0.0, deficit - discharge)
        out[:, 4, t] = export
        out[:, 5, t] = np.maximum(supply - export - np.where(plant, discharge, 0.0), 0.0)
    return out
