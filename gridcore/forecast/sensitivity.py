"""Temperature sensitivity of demand: how much the daily peak moves per degree of daily temperature.

The figure a planner asks of a heat wave: on working days of the cooling season, the daily peak load
[MW] regressed on the day's mean temperature [°C] by ordinary least squares. Only days above the balance
temperature are used (on cooler days load hardly answers to warmth), so the slope is the cooling
response; the winter (heating) side is the same with ``side="heating"`` (a negative slope).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast.features import BALANCE_TEMP_C, calendar


@dataclass(frozen=True)
class TemperatureSensitivity:
    """Response of the daily peak to the daily mean temperature.

    Attributes
    ----------
    mw_per_c : float
        Slope: daily peak load per °C of daily mean temperature [MW/°C].
    pct_per_c : float
        The slope relative to the mean daily peak of the days fitted [%/°C].
    intercept_mw : float
        Daily peak at 0 °C on the fitted line [MW].
    r2 : float
        Coefficient of determination [-].
    n_days : int
        Days fitted.
    side : str
        ``cooling`` or ``heating``.
    """

    mw_per_c: float
    pct_per_c: float
    intercept_mw: float
    r2: float
    n_days: int
    side: str

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready figures."""
        return asdict(self)


def temperature_sensitivity(
    load_mw: pd.Series,
    temperature_c: pd.Series,
    tz: str,
    side: str = "cooling",
    balance_c: float = BALANCE_TEMP_C,
) -> TemperatureSensitivity:
    """Fit the daily peak load on the daily mean temperature over working days.

    Parameters
    ----------
    load_mw : pd.Series
        Hourly load, UTC index [MW].
    temperature_c : pd.Series
        Hourly temperature on any UTC index (aligned on ``load_mw``'s) [°C].
    tz : str
        Local time zone: days are local days, working days by the local calendar (no weekend, US federal
        holiday or special day).
    side : str
        ``cooling`` (days with a mean above ``balance_c``) or ``heating`` (below).
    balance_c : float
        Balance temperature [°C].

    Returns
    -------
    TemperatureSensitivity

    Raises
    ------
    InputError
        An unknown ``side``, or fewer than 10 complete working days on that side.
    """
    if side not in {"cooling", "heating"}:
        raise InputError(f"side must be cooling or heating, not {side!r}", field="side")
    frame = pd.DataFrame({"load": load_mw, "temp": temperature_c.reindex(load_mw.index)})
    local = frame.index.tz_convert(tz)
    frame["day"] = local.normalize().tz_localize(None)
    frame["offday"] = calendar(pd.DatetimeIndex(frame.index), tz)["offday"]
    daily = frame.groupby("day").agg(
        peak=("load", "max"), temp=("temp", "mean"), hours=("load", "count"), offday=("offday", "max")
    )
    daily = daily[(daily["hours"] >= 23) & (daily["offday"] == 0) & daily["temp"].notna()]
    daily = daily[daily["temp"] > balance_c] if side == "cooling" else daily[daily["temp"] < balance_c]
    if len(daily) < 10:
        raise InputError(
            f"{len(daily)} complete working days on the {side} side; a sensitivity needs 10", field="load_mw"
        )
    x, y = daily["temp"].to_numpy(), daily["peak"].to_numpy()
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    r2 = 1.0 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum())
    return TemperatureSensitivity(
        mw_per_c=float(slope),
        pct_per_c=float(100.0 * slope / y.mean()),
        intercept_mw=float(intercept),
        r2=r2,
        n_days=len(daily),
        side=side,
    )
