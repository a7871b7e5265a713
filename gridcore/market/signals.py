"""Price signals from the forecast net load: time-of-use, critical peak and real-time prices.

Every signal is built from the hourly forecast net load of the grid (demand minus renewables [MW]) and,
where given, the net load of each feeder against its limit; prices are retail energy prices [EUR/kWh],
revenue-neutral against the flat tariff on the baseline demand (customers who do not respond pay what
they paid before, over the horizon):

``tou``
    Time of use: one daily peak period of ``tou_hours`` consecutive hours, where the horizon's mean
    net load by hour of day is largest; the peak price is ``tou_ratio`` times the off-peak price.
``cpp``
    Critical peak pricing: events on the forecast peak days (days whose net-load peak reaches
    ``cpp_threshold`` of the horizon's, or where a feeder's net load exceeds its limit; at most
    ``max_event_days``), each the ``event_hours`` consecutive hours of largest net load of its day,
    at ``peak_price_per_kwh``; the other hours carry the discount that keeps the revenue.
``rtp``
    Real-time price from scarcity: ``p_h ~ exp(rtp_slope * z_h + 10 * max(u_h - 0.8, 0))`` with ``z_h``
    the hour's net load relative to the horizon's range (0 at its largest, -1 at its smallest) and ``u_h``
    the utilisation of the tightest of the substation (net load over its rating) and the feeders (net load
    over their limits), so prices climb steeply as a limit nears; normalised to revenue neutrality and
    clipped to [``floor_per_kwh``, ``cap_per_kwh``]. Surplus renewables (negative net load) give low
    prices, so load moves into them.

A signal carries its peak hours (the TOU peak period, the CPP events, the RTP hours at 1.5 times flat or
more), on which the effectiveness metrics measure the peak reduction, and the salience of each hour
(1 for announced events and alerts, :data:`gridcore.market.response.DAILY_SALIENCE` for daily prices).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.market.response import DAILY_SALIENCE, FLAT_PER_KWH, day_index

SCHEMES = ("flat", "tou", "cpp", "rtp")
#: Default CPP event price [EUR/kWh].
CPP_PRICE_PER_KWH = 0.60
#: Highest CPP event / TOU peak price a signal takes [EUR/kWh]. Above it a price is refused, not
#: saturated: it is beyond anything the pilots charged (the top of the arc of price responsiveness, a
#: 1875 % rise, is 19.75 times the flat tariff: 5.9 EUR/kWh at 0.30) and the bill figures it would give
#: (the response saturates, the bills do not) describe no tariff. Judgement: a round figure above that.
MAX_PEAK_PRICE_PER_KWH = 10.0
#: Utilisation above which the RTP adds a steep scarcity term, and its slope [-].
SCARCITY_FROM = 0.8
SCARCITY_SLOPE = 10.0
#: RTP price above which an hour counts as an alert (peak hour) [times flat].
RTP_ALERT_RATIO = 1.5


@dataclass(frozen=True)
class PriceSignal:
    """A retail price per hour and what it was built from.

    Attributes
    ----------
    times : pd.DatetimeIndex
        UTC hour starts.
    price_per_kwh : np.ndarray
        (time,) price [EUR/kWh] (per feeder: :mod:`gridcore.market.locational`).
    scheme : str
    salience : np.ndarray
        (time,) 1 for events and alerts, less for daily prices [-].
    peak_hours : np.ndarray of bool
        (time,) the hours the signal targets.
    flat_per_kwh : float
        The flat tariff it is measured against [EUR/kWh].
    params : dict
        The parameters that made it.
    """

    times: pd.DatetimeIndex
    price_per_kwh: np.ndarray
    scheme: str
    salience: np.ndarray
    peak_hours: np.ndarray
    flat_per_kwh: float = FLAT_PER_KWH
    params: dict[str, object] = field(default_factory=dict)

    def events(self) -> list[dict[str, str]]:
        """Runs of peak hours as ``{"start", "end"}`` (ISO 8601 UTC; end exclusive)."""
        out = []
        mask = np.concatenate([[False], self.peak_hours, [False]])
        edges = np.flatnonzero(np.diff(mask.astype(int)))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            end = self.times[b - 1] + pd.Timedelta(hours=1)
            out.append({"start": f"{self.times[a]:%Y-%m-%dT%H:%MZ}", "end": f"{end:%Y-%m-%dT%H:%MZ}"})
        return out

    def to_dict(self) -> dict[str, object]:
        """JSON figures: scheme, prices (min, max, mean), the peak hours as events, the parameters."""
        p = self.price_per_kwh
        return {
            "scheme": self.scheme,
            "flat_per_kwh": self.flat_per_kwh,
            "price_min_per_kwh": round(float(p.min()), 4),
            "price_max_per_kwh": round(float(p.max()), 4),
            "price_mean_per_kwh": round(float(p.mean()), 4),
            "peak_hours": int(self.peak_hours.sum()),
            "events": self.events(),
            "params": self.params,
        }

    def series(self) -> pd.Series:
        """The price as a series [EUR/kWh], UTC index."""
        return pd.Series(self.price_per_kwh, index=self.times, name="price_per_kwh")


def revenue_neutral(price_peak: float, peak: np.ndarray, demand: np.ndarray, flat: float) -> float:
    """The off-peak price that keeps the bill on ``demand`` equal to the flat tariff's [EUR/kWh].

    Parameters
    ----------
    price_peak : float
        Price in the peak hours [EUR/kWh].
    peak : np.ndarray of bool
        (time,) peak hours.
    demand : np.ndarray
        (time,) baseline demand [MW].
    flat : float
        Flat tariff [EUR/kWh].

    Returns
    -------
    float
        At least 10 % of the flat tariff.
    """
    e_peak = float(demand[peak].sum())
    e_off = float(demand[~peak].sum())
    if e_off <= 0:
        return flat
    return max((flat * (e_peak + e_off) - price_peak * e_peak) / e_off, 0.1 * flat)


def _window(values: np.ndarray, hours: int) -> int:
    """Start of the ``hours`` consecutive values with the largest sum."""
    hours = min(hours, len(values))
    sums = np.convolve(values, np.ones(hours), mode="valid")
    return int(np.argmax(sums))


def _utilisation(
    net: np.ndarray,
    feeder_net_mw: pd.DataFrame | None,
    feeder_limit_mw: pd.Series | None,
    capacity_mw: float | None,
) -> np.ndarray:
    """Utilisation of the tightest of substation and feeders per hour [-] (net load over rating)."""
    cap = capacity_mw if capacity_mw and capacity_mw > 0 else max(float(np.abs(net).max()), 1e-9) / 0.8
    u = net / cap
    if feeder_net_mw is not None and feeder_limit_mw is not None:
        limits = feeder_limit_mw.reindex(feeder_net_mw.columns).to_numpy(dtype=float)
        ok = np.isfinite(limits) & (limits > 0)
        if ok.any():
            uf = feeder_net_mw.to_numpy(dtype=float)[:, ok] / limits[ok]
            u = np.maximum(u, uf.max(axis=1))
    return u


def _overloaded_days(
    day: np.ndarray, feeder_net_mw: pd.DataFrame | None, feeder_limit_mw: pd.Series | None
) -> set[int]:
    """Days on which a feeder's net load exceeds its limit."""
    if feeder_net_mw is None or feeder_limit_mw is None:
        return set()
    limits = feeder_limit_mw.reindex(feeder_net_mw.columns).to_numpy(dtype=float)
    over = (feeder_net_mw.to_numpy(dtype=float) > np.where(np.isfinite(limits), limits, np.inf)).any(axis=1)
    return {int(d) for d in np.unique(day[over])}


