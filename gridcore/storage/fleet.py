"""The battery fleet of the default grid and the hourly inputs of each battery's site.

The default grid (SimBench semi-urban MV) aggregates each low-voltage area into one load and one rooftop-PV
generator (``lv_RES``) at its MV/LV substation bus. The default fleet splits those areas into sites:

* **home** batteries: homes with rooftop PV and a battery. Each home takes a PV size (kWp) and an annual
  demand; its PV follows its area's PV profile and its demand its area's load profile, scaled to its size.
  Homes are allocated to the LV areas in proportion to the areas' PV capacity, up to
  ``max_home_pv_share`` of an area's PV.
* **community** batteries at the LV areas with most PV left after the homes: the site is the rest of the
  area (its PV and demand minus the homes').
* **grid**-scale batteries at the MV PV plants: the site is the plant, with no demand. (Wind farms and other
  plants without a battery are not battery sites.)

Every site has an export limit (a feed-in cap, as a fraction of its installed PV or plant capacity) and an
import limit. Nothing is counted twice: the homes' and community sites' PV and demand add up to at most the
area's. Everything is drawn from one seed: the same arguments give the same fleet.

Fleet table columns (one row per battery, index ``battery``): ``kind``, ``bus``, ``feeder``, ``sgen`` (the
generator whose profile the site's renewable follows), ``load`` (the load whose profile its demand follows,
-1 for none), ``pv_mw`` (installed renewable at the site [MW]), ``pv_share`` (fraction of the generator),
``load_share`` (fraction of the load), ``power_mw`` [MW], ``energy_mwh`` [MWh], ``soc_min_frac``,
``soc_max_frac``, ``soc_init_frac``, ``eta_charge``, ``eta_discharge``, ``import_limit_mw``,
``export_limit_mw`` [MW], ``chemistry``, ``commissioned`` (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.grid import GridModel

#: Battery kinds.
KINDS = ("home", "community", "grid")


@dataclass(frozen=True)
class FleetSpec:
    """How the default fleet is drawn.

    Attributes
    ----------
    homes, community, grid_scale : int
        Number of batteries of each kind (grid-scale units are capped at the number of MV PV plants).
    home_pv_kwp : tuple of float
        Range of a home's PV size [kWp] (uniform).
    home_kwh_per_year : float
        Mean annual demand of a home [kWh] (lognormal, 30 % spread).
    home_power_kw, home_energy_kwh : float
        Home battery size [kW], [kWh] (a typical 5 kW / 10 kWh unit).
    community_power_kw, community_energy_kwh : float
        Community battery size [kW], [kWh].
    grid_power_frac, grid_hours : float
        Grid-scale battery power as a fraction of its plant's capacity, and its energy in hours of that power
        (half the plant's rating for four hours, a common ratio of utility PV-plus-storage plants).
    export_cap_frac : float
        Feed-in cap of homes and LV areas as a fraction of their PV peak (the highest hourly output of the
        profile year, :func:`peak_output_frac`) [-]. The default 0.3 is the binding feed-in cap of the
        reference measurement in the storage issue (30 % of PV peak).
    plant_export_cap_frac : float
        Grid-connection limit of the MV PV plants as a fraction of their peak output [-] (the same binding
        cap as the homes by default).
    max_home_pv_share : float
        Largest share of an LV area's PV placed in battery homes [-].
    seed : int
        Random seed.
    """

    homes: int = 1150
    community: int = 46
    grid_scale: int = 4
    home_pv_kwp: tuple[float, float] = (4.0, 10.0)
    home_kwh_per_year: float = 4500.0
    home_power_kw: float = 5.0
    home_energy_kwh: float = 10.0
    community_power_kw: float = 100.0
    community_energy_kwh: float = 200.0
    grid_power_frac: float = 0.5
    grid_hours: float = 4.0
    export_cap_frac: float = 0.3
    plant_export_cap_frac: float = 0.3
    max_home_pv_share: float = 0.6
    seed: int = 20160701


#: Technical parameters per kind: SoC window, initial SoC, one-way efficiencies (a round trip of about 90 %).
KIND_PARAMETERS = {
    "home": {
        "soc_min_frac": 0.1,
        "soc_max_frac": 0.95,
        "soc_init_frac": 0.5,
        "eta_charge": 0.95,
        "eta_discharge": 0.95,
    },
    "community": {
        "soc_min_frac": 0.1,
        "soc_max_frac": 0.95,
        "soc_init_frac": 0.5,
        "eta_charge": 0.96,
        "eta_discharge": 0.96,
    },
    "grid": {
        "soc_min_frac": 0.05,
        "soc_max_frac": 0.95,
        "soc_init_frac": 0.5,
        "eta_charge": 0.96,
        "eta_discharge": 0.96,
    },
}


def build_fleet(
    grid: GridModel, spec: FleetSpec = FleetSpec(), bus_feeder: pd.Series | None = None
) -> pd.DataFrame:
    """Draw the default battery fleet on ``grid``.

    Parameters
    ----------
    grid : GridModel
        The grid (its ``lv_RES`` generators and the loads at the same buses define the LV areas; its
        ``PV_MV``/``Wind_MV`` generators the plants).
    spec : FleetSpec
        Fleet sizes and limits.
    bus_feeder : pd.Series, optional
        Feeder id per bus (``gridcore.network.feeders.derive_feeders(grid).bus_feeder``); "" when omitted.

    Returns
    -------
    pd.DataFrame
        The fleet table (see the module docstring).
    """
    rng = np.random.default_rng(spec.seed)
    sgen = grid.sgen
    area = sgen[sgen["type"] == "lv_RES"]
    load_at = grid.load.reset_index().drop_duplicates("bus").set_index("bus")["index"]
    area = area[area["bus"].isin(load_at.index)]
    rows: list[pd.DataFrame] = []
    peak = peak_output_frac(grid)

    # homes: allocate to areas by PV capacity, then draw sizes and cap each area's share
    if spec.homes and len(area):
        cap_mw = area["p_mw"].to_numpy()
        counts = _largest_remainder(cap_mw / cap_mw.sum() * spec.homes, spec.homes)
        area_pos = np.repeat(np.arange(len(area)), counts)
        kwp = rng.uniform(*spec.home_pv_kwp, size=spec.homes)
        # scale down homes in an area whose PV would exceed the allowed share
        total = np.bincount(area_pos, weights=kwp / 1000.0, minlength=len(area))
        limit = spec.max_home_pv_share * cap_mw
        scale = np.where(total > limit, limit / np.maximum(total, 1e-12), 1.0)
        kwp = kwp * scale[area_pos]
        kwh = spec.home_kwh_per_year * rng.lognormal(-0.045, 0.3, size=spec.homes)
        loads = load_at.loc[area["bus"].to_numpy()[area_pos]].to_numpy()
        annual_mwh = _annual_energy_mwh(grid)
        rows.append(
            pd.DataFrame(
                {
                    "kind": "home",
                    "bus": area["bus"].to_numpy()[area_pos],
                    "sgen": area.index.to_numpy()[area_pos],
                    "load": loads,
                    "pv_mw": kwp / 1000.0,
                    "pv_share": kwp / 1000.0 / cap_mw[area_pos],
                    "load_share": kwh / 1000.0 / annual_mwh[loads],
                    "power_mw": spec.home_power_kw / 1000.0,
                    "energy_mwh": spec.home_energy_kwh / 1000.0,
                    "export_limit_mw": spec.export_cap_frac
                    * kwp
                    / 1000.0
                    * peak[area.index.to_numpy()[area_pos]],
                    "chemistry": np.where(rng.random(spec.homes) < 0.7, "NMC", "LFP"),
                }
            )
        )
    homes = rows[0] if rows else pd.DataFrame(columns=["sgen", "pv_share", "load", "load_share"])

    # community batteries: the areas with most PV left after the homes
    if spec.community and len(area):
        pv_left = pd.Series(1.0, index=area.index) - homes.groupby("sgen")["pv_share"].sum().reindex(
            area.index
        ).fillna(0)
        left_mw = (pv_left * area["p_mw"]).sort_values(ascending=False, kind="stable")
        chosen = left_mw.index[: spec.community]
        loads = load_at.loc[area.loc[chosen, "bus"].to_numpy()].to_numpy()
        load_left = 1.0 - homes.groupby("load")["load_share"].sum().reindex(loads).fillna(0).to_numpy()
        n = len(chosen)
        rows.append(
            pd.DataFrame(
                {
                    "kind": "community",
                    "bus": area.loc[chosen, "bus"].to_numpy(),
                    "sgen": chosen.to_numpy(),
                    "load": loads,
                    "pv_mw": left_mw.loc[chosen].to_numpy(),
                    "pv_share": pv_left.loc[chosen].to_numpy(),
                    "load_share": np.clip(load_left, 0.0, 1.0),
                    "power_mw": np.full(n, spec.community_power_kw / 1000.0),
                    "energy_mwh": np.full(n, spec.community_energy_kwh / 1000.0),
                    "export_limit_mw": spec.export_cap_frac
                    * left_mw.loc[chosen].to_numpy()
                    * peak[chosen.to_numpy()],
                    "chemistry": "LFP",
                }
            )
        )

    # grid-scale batteries at the MV PV plants, largest first
    plants = sgen[sgen["type"] == "PV_MV"].sort_values("p_mw", ascending=False, kind="stable")
    plants = plants.iloc[: spec.grid_scale]
    if len(plants):
        cap = plants["p_mw"].to_numpy()
        rows.append(
            pd.DataFrame(
                {
                    "kind": "grid",
                    "bus": plants["bus"].to_numpy(),
                    "sgen": plants.index.to_numpy(),
                    "load": -1,
                    "pv_mw": cap,
                    "pv_share": 1.0,
                    "load_share": 0.0,
                    "power_mw": spec.grid_power_frac * cap,
                    "energy_mwh": spec.grid_power_frac * cap * spec.grid_hours,
                    "export_limit_mw": spec.plant_export_cap_frac * cap * peak[plants.index.to_numpy()],
                    "chemistry": "LFP",
                }
            )
        )
    if not rows:
        raise InputError("the grid has no LV PV areas or MV plants to place batteries at", field="sgen")
    fleet = pd.concat(rows, ignore_index=True)
    fleet["load"] = fleet["load"].astype(int)
    fleet["sgen"] = fleet["sgen"].astype(int)
    fleet["bus"] = fleet["bus"].astype(int)
    params = pd.DataFrame(KIND_PARAMETERS).T.loc[fleet["kind"]].reset_index(drop=True)
    fleet = pd.concat([fleet, params.astype(float)], axis=1)
    # imports only limited by the connection: a home's 3-phase service, an area's transformer; plants none
    fleet["import_limit_mw"] = np.select(
        [fleet["kind"] == "home", fleet["kind"] == "community"], [0.043, 0.63], default=0.0
    )
    feeder = bus_feeder if bus_feeder is not None else pd.Series(dtype=str)
    fleet["feeder"] = feeder.reindex(fleet["bus"]).fillna("").astype(str).to_numpy()
    fleet["commissioned"] = pd.Timestamp("2012-01-01", tz="UTC") + pd.to_timedelta(
        rng.uniform(0, 4.5 * 365.25, size=len(fleet)), unit="D"
    ).round("D")
    fleet.index = pd.Index([f"B{i + 1:05d}" for i in range(len(fleet))], name="battery")
    return fleet


def peak_output_frac(grid: GridModel) -> pd.Series:
    """Highest hourly output of each generator over the profile year as a fraction of its capacity [-].

    A feed-in cap "as a fraction of PV peak" is taken of this peak: rooftop PV rarely reaches its rated
    power, so a cap on the rating would bind far less than the same cap on the output it really reaches.
    """
    n = grid.sgen_p_mw.shape[0] // 4 * 4
    hourly = grid.sgen_p_mw[:n].reshape(-1, 4, grid.sgen_p_mw.shape[1]).mean(axis=1)
    cap = grid.sgen["p_mw"].to_numpy(float)
    frac = np.divide(hourly.max(axis=0), cap, out=np.ones_like(cap), where=cap > 0)
    return pd.Series(frac, index=grid.sgen.index)


def site_profiles(
    grid: GridModel, fleet: pd.DataFrame, times: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray]:
    """Hourly renewable and demand power of each battery's site from the grid's profiles.

    Parameters
    ----------
    grid : GridModel
    fleet : pd.DataFrame
        The fleet table.
    times : pd.DatetimeIndex
        Hour starts (UTC).

    Returns
    -------
    pv_mw, load_mw : np.ndarray
        Shape (units, hours) [MW]: the hourly mean of the 15-minute profiles, scaled by each site's share.
    """
    sgen_mw, load_mw = hourly_profiles(grid, times)
    sgen_pos = grid.sgen.index.get_indexer(fleet["sgen"].to_numpy())
    if (sgen_pos < 0).any():
        raise InputError(
            f"fleet refers to unknown generator(s) {sorted(set(fleet['sgen'][sgen_pos < 0]))}",
            field="sgen",
            element=f"sgen:{sorted(set(fleet['sgen'][sgen_pos < 0]))[0]}",
        )
    pv = sgen_mw[:, sgen_pos].T * fleet["pv_share"].to_numpy()[:, None]
    has_load = fleet["load"].to_numpy() >= 0
    load_pos = grid.load.index.get_indexer(fleet["load"].to_numpy()[has_load])
    if (load_pos < 0).any():
        raise InputError("fleet refers to unknown load(s)", field="load")
    demand = np.zeros_like(pv)
    demand[has_load] = load_mw[:, load_pos].T * fleet["load_share"].to_numpy()[has_load, None]
    return np.maximum(pv, 0.0), np.maximum(demand, 0.0)


def hourly_profiles(grid: GridModel, times: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Hourly means of the generator and load profiles at ``times`` [MW].

    Returns
    -------
    tuple of np.ndarray
        Shapes (hours, sgens) and (hours, loads) [MW].
    """
    quarter = times.repeat(4) + pd.to_timedelta(np.tile(np.arange(4) * 15, len(times)), unit="min")
    idx = grid.profile_index(quarter)
    sgen = grid.sgen_p_mw[idx].reshape(len(times), 4, -1).mean(axis=1)
    load = grid.load_p_mw[idx].reshape(len(times), 4, -1).mean(axis=1)
    return sgen, load


def _annual_energy_mwh(grid: GridModel) -> pd.Series:
    """Annual energy of each load [MWh] (the profile year's mean power times 8,760 h)."""
    return pd.Series(grid.load_p_mw.mean(axis=0) * 8760.0, index=grid.load.index)


def _largest_remainder(quota: np.ndarray, total: int) -> np.ndarray:
    """Integer counts summing to ``total`` closest to ``quota`` (largest-remainder rounding)."""
    base = np.floor(quota).astype(int)
    short = total - base.sum()
    if short > 0:
        base[np.argsort(-(quota - base), kind="stable")[:short]] += 1
    return base


def default_fleet(
    grid: GridModel, spec: FleetSpec = FleetSpec(), bus_feeder: pd.Series | None = None
) -> pd.DataFrame:
    """The default fleet on ``grid``, with feeders and degradation costs.

    :func:`build_fleet` with the grid's feeders (derived when ``bus_feeder`` is not given) and the
    degradation costs (:func:`with_throughput_cost`).
    """
    feeders = bus_feeder if bus_feeder is not None else _feeders(grid)
    return with_throughput_cost(build_fleet(grid, spec, bus_feeder=feeders))


def with_throughput_cost(fleet: pd.DataFrame) -> pd.DataFrame:
    """The fleet with ``throughput_cost_eur_per_mwh`` from the degradation model (kept where given)."""
    from gridcore.storage.degradation import throughput_cost_eur_per_mwh

    out = fleet.copy()
    cost = throughput_cost_eur_per_mwh(out)
    if "throughput_cost_eur_per_mwh" in out:
        cost = out["throughput_cost_eur_per_mwh"].astype(float).fillna(cost)
    out["throughput_cost_eur_per_mwh"] = cost
    return out


#: Columns a fleet file must have; the others take the defaults of the unit's kind.
FLEET_FILE_COLUMNS = (
    "battery",
    "kind",
    "sgen",
    "load",
    "pv_share",
    "load_share",
    "power_mw",
    "energy_mwh",
    "export_limit_mw",
)


def read_fleet(path: str, grid: GridModel, bus_feeder: pd.Series | None = None) -> pd.DataFrame:
    """Read a fleet file (CSV) and check it against ``grid``.

    Required columns: :data:`FLEET_FILE_COLUMNS` (``sgen`` and ``load`` are the grid's generator and load ids
    whose profiles the site follows, ``load`` -1 for none). Optional: ``bus`` (default: the generator's bus),
    ``soc_min_frac``, ``soc_max_frac``, ``soc_init_frac``, ``eta_charge``, ``eta_discharge`` (default: the
    kind's :data:`KIND_PARAMETERS`), ``import_limit_mw`` (default: unlimited at the connection, 1e3 MW),
    ``chemistry`` (default LFP), ``commissioned`` (UTC; default 2016-01-01), ``throughput_cost_eur_per_mwh``.

    Raises
    ------
    ValueError
        Naming the file, the column or the battery: a missing column, an unknown kind, generator or load,
        a duplicate battery id, a negative or NaN size, shares outside 0..1.
    """
    try:
        df = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read the fleet file ({err})") from err
    missing = [c for c in FLEET_FILE_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{path}: fleet file lacks column(s) {missing}", field=missing[0])
    dup = df["battery"][df["battery"].duplicated()]
    if len(dup):
        raise InputError(
            f"{path}: battery id {dup.iloc[0]!r} appears more than once",
            field="battery",
            element=f"battery:{dup.iloc[0]}",
        )
    df = df.set_index(df["battery"].astype(str)).drop(columns="battery")
    df.index.name = "battery"
    bad_kind = ~df["kind"].isin(KINDS)
    if bad_kind.any():
        raise InputError(
            f"{path}: battery {df.index[bad_kind][0]} has unknown kind "
            f"{df['kind'][bad_kind].iloc[0]!r} (one of {KINDS})",
            field="kind",
            element=f"battery:{df.index[bad_kind][0]}",
        )
    for col in ("power_mw", "energy_mwh", "export_limit_mw", "pv_share", "load_share"):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | (values < 0) | ((values > 1) if col.endswith("share") else False)
        if bad.any():
            raise InputError(
                f"{path}: battery {df.index[bad][0]} has invalid {col} {df[col][bad].iloc[0]!r}",
                field=col,
                element=f"battery:{df.index[bad][0]}",
            )
        df[col] = values.astype(float)
    unknown_sgen = ~df["sgen"].isin(grid.sgen.index)
    if unknown_sgen.any():
        raise InputError(
            f"{path}: battery {df.index[unknown_sgen][0]} refers to unknown generator "
            f"{df['sgen'][unknown_sgen].iloc[0]}",
            field="sgen",
            element=f"battery:{df.index[unknown_sgen][0]}",
        )
    unknown_load = (df["load"] >= 0) & ~df["load"].isin(grid.load.index)
    if unknown_load.any():
        raise InputError(
            f"{path}: battery {df.index[unknown_load][0]} refers to unknown load "
            f"{df['load'][unknown_load].iloc[0]}",
            field="load",
            element=f"battery:{df.index[unknown_load][0]}",
        )
    params = pd.DataFrame(KIND_PARAMETERS).T.loc[df["kind"]].set_axis(df.index)
    for col in params.columns:
        df[col] = (
            pd.to_numeric(df[col], errors="coerce").fillna(params[col])
            if col in df
            else params[col].astype(float)
        )
    if "bus" not in df:
        df["bus"] = grid.sgen.loc[df["sgen"], "bus"].to_numpy()
    df["import_limit_mw"] = (
        pd.to_numeric(df["import_limit_mw"], errors="coerce").fillna(1e3) if "import_limit_mw" in df else 1e3
    )
    df["chemistry"] = df["chemistry"].fillna("LFP") if "chemistry" in df else "LFP"
    df["commissioned"] = (
        pd.to_datetime(df["commissioned"], utc=True)
        if "commissioned" in df
        else pd.Timestamp("2016-01-01", tz="UTC")
    )
    if "feeder" not in df:
        feeder = bus_feeder if bus_feeder is not None else _feeders(grid)
        df["feeder"] = feeder.reindex(df["bus"]).fillna("").astype(str).to_numpy()
    return df


def _feeders(grid: GridModel) -> pd.Series:
    from gridcore.network.feeders import derive_feeders

    return derive_feeders(grid).bus_feeder
