"""Renewable forecast of every static generator of a grid, per generator, type and system.

:func:`forecast_grid_renewables` forecasts every static generator of a grid (SimBench: PV, wind, aggregated
LV rooftop PV, biomass, hydro) from its own profile history before the issue time: PV as pvlib clear sky at
the grid's location times a learned clear-sky index, the rest as a learned ratio of the installed power; per
generator, per type and for the system, with calibrated quantiles. :func:`forecast_summary` gives its
headline figures.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.errors import InputError
from gridcore.forecast.intervals import QUANTILES, conformal_quantiles
from gridcore.forecast.renewables.baselines import persistence_forecast
from gridcore.forecast.renewables.features import _history_design
from gridcore.forecast.renewables.interval import conformal_interval
from gridcore.forecast.renewables.profiles import grid_location, renewable_actuals, technology
from gridcore.forecast.renewables_model import fit_gbm, predict_gbm
from gridcore.forecast.solar import clear_sky
from gridcore.times import to_utc


@dataclass
class GridRenewableForecast:
    """Intermediate result of one technology: normalised forecasts of its distinct profiles."""

    point: np.ndarray  # (n_origins, n_units, horizon), normalised to the installed power
    actual: np.ndarray
    persistence: np.ndarray
    scale: np.ndarray
    model: dict[str, object]


def _forecast_technology(
    units: np.ndarray,
    sky: np.ndarray | None,
    index: pd.DatetimeIndex,
    train: np.ndarray,
    origins: np.ndarray,
    horizon: int,
    max_rows: int,
    params: dict[str, object] | None,
) -> GridRenewableForecast:
    """Fit one model on the units' rows at ``train`` origins; forecast them from ``origins``."""
    rows, ys = [], []
    for u in range(units.shape[1]):
        r, y = _history_design(units[:, u], sky, index, train, horizon)
        keep = np.isfinite(y)
        rows.append(r[keep])
        ys.append(y[keep])
    x = pd.concat(rows, ignore_index=True)
    y = np.concatenate(ys)
    if len(y) > max_rows:
        pick = np.sort(np.random.default_rng(0).choice(len(y), max_rows, replace=False))
        x, y = x.iloc[pick], y[pick]
    model = fit_gbm(x, y, params)
    n_o, n_u = len(origins), units.shape[1]
    tgt = origins[:, None] + np.arange(horizon)[None, :]
    point = np.empty((n_o, n_u, horizon))
    actual = np.empty((n_o, n_u, horizon))
    pers = np.empty((n_o, n_u, horizon))
    for u in range(n_u):
        r, _ = _history_design(units[:, u], sky, index, origins, horizon)
        pred = predict_gbm(model, r).reshape(n_o, horizon)
        if sky is not None:
            pred = sky[tgt] * np.clip(pred, 0.0, 1.5)
        point[:, u] = np.clip(pred, 0.0, 1.0)
        actual[:, u] = units[tgt, u]
        rule = "diurnal" if sky is not None else "last"
        pers[:, u] = np.stack(
            [persistence_forecast(units[:, [u]], int(o), horizon, rule)[0] for o in origins]
        )
    # a profile the model forecasts worse than persistence on the calibration origins gets persistence
    with np.errstate(invalid="ignore"):
        worse = np.nanmean(np.abs(actual[:-1] - point[:-1]), axis=(0, 2)) > np.nanmean(
            np.abs(actual[:-1] - pers[:-1]), axis=(0, 2)
        )
    point[:, worse] = np.nan_to_num(pers[:, worse], nan=0.0)
    if sky is not None:
        scale = np.broadcast_to(
            np.where(sky[tgt] > 0, np.maximum(sky[tgt], 0.05), 0.0)[:, None, :], point.shape
        )
    else:
        scale = np.ones_like(point)
    info = {"rows": int(len(y)), "persistence_profiles": int(worse.sum())}
    return GridRenewableForecast(point, actual, pers, np.array(scale), info)


