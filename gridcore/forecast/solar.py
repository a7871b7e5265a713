"""Solar power forecasting: the GEFCom2014 solar file format, pvlib clear sky and an NWP-driven model.

Physics where it helps: the sun's position and the clear-sky irradiance (pvlib, Ineichen with the Linke
turbidity climatology) at the site give the shape of the day and the night. A LightGBM model maps the
numerical weather forecast (irradiance, cloud, water, temperature, wind) and the clear-sky features to
normalised power; its output is zero wherever the sun stays below the horizon for the whole hour, and never
above the capacity. Hours whose weather run is not yet issued at the origin are forecast by a second model
on clear-sky and calendar features only, so no forecast reads a run issued after its origin.

When the site locations are not given they are inferred from the power itself: the longitude from the
hour of the daily maximum (solar noon) and the latitude from the length of the day over the seasons, by
matching ``max(cos(zenith), 0)`` to the power. For the GEFCom2014 sites (undisclosed, in eastern Australia
per the data README) that gives the locations used; state them with the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast.renewables_model import fit_gbm, predict_gbm

#: Accumulated ECMWF fields (J m-2 or m since 00 UTC) of the solar file, de-accumulated to hourly amounts.
ACCUMULATED = ("ssrd_j_m2_acc", "strd_j_m2_acc", "tsr_j_m2_acc", "tp_m_acc")
#: Instantaneous ECMWF fields of the solar file (valid at the end of the row's hour).
INSTANTANEOUS = (
    "tclw_kg_m2",
    "tciw_kg_m2",
    "sp_pa",
    "r1000_pct",
    "tcc_frac",
    "u10_m_s",
    "v10_m_s",
    "t2m_k",
)
#: Columns a solar file must have.
REQUIRED = ("timestamp", "site", "power", "ssrd_j_m2_acc")
#: Clear-sky and calendar features (known at any origin).
CLEAR_SKY_FEATURES = [
    "ghi_cs_w_m2",
    "cos_zenith",
    "azimuth_sin",
    "azimuth_cos",
    "doy_sin",
    "doy_cos",
    "site_id",
]


@dataclass
class SolarData:
    """A solar file's power and weather features per site (:func:`solar_data`).

    Attributes
    ----------
    power : pd.DataFrame
        Hourly UTC index (interval start, complete), one column per site: power [normalised, capacity 1].
    weather : dict of str to pd.DataFrame
        Per site, on ``power.index``: hourly weather-forecast features (``ssrd_w_m2``, ``strd_w_m2``,
        ``tsr_w_m2`` [W m-2] hourly means, ``tp_mm`` [mm] per hour, the instantaneous fields in their file
        units, ``ws10_m_s`` [m s-1]). NaN where the file has none.
    source : str
        The file read.
    """

    power: pd.DataFrame
    weather: dict[str, pd.DataFrame]
    source: str = ""

    @property
    def series(self) -> list[str]:
        """Site ids."""
        return [str(c) for c in self.power.columns]


def solar_data(raw: pd.DataFrame, source: str = "") -> SolarData:
    """Hourly power and weather features per site from the rows of a solar file.

    Parameters
    ----------
    raw : pd.DataFrame
        Checked rows in the GEFCom2014 long format (:func:`gridcore.forecast.renewables_store.read_solar`
        reads a file into them): ``timestamp`` (tz-aware UTC, interval start), ``site`` (text), ``power``
        [normalised to capacity], ``ssrd_j_m2_acc`` [J m-2 accumulated since 00 UTC] and any of the other
        fields of :data:`ACCUMULATED` and :data:`INSTANTANEOUS`; one row per site and hour.
    source : str
        Where the rows came from (a file name), kept with the data.

    Returns
    -------
    SolarData
        On a complete hourly index from the first to the last timestamp; NaN where a site has no row.
    """
    index = pd.date_range(raw["timestamp"].min(), raw["timestamp"].max(), freq="1h")
    power, weather = {}, {}
    for site, g in raw.groupby("site", sort=True):
        g = g.set_index("timestamp").reindex(index)
        sid = str(site)
        power[sid] = g["power"]
        weather[sid] = _hourly_weather(g)
    return SolarData(pd.DataFrame(power, index=index), weather, source)


def _hourly_weather(g: pd.DataFrame) -> pd.DataFrame:
    """Hourly amounts from the accumulated fields (reset at 00 UTC), derived wind speed, the rest as is."""
    out = {}
    first = g.index.hour == 0
    for col in ACCUMULATED:
        if col not in g:
            continue
        acc = g[col].to_numpy(dtype=float)
        prev = np.concatenate([[np.nan], acc[:-1]])
        hourly = np.where(first, acc, acc - prev)
        if col == "tp_m_acc":
            out["tp_mm"] = 1000.0 * hourly
        else:
            out[col.replace("_j_m2_acc", "_w_m2")] = hourly / 3600.0
    for col in INSTANTANEOUS:
        if col in g:
            out[col] = g[col].to_numpy(dtype=float)
    if "u10_m_s" in g and "v10_m_s" in g:
        out["ws10_m_s"] = np.hypot(g["u10_m_s"].to_numpy(dtype=float), g["v10_m_s"].to_numpy(dtype=float))
    return pd.DataFrame(out, index=g.index)


def clear_sky(index: pd.DatetimeIndex, lat: float, lon: float, substeps: int = 4) -> pd.DataFrame:
    """Hourly clear-sky irradiance and sun position at a site (pvlib: SPA, Ineichen with Linke turbidity).

    Parameters
    ----------
    index : pd.DatetimeIndex
        UTC hour starts.
    lat, lon : float
        Site latitude and longitude [deg].
    substeps : int
        Points per hour averaged (at their midpoints).

    Returns
    -------
    pd.DataFrame
        On ``index``: ``ghi_cs_w_m2`` (hour-mean clear-sky GHI) [W m-2], ``cos_zenith`` (hour mean, 0 when
        the sun is down) [-], ``azimuth_sin``, ``azimuth_cos`` (sun azimuth at mid-hour) [-],
        ``daylight`` (the sun is up during some of the hour).
    """
    import pvlib

    offsets = (np.arange(substeps) + 0.5) / substeps * 3600.0
    times = index.repeat(substeps) + pd.to_timedelta(np.tile(offsets, len(index)), unit="s")
    loc = pvlib.location.Location(lat, lon)
    sun = loc.get_solarposition(times)
    cs = loc.get_clearsky(times, model="ineichen", solar_position=sun)
    ghi = cs["ghi"].to_numpy().reshape(-1, substeps).mean(axis=1)
    cosz = np.clip(np.cos(np.radians(sun["apparent_zenith"].to_numpy())), 0.0, None)
    az = np.radians(sun["azimuth"].to_numpy().reshape(-1, substeps)[:, substeps // 2])
    return pd.DataFrame(
        {
            "ghi_cs_w_m2": ghi,
            "cos_zenith": cosz.reshape(-1, substeps).mean(axis=1),
            "azimuth_sin": np.sin(az),
            "azimuth_cos": np.cos(az),
            "daylight": ghi > 0.0,
        },
        index=index,
    )


def infer_location(power: pd.Series) -> tuple[float, float]:
    """A PV site's latitude and longitude from its hourly power alone.

    The longitude comes from the UTC hour of the mean daily maximum (solar noon, corrected by the
    equation of time), the latitude from the day length through the year: the pair whose hourly
    ``max(cos(zenith), 0)`` (at mid-hour) correlates best with the power is taken, searched on a coarse
    grid and refined. Accurate to a degree or two: enough for the clear-sky shape and for the night.

    Parameters
    ----------
    power : pd.Series
        Hourly power (any unit), UTC index of hour starts; at least a few weeks, a year is best.

    Returns
    -------
    (float, float)
        Latitude and longitude [deg].

    Raises
    ------
    ValueError
        When the series has fewer than 14 days of positive power.
    """
    import pvlib.solarposition as sp

    x = power.dropna()
    if (x > 0).sum() < 14 * 4:
        raise InputError(
            "power: too few daylight hours to infer the site location (give lat/lon)", field="power"
        )
    mid = x.index + pd.Timedelta(minutes=30)
    doy = mid.dayofyear.to_numpy()
    decl = sp.declination_spencer71(doy)
    eot = sp.equation_of_time_spencer71(doy)  # [min]
    y = x.to_numpy(dtype=float)
    hours = mid.hour.to_numpy() + mid.minute.to_numpy() / 60.0

    def score(lat: float, lon: float) -> float:
        # hour angle [rad] from UTC hours, longitude and the equation of time
        ha = np.radians(15.0 * (hours - 12.0) + lon + eot / 4.0)
        cosz = np.sin(np.radians(lat)) * np.sin(decl) + np.cos(np.radians(lat)) * np.cos(decl) * np.cos(ha)
        c = np.clip(cosz, 0.0, None)
        return float(np.corrcoef(c, y)[0, 1]) if c.std() > 0 else -1.0

    profile = x.groupby(x.index.hour).mean().reindex(range(24), fill_value=0.0).to_numpy()
    angle = np.angle(np.sum(profile**2 * np.exp(2j * np.pi * (np.arange(24) + 0.5) / 24)))
    noon = (angle / (2 * np.pi) * 24) % 24
    lon0 = ((12.0 - noon) * 15.0 + 180.0) % 360.0 - 180.0
    lat = max(np.arange(-65.0, 65.1, 2.5), key=lambda a: score(a, lon0))
    lon = max(lon0 + np.arange(-10.0, 10.1, 1.0), key=lambda b: score(lat, b))
    lat = max(lat + np.arange(-2.5, 2.6, 0.5), key=lambda a: score(a, lon))
    lon = max(lon + np.arange(-1.0, 1.01, 0.25), key=lambda b: score(lat, b))
    return float(round(lat, 2)), float(round(((lon + 180.0) % 360.0) - 180.0, 2))


@dataclass
class SolarForecaster:
    """Hourly PV forecasts from weather forecasts and clear sky, for every site of a :class:`SolarData`.

    Parameters
    ----------
    data : SolarData
    locations : dict of str to (float, float), optional
        Latitude and longitude [deg] per site; inferred by :func:`infer_location` from the power before
        the first fit when omitted.
    capacity : float
        Capacity in the unit of the power (1 for normalised data).
    train_days : int
        Days of history per fit [days].
    run_delay_h : float
        Hours after its nominal 00 UTC time a day's weather run is taken as known [h]. 0 is the
        competition's setting (the run of day D is known at D 00:00Z).
    params : dict, optional
        LightGBM settings for :class:`gridcore.forecast.models.GradientBoosted`.
    """

    data: SolarData
    locations: dict[str, tuple[float, float]] | None = None
    capacity: float = 1.0
    train_days: int = 365
    run_delay_h: float = 0.0
    params: dict[str, object] = field(default_factory=dict)
    _sky: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _models: tuple[object, object] | None = field(default=None, repr=False)
    _nwp: list[str] = field(default_factory=list, repr=False)
    _given: bool = field(default=False, repr=False)

    kind = "solar"
    persistence = "diurnal"

    def __post_init__(self) -> None:
        self._given = self.locations is not None

    @property
    def series(self) -> list[str]:
        """Site ids."""
        return self.data.series

    @property
    def power(self) -> pd.DataFrame:
        """Hourly power per site [unit of the power]."""
        return self.data.power

    def available(self) -> np.ndarray:
        """Hours of the power index for which every site has every weather-forecast field."""
        ok = np.ones(len(self.power.index), dtype=bool)
        for w in self.data.weather.values():
            ok &= w.notna().all(axis=1).to_numpy()
        return ok

    def _prepare(self, before: pd.Timestamp) -> None:
        if self._sky:
            return
        index = self.data.power.index
        if self.locations is None:
            self.locations = {s: infer_location(self.data.power.loc[index < before, s]) for s in self.series}
        for s in self.series:
            lat, lon = self.locations[s]
            self._sky[s] = clear_sky(index, lat, lon)
        self._nwp = sorted(set().union(*(w.columns for w in self.data.weather.values())))

    def _features(self, site: str, rows: np.ndarray) -> pd.DataFrame:
        """Feature rows of one site at positions ``rows`` of the hourly index."""
        sky = self._sky[site].iloc[rows]
        idx = self.data.power.index[rows]
        doy = 2 * np.pi * idx.dayofyear.to_numpy() / 366.0
        w = self.data.weather[site].reindex(columns=self._nwp).iloc[rows]
        out = pd.DataFrame(
            {
                "ghi_cs_w_m2": sky["ghi_cs_w_m2"].to_numpy(),
                "cos_zenith": sky["cos_zenith"].to_numpy(),
                "azimuth_sin": sky["azimuth_sin"].to_numpy(),
                "azimuth_cos": sky["azimuth_cos"].to_numpy(),
                "doy_sin": np.sin(doy),
                "doy_cos": np.cos(doy),
                "site_id": float(self.series.index(site)),
            }
        )
        for col in self._nwp:
            out[col] = w[col].to_numpy()
        if "ssrd_w_m2" in out:
            ghi = out["ghi_cs_w_m2"].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                out["kt_nwp"] = np.where(ghi > 10.0, np.clip(out["ssrd_w_m2"] / ghi, 0.0, 1.5), np.nan)
        return out

    def fit(self, before: pd.Timestamp) -> SolarForecaster:
        """Fit on the hours before ``before`` (the last ``train_days`` of them) with known power.

        Parameters
        ----------
        before : pd.Timestamp
            UTC; no hour from it on is read.

        Returns
        -------
        SolarForecaster
        """
        self._prepare(before)
        index = self.data.power.index
        first = before - pd.Timedelta(days=self.train_days)
        pos = np.flatnonzero((index < before) & (index >= first))
        frames, ys = [], []
        for s in self.series:
            y = self.data.power[s].to_numpy(dtype=float)[pos] / self.capacity
            day = self._sky[s]["daylight"].to_numpy()[pos]
            keep = np.isfinite(y) & day
            frames.append(self._features(s, pos[keep]))
            ys.append(y[keep])
        rows = pd.concat(frames, ignore_index=True)
        target = np.concatenate(ys)
        nwp_cols = [c for c in rows.columns if c not in CLEAR_SKY_FEATURES]
        full = rows[nwp_cols].notna().all(axis=1).to_numpy()
        if full.sum() < 48:
            raise InputError(
                "solar: fewer than 48 daylight hours with power and weather before the origin", field="power"
            )
        with_nwp = fit_gbm(rows.loc[full], target[full], self.params)
        sky_only = fit_gbm(rows[CLEAR_SKY_FEATURES], target, self.params)
        self._models = (with_nwp, sky_only)
        return self

    def predict(self, origin: pd.Timestamp, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Point forecast from ``origin`` for the next ``horizon`` hours, with the interval scale.

        Weather rows of runs issued after the origin (plus ``run_delay_h``) are not read; those hours get
        the clear-sky model.

        Parameters
        ----------
        origin : pd.Timestamp
            UTC hour start of the first forecast hour.
        horizon : int
            Hours ahead.

        Returns
        -------
        (np.ndarray, np.ndarray)
            Forecast (sites, horizon) [unit of the power], 0 at night and within [0, capacity]; scale
            (sites, horizon) [-]: the clear-sky index of the hour (GHI_cs / 1000 W m-2, floored at 0.05 by
            day, 0 at night), by which the interval errors are scaled.
        """
        if self._models is None:
            raise RuntimeError("SolarForecaster.predict before fit")
        with_nwp, sky_only = self._models
        index = self.data.power.index
        at = int(index.get_loc(origin))
        pos = np.arange(at, at + horizon)
        if pos[-1] >= len(index):
            raise InputError(
                f"solar: the horizon from {origin} runs past the end of the data", field="origin"
            )
        issued = index[pos].floor("D") + pd.Timedelta(hours=self.run_delay_h)
        known = np.asarray(issued <= origin)
        point = np.zeros((len(self.series), horizon))
        scale = np.zeros((len(self.series), horizon))
        for i, s in enumerate(self.series):
            rows = self._features(s, pos)
            nwp_cols = [c for c in rows.columns if c not in CLEAR_SKY_FEATURES]
            rows.loc[~known, nwp_cols] = np.nan
            usable = known & rows[nwp_cols].notna().all(axis=1).to_numpy()
            y = predict_gbm(sky_only, rows[CLEAR_SKY_FEATURES])
            if usable.any():
                y[usable] = predict_gbm(with_nwp, rows.loc[usable])
            day = self._sky[s]["daylight"].to_numpy()[pos]
            point[i] = np.where(day, np.clip(y, 0.0, 1.0), 0.0) * self.capacity
            ghi = self._sky[s]["ghi_cs_w_m2"].to_numpy()[pos]
            scale[i] = np.where(day, np.maximum(ghi / 1000.0, 0.05), 0.0)
        return point, scale

    def describe(self) -> dict[str, object]:
        """Model name, locations and settings, for reports."""
        return {
            "name": "lightgbm_nwp_clearsky",
            "locations": {s: list(v) for s, v in (self.locations or {}).items()},
            "location_source": "given" if self._given else "inferred from the power (solar noon, day length)",
            "weather_features": list(self._nwp),
            "run_delay_h": self.run_delay_h,
            "train_days": self.train_days,
        }
