"""The study's sites: the default grid's LV areas and MV PV plants, and their curtailment without storage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.grid import GridModel
from gridcore.storage.fleet import KIND_PARAMETERS, FleetSpec, peak_output_frac, site_profiles

#: Import limit of an LV area at its MV/LV transformer [MW] (as the fleet's community sites).
AREA_IMPORT_LIMIT_MW = 0.63


def study_sites(
    grid: GridModel,
    bus_feeder: pd.Series | None = None,
    spec: FleetSpec | None = None,
) -> pd.DataFrame:
    """The study's sites in the fleet-table format, with no storage yet.

    Parameters
    ----------
    grid : GridModel
        The grid: its ``lv_RES`` generators with the load at the same bus are the LV areas, its ``PV_MV``
        generators the plants.
    bus_feeder : pd.Series, optional
        Feeder id per bus (``derive_feeders(grid).bus_feeder``); "" when omitted.
    spec : FleetSpec, optional
        Feed-in caps: ``export_cap_frac`` of the areas' and ``plant_export_cap_frac`` of the plants' PV peak
        (default :class:`~gridcore.storage.fleet.FleetSpec`: 30 % of each).

    Returns
    -------
    pd.DataFrame
        Index ``battery`` (``area-<sgen>``, ``plant-<sgen>``); the columns of
        :mod:`gridcore.storage.fleet` with ``kind`` ``community`` (areas) or ``grid`` (plants),
        ``pv_share`` and ``load_share`` 1 (the whole area), ``power_mw`` and ``energy_mwh`` 0 [MW, MWh],
        ``export_limit_mw`` [MW] and ``import_limit_mw`` (:data:`AREA_IMPORT_LIMIT_MW` for areas, 0 for
        plants) [MW], ``chemistry`` LFP.

    Raises
    ------
    ValueError
        When the grid has neither LV areas nor MV PV plants.
    """
    spec = spec or FleetSpec()
    sgen = grid.sgen
    load_at = grid.load.reset_index().drop_duplicates("bus").set_index("bus")["index"]
    area = sgen[(sgen["type"] == "lv_RES") & sgen["bus"].isin(load_at.index)]
    plants = sgen[sgen["type"] == "PV_MV"]
    if not len(area) and not len(plants):
        raise InputError(
            "grid.sgen: no lv_RES generator at a load bus and no PV_MV plant to study", field="sgen"
        )
    peak = peak_output_frac(grid)
    frames = [
        pd.DataFrame(
            {
                "kind": "community",
                "bus": area["bus"].to_numpy(),
                "sgen": area.index.to_numpy(),
                "load": load_at.loc[area["bus"].to_numpy()].to_numpy(),
                "pv_mw": area["p_mw"].to_numpy(float),
                "export_limit_mw": spec.export_cap_frac
                * area["p_mw"].to_numpy(float)
                * peak.loc[area.index].to_numpy(),
                "import_limit_mw": AREA_IMPORT_LIMIT_MW,
            },
            index=[f"area-{i}" for i in area.index],
        ),
        pd.DataFrame(
            {
                "kind": "grid",
                "bus": plants["bus"].to_numpy(),
                "sgen": plants.index.to_numpy(),
                "load": -1,
                "pv_mw": plants["p_mw"].to_numpy(float),
                "export_limit_mw": spec.plant_export_cap_frac
                * plants["p_mw"].to_numpy(float)
                * peak.loc[plants.index].to_numpy(),
                "import_limit_mw": 0.0,
            },
            index=[f"plant-{i}" for i in plants.index],
        ),
    ]
    sites = pd.concat([f for f in frames if len(f)])
    sites.index.name = "battery"
    sites = sites.astype({"bus": int, "sgen": int, "load": int})
    sites["pv_share"] = 1.0
    sites["load_share"] = 1.0
    sites.loc[sites["load"] < 0, "load_share"] = 0.0
    sites["power_mw"] = 0.0
    sites["energy_mwh"] = 0.0
    params = pd.DataFrame(KIND_PARAMETERS).T.loc[sites["kind"]].set_axis(sites.index).astype(float)
    sites = pd.concat([sites, params], axis=1)
    sites["chemistry"] = "LFP"
    feeder = bus_feeder if bus_feeder is not None else pd.Series(dtype=str)
    sites["feeder"] = feeder.reindex(sites["bus"]).fillna("").astype(str).to_numpy()
    sites["commissioned"] = pd.Timestamp("2016-01-01", tz="UTC")
    return sites


def no_storage_curtailment_mwh(grid: GridModel, sites: pd.DataFrame, times: pd.DatetimeIndex) -> pd.Series:
    """Curtailment of each site without storage over ``times`` [MWh] (1 h steps).

    Parameters
    ----------
    grid : GridModel
    sites : pd.DataFrame
        Site table (:func:`study_sites`).
    times : pd.DatetimeIndex
        Hour starts (UTC).

    Returns
    -------
    pd.Series
        [MWh] indexed like ``sites``.
    """
    pv, load = site_profiles(grid, sites, times)
    surplus = np.maximum(pv - load, 0.0)
    cap = sites["export_limit_mw"].to_numpy(float)[:, None]
    return pd.Series(np.maximum(surplus - cap, 0.0).sum(axis=1), index=sites.index, name="curtailment_mwh")