def forecast_grid_renewables(
    grid,  # noqa: ANN001
    issue_time: pd.Timestamp,
    horizon_h: int = 168,
    quantiles: tuple[float, ...] = QUANTILES,
    history_days: int = 63,
    calibration_days: int = 14,
    max_rows: int = 40_000,
    params: dict[str, object] | None = None,
) -> xr.Dataset:
    """Forecast every static generator of a grid from ``issue_time``, per generator, type and system.

    PV (``PV_MV``, ``lv_RES``) is pvlib's clear-sky GHI at the grid's mean bus location (Ineichen), as a
    fraction of 1000 W m-2, times a clear-sky index that a LightGBM model forecasts from the history before
    the issue time (recent indices, same hour of earlier days, lead, hour, sun); the night is exactly
    zero. Wind, biomass and hydro are forecast as a share of the installed power by a LightGBM model per
    technology on their own history. Generators with identical normalised profiles share one forecast.
    Every fit and every calibration forecast uses profile hours before the issue time only: nothing from
    ``issue_time`` on is read.

    Quantiles are conformal per series and lead on the out-of-sample errors of ``calibration_days`` daily
    origins before the issue time (scaled by the clear-sky index for PV), for the generators, each type's
    sum and the system's sum alike; clipped to [0, installed power].

    Parameters
    ----------
    grid : gridcore.network.grid.GridModel
        The grid (``sgen`` table and ``sgen_p_mw`` profiles; bus ``x``, ``y`` are longitude, latitude).
    issue_time : pd.Timestamp
        UTC hour of the first forecast hour.
    horizon_h : int
        Hours ahead (1..168).
    quantiles : tuple of float
        Quantile levels.
    history_days : int
        Profile history before the issue time used for fitting [days].
    calibration_days : int
        Calibration origins.
    max_rows : int
        Cap on training rows per technology.
    params : dict, optional
        LightGBM settings.

    Returns
    -------
    xr.Dataset
        Dimensions ``series`` (``system``, ``type:<type>``, ``sgen:<name>``) x ``issue_time`` (1) x
        ``lead`` (1..horizon_h) [h] x ``quantile``. Variables ``point_mw`` and ``quantile_mw`` [MW];
        per series ``calibration_nmae_pct`` and ``persistence_nmae_pct`` (out-of-sample, % of installed
        power). Coordinates ``target_time`` (UTC hour start), ``kind``, ``type``, ``technology``, ``bus``,
        ``p_installed_mw`` [MW].

    Raises
    ------
    ValueError
        For a naive issue time, a horizon outside 1..168 h, or a grid without generators.
    """
    t0 = time.perf_counter()
    if not 1 <= horizon_h <= 168:
        raise InputError(f"horizon must be 1..168 h, got {horizon_h}", field="horizon_h")
    issue = to_utc(issue_time, "issue_time", naive="error").floor("h")
    sgen = grid.sgen.reset_index(drop=True)
    if sgen.empty:
        raise InputError("the grid has no static generators (sgen)", field="sgen")
    days_ahead = int(np.ceil(horizon_h / 24))
    start = issue - pd.Timedelta(days=history_days + calibration_days + days_ahead + 15)
    history = renewable_actuals(grid, start, issue)
    index = pd.date_range(start, issue + pd.Timedelta(hours=horizon_h), freq="1h", inclusive="left")
    cap = sgen["p_mw"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = np.where(cap > 0, history.to_numpy() / cap, 0.0)
    norm = np.vstack([norm, np.full((horizon_h, len(cap)), np.nan)])  # the future is unknown
    at = len(history)
    calib = at - 24 * np.arange(days_ahead + calibration_days - 1, days_ahead - 1, -1)
    origins = np.concatenate([calib, [at]])
    train = np.arange(calib[0] - 24 * days_ahead, 24 * 15 - 1, -24)[::-1]
    lat, lon = grid_location(grid)
    sky_frame = clear_sky(index, lat, lon)
    sky = sky_frame["ghi_cs_w_m2"].to_numpy() / 1000.0
    tech = sgen["type"].astype(str).map(technology).to_numpy()
    n_o = len(origins)
    unit_point = np.zeros((n_o, len(cap), horizon_h))
    unit_actual = np.zeros_like(unit_point)
    unit_pers = np.zeros_like(unit_point)
    unit_scale = np.zeros_like(unit_point)
    models: dict[str, object] = {}
    types = sgen["type"].astype(str).to_numpy()
    groups = np.where(tech == "pv", "pv", types)  # one model for all PV, one per other type
    for t in sorted(set(groups)):
        members = np.flatnonzero(groups == t)
        rounded = np.round(norm[:at, members], 6)
        _, first, inverse = np.unique(rounded.T, axis=0, return_index=True, return_inverse=True)
        res = _forecast_technology(
            norm[:, members[first]],
            sky if t == "pv" else None,
            index,
            train,
            origins,
            horizon_h,
            max_rows,
            params,
        )
        inverse = inverse.reshape(-1)
        unit_point[:, members] = res.point[:, inverse]
        unit_actual[:, members] = res.actual[:, inverse]
        unit_pers[:, members] = res.persistence[:, inverse]
        unit_scale[:, members] = res.scale[:, inverse]
        models[t] = {"profiles": int(len(first)), "generators": int(members.size), **res.model}
    catalog = _grid_catalog(sgen, tech)
    weights = np.stack(catalog.pop("weights"))  # (series, generators) [MW]
    mw = {
        name: np.einsum("sg,ogh->osh", weights, arr)
        for name, arr in (
            ("point", unit_point), ("actual", unit_actual), ("pers", unit_pers), ("scale", unit_scale)
        )
    }  # fmt: skip
    installed = weights.sum(axis=1)
    cal = slice(0, n_o - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.where(
            mw["scale"][cal] > 0, (mw["actual"][cal] - mw["point"][cal]) / mw["scale"][cal], np.nan
        )
    rel = np.stack([conformal_quantiles(err[:, s], quantiles, pool=3) for s in range(len(installed))])
    quant = conformal_interval(mw["point"][-1], mw["scale"][-1], rel, installed)
    point = mw["point"][-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        nmae = 100 * np.nanmean(np.abs(mw["actual"][cal] - mw["point"][cal]), axis=(0, 2)) / installed
        pmae = 100 * np.nanmean(np.abs(mw["actual"][cal] - mw["pers"][cal]), axis=(0, 2)) / installed
    lead = np.arange(1, horizon_h + 1)
    issue_naive = issue.tz_convert(None).as_unit("ns")
    target = pd.DatetimeIndex(issue_naive + pd.to_timedelta(lead - 1, unit="h"))
    return xr.Dataset(
        {
            "point_mw": (
                ("series", "issue_time", "lead"),
                point[:, None, :].astype("float32"),
                {"units": "MW"},
            ),
            "quantile_mw": (
                ("series", "issue_time", "lead", "quantile"),
                np.nan_to_num(quant[:, None], nan=0.0).astype("float32"),
                {"units": "MW"},
            ),
            "calibration_nmae_pct": (("series",), np.round(nmae, 3), {"units": "% of installed"}),
            "persistence_nmae_pct": (("series",), np.round(pmae, 3), {"units": "% of installed"}),
        },
        coords={
            "series": np.array(catalog["series"], dtype=str),
            "issue_time": [issue_naive],
            "lead": lead,
            "quantile": np.array(quantiles, dtype=float),
            "target_time": (("issue_time", "lead"), target.values[None, :]),
            "kind": ("series", np.array(catalog["kind"], dtype=str)),
            "type": ("series", np.array(catalog["type"], dtype=str)),
            "technology": ("series", np.array(catalog["technology"], dtype=str)),
            "bus": ("series", np.array(catalog["bus"], dtype=np.int64)),
            "p_installed_mw": ("series", installed, {"units": "MW"}),
        },
        attrs={
            "issue_time": f"{issue:%Y-%m-%dT%H:%MZ}",
            "horizon_h": horizon_h,
            "grid": str(getattr(grid, "code", "")),
            "location_lat_lon_deg": [round(lat, 4), round(lon, 4)],
            "pv_model": "pvlib Ineichen clear-sky GHI x LightGBM clear-sky index",
            "other_model": "LightGBM share of installed power on own history",
            "models": str(models),
            "history_days": history_days,
            "calibration_origins": int(len(calib)),
            "no_look_ahead": "profiles from issue_time on are never read",
            "timezone": "UTC",
            "time_label": "interval start",
            "seconds": round(time.perf_counter() - t0, 3),
        },
    )


def _grid_catalog(sgen: pd.DataFrame, tech: np.ndarray) -> dict[str, list]:
    """Output series of the grid forecast and their weights over the generators [MW]."""
    cap = sgen["p_mw"].to_numpy(dtype=float)
    types = sgen["type"].astype(str).to_numpy()
    cat: dict[str, list] = {k: [] for k in ("series", "kind", "type", "technology", "bus", "weights")}

    def add(series: str, kind: str, typ: str, techn: str, bus: int, mask: np.ndarray) -> None:
        for key, value in zip(
            ("series", "kind", "type", "technology", "bus", "weights"),
            (series, kind, typ, techn, bus, np.where(mask, cap, 0.0)),
            strict=True,
        ):
            cat[key].append(value)

    add("system", "system", "", "", -1, np.ones(len(cap), dtype=bool))
    for typ in sorted(set(types)):
        m = types == typ
        add(f"type:{typ}", "type", typ, str(tech[m][0]), -1, m)
    for g, row in sgen.iterrows():
        add(f"sgen:{row['name']}", "sgen", types[g], str(tech[g]), int(row["bus"]), np.arange(len(cap)) == g)
    return cat


@dataclass(frozen=True)
class SeriesOutlook:
    """Headline figures of one forecast series (the system or a generator type) over the horizon.

    Attributes
    ----------
    installed_mw : float
        Installed capacity [MW].
    energy_mwh : float
        Forecast energy over the horizon [MWh] (hourly values summed).
    peak_mw : float
        Highest point forecast [MW].
    peak_time : str
        Its hour, ISO 8601 UTC.
    p10_at_peak_mw, p90_at_peak_mw : float
        The 10 % and 90 % quantiles at that hour [MW].
    calibration_nmae_pct, persistence_nmae_pct : float
        Out-of-sample nMAE of the model and of persistence over the calibration origins [% of capacity].
    """

    installed_mw: float
    energy_mwh: float
    peak_mw: float
    peak_time: str
    p10_at_peak_mw: float
    p90_at_peak_mw: float
    calibration_nmae_pct: float
    persistence_nmae_pct: float


@dataclass(frozen=True)
class RenewableForecastSummary:
    """Headline figures of a grid renewable forecast (:func:`forecast_summary`).

    Attributes
    ----------
    issue_time : str
        ISO 8601 UTC.
    horizon_h : int
        [h]
    generators : int
        Static generators forecast.
    series : int
        Series in the forecast (generators, types, the system).
    quantiles : list of float
    location_lat_lon_deg : list of float
        Latitude and longitude of the grid used for the sun's position [deg].
    system : SeriesOutlook
    types : dict of str to SeriesOutlook
        Per generator type (``PV_MV``, ``Wind_MV``, ...).
    model_seconds : float
        Time the forecast took [s].
    """

    issue_time: str
    horizon_h: int
    generators: int
    series: int
    quantiles: list[float]
    location_lat_lon_deg: list[float]
    system: SeriesOutlook
    types: dict[str, SeriesOutlook]
    model_seconds: float

    def to_dict(self) -> dict[str, object]:
        """The figures as JSON-ready plain data, as the CLI prints them."""
        return asdict(self)


def forecast_summary(ds: xr.Dataset) -> RenewableForecastSummary:
    """Headline figures of a grid renewable forecast (:func:`forecast_grid_renewables`).

    Returns
    -------
    RenewableForecastSummary
        ``issue_time``, ``horizon_h``, ``generators``, ``series``, ``quantiles``, ``system`` and
        ``types`` (per type, :class:`SeriesOutlook`): ``installed_mw``, ``energy_mwh``, ``peak_mw``,
        ``peak_time``, ``p10_at_peak_mw``, ``p90_at_peak_mw`` [MW, MWh], ``calibration_nmae_pct``,
        ``persistence_nmae_pct``.
    """
    target = pd.DatetimeIndex(ds["target_time"].values[0])
    q = [float(v) for v in ds["quantile"].values]
    lo, hi = q.index(0.1), q.index(0.9)

    def one(series: str) -> SeriesOutlook:
        p = ds["point_mw"].sel(series=series).values[0].astype(float)
        qs = ds["quantile_mw"].sel(series=series).values[0].astype(float)
        k = int(np.argmax(p))
        return SeriesOutlook(
            installed_mw=round(float(ds["p_installed_mw"].sel(series=series)), 4),
            energy_mwh=round(float(p.sum()), 3),
            peak_mw=round(float(p[k]), 4),
            peak_time=f"{target[k]:%Y-%m-%dT%H:%MZ}",
            p10_at_peak_mw=round(float(qs[k, lo]), 4),
            p90_at_peak_mw=round(float(qs[k, hi]), 4),
            calibration_nmae_pct=float(ds["calibration_nmae_pct"].sel(series=series)),
            persistence_nmae_pct=float(ds["persistence_nmae_pct"].sel(series=series)),
        )

    kinds = ds["kind"].values
    return RenewableForecastSummary(
        issue_time=ds.attrs["issue_time"],
        horizon_h=int(ds.attrs["horizon_h"]),
        generators=int((kinds == "sgen").sum()),
        series=int(ds.sizes["series"]),
        quantiles=q,
        location_lat_lon_deg=[float(v) for v in ds.attrs["location_lat_lon_deg"]],
        system=one("system"),
        types={str(s)[5:]: one(str(s)) for s in ds["series"].values[kinds == "type"]},
        model_seconds=ds.attrs["seconds"],
    )