def check_peak_price(peak_price_per_kwh: float | None, name: str = "peak_price_per_kwh") -> None:
    """Refuse a peak price above :data:`MAX_PEAK_PRICE_PER_KWH` [EUR/kWh] (one line naming the limit).

    Raises
    ------
    InputError
        ``peak_price_per_kwh`` above the limit, or not a finite number.
    """
    if peak_price_per_kwh is None:
        return
    if not np.isfinite(peak_price_per_kwh) or peak_price_per_kwh > MAX_PEAK_PRICE_PER_KWH:
        raise InputError(
            f"{name} {peak_price_per_kwh:g} EUR/kWh is above the limit of {MAX_PEAK_PRICE_PER_KWH:g} EUR/kWh "
            f"(beyond any pilot's price; the bill figures would describe no tariff)",
            field=name,
        )


def price_signal(
    net_load_mw: pd.Series,
    scheme: str,
    demand_mw: pd.Series | None = None,
    flat_per_kwh: float = FLAT_PER_KWH,
    peak_price_per_kwh: float | None = None,
    tou_hours: int = 4,
    tou_ratio: float = 2.5,
    event_hours: int = 4,
    cpp_threshold: float = 0.95,
    max_event_days: int | None = None,
    rtp_slope: float = 3.0,
    floor_per_kwh: float = 0.05,
    cap_per_kwh: float = 2.0,
    feeder_net_mw: pd.DataFrame | None = None,
    feeder_limit_mw: pd.Series | None = None,
    capacity_mw: float | None = None,
) -> PriceSignal:
    """A price signal for the hours of a forecast (module docstring).

    Parameters
    ----------
    net_load_mw : pd.Series
        Forecast net load of the grid (demand minus renewables) [MW], tz-aware UTC hourly index.
    scheme : str
        ``flat``, ``tou``, ``cpp`` or ``rtp``.
    demand_mw : pd.Series, optional
        Baseline demand the revenue neutrality is computed on [MW]; the positive net load when None.
    flat_per_kwh : float
        Flat tariff [EUR/kWh].
    peak_price_per_kwh : float, optional
        CPP event price (default :data:`CPP_PRICE_PER_KWH`) or TOU peak price (default: ``tou_ratio``
        times the off-peak price) [EUR/kWh].
    tou_hours, event_hours : int
        Length of the TOU peak period and of a CPP event [h].
    tou_ratio : float
        TOU peak over off-peak price [-].
    cpp_threshold : float
        A day with a net-load peak of this share of the horizon's peak or more is an event day [-].
    max_event_days : int, optional
        At most this many event days (the highest peaks first).
    rtp_slope : float
        Steepness of the RTP's scarcity curve [-].
    floor_per_kwh, cap_per_kwh : float
        RTP bounds [EUR/kWh].
    feeder_net_mw : pd.DataFrame, optional
        time x feeder net load [MW].
    feeder_limit_mw : pd.Series, optional
        Limit per feeder [MW] (its head line's rating).
    capacity_mw : float, optional
        Substation rating [MW].

    Returns
    -------
    PriceSignal

    Raises
    ------
    InputError
        Unknown scheme, naive or empty index, a price that is not positive, a peak price above
        :data:`MAX_PEAK_PRICE_PER_KWH`.
    """
    if scheme not in SCHEMES:
        raise InputError(f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}", field="scheme")
    if len(net_load_mw) == 0:
        raise InputError("net_load_mw: no hours", field="net_load_mw")
    times = pd.DatetimeIndex(net_load_mw.index)
    day = day_index(times)
    net = net_load_mw.to_numpy(dtype=float)
    demand = np.maximum(net if demand_mw is None else demand_mw.to_numpy(dtype=float), 0.0)
    if flat_per_kwh <= 0 or (peak_price_per_kwh is not None and peak_price_per_kwh <= 0):
        raise InputError("prices must be positive", field="peak_price_per_kwh")
    check_peak_price(peak_price_per_kwh)
    n = len(times)
    params: dict[str, object] = {}
    salience = np.full(n, DAILY_SALIENCE)
    peak = np.zeros(n, dtype=bool)
    price = np.full(n, flat_per_kwh)
    if scheme == "tou":
        hod = times.hour.to_numpy()
        profile = np.array([net[hod == h].mean() if (hod == h).any() else -np.inf for h in range(24)])
        start = _window(np.concatenate([profile, profile[: tou_hours - 1]]), tou_hours)
        in_peak = (hod - start) % 24 < tou_hours
        peak = in_peak
        if peak_price_per_kwh is None:
            e_p, e_o = float(demand[peak].sum()), float(demand[~peak].sum())
            off = flat_per_kwh * (e_p + e_o) / max(e_o + tou_ratio * e_p, 1e-12)
            pp = tou_ratio * off
        else:
            pp = peak_price_per_kwh
            off = revenue_neutral(pp, peak, demand, flat_per_kwh)
        price = np.where(peak, pp, off)
        params = {"peak_start_hour_utc": int(start), "tou_hours": tou_hours, "peak_per_kwh": round(pp, 4)}
        params["offpeak_per_kwh"] = round(off, 4)
    elif scheme == "cpp":
        pp = CPP_PRICE_PER_KWH if peak_price_per_kwh is None else peak_price_per_kwh
        days = np.unique(day)
        day_peak = np.array([net[day == d].max() for d in days])
        chosen = [int(d) for d in days[day_peak >= cpp_threshold * net.max()]]
        chosen = sorted(set(chosen) | _overloaded_days(day, feeder_net_mw, feeder_limit_mw))
        chosen.sort(key=lambda d: -day_peak[list(days).index(d)])
        if max_event_days is not None:
            chosen = chosen[:max_event_days]
        for d in chosen:
            rows = np.flatnonzero(day == d)
            s = _window(net[rows], event_hours)
            peak[rows[s : s + event_hours]] = True
        off = revenue_neutral(pp, peak, demand, flat_per_kwh)
        price = np.where(peak, pp, off)
        salience = np.where(peak, 1.0, DAILY_SALIENCE)
        params = {"peak_per_kwh": pp, "offpeak_per_kwh": round(off, 4), "event_days": len(chosen)}
        params["event_hours"] = event_hours
    elif scheme == "rtp":
        u = _utilisation(net, feeder_net_mw, feeder_limit_mw, capacity_mw)
        span = max(float(net.max() - net.min()), 1e-9)
        relative = (net - net.max()) / span  # 0 at the horizon's tightest hour, -1 at its loosest
        shape = np.exp(rtp_slope * relative + SCARCITY_SLOPE * np.maximum(u - SCARCITY_FROM, 0.0))
        for _ in range(5):  # normalise, clip, normalise again: the clip moves the mean a little
            scale = flat_per_kwh * demand.sum() / max(float((shape * demand).sum()), 1e-12)
            price = np.clip(shape * scale, floor_per_kwh, cap_per_kwh)
            shape = price
        peak = price >= RTP_ALERT_RATIO * flat_per_kwh
        salience = np.where(peak, 1.0, DAILY_SALIENCE)
        params = {"rtp_slope": rtp_slope, "utilisation_max": round(float(u.max()), 4)}
    return PriceSignal(
        times=times,
        price_per_kwh=np.asarray(price, dtype=float),
        scheme=scheme,
        salience=salience,
        peak_hours=peak,
        flat_per_kwh=flat_per_kwh,
        params=params,
    )
