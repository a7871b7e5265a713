"""A +5 °C heat wave on the default world: how far the system forecast's daily peaks rise, against the real
data's sensitivity.

The peer is the real data: the daily peak load's slope on the daily mean temperature over working days
above 18 °C in GEFCom2014-E's summers (May-September 2006-2014, New England), scaled to the grid by the
world's scale, times 5 °C. The forecast: the system group of the default world from an issue time, once
with the weather forecast as is and once with 5 °C added to every forecast hour of the issue (the
calibration origins keep their weather).

    uv run python bench/bench_heat_wave.py [--at 2016-07-01T00:00Z] [--delta 5] [--temperature-response]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from gridcore import world
from gridcore.forecast.demand import SYSTEM, demand_inputs, forecast_group
from gridcore.forecast.sensitivity import temperature_sensitivity
from gridcore.forecast.weather import ForecastWeather
from gridcore.system import default_system


class HeatWave(ForecastWeather):
    """The synthetic forecast, ``delta`` °C warmer after the issue time (other origins unchanged)."""

    def __init__(self, issue: pd.Timestamp, delta: float) -> None:
        super().__init__()
        self.issue, self.delta = issue, delta

    def at_origin(self, weather: pd.DataFrame, origin: pd.Timestamp) -> pd.DataFrame:
        out = super().at_origin(weather, origin)
        if origin == self.issue:
            out.loc[out.index >= origin] += self.delta
        return out


def _holidays(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    from pandas.tseries.holiday import USFederalHolidayCalendar

    return USFederalHolidayCalendar().holidays(days.min().tz_localize(None), days.max().tz_localize(None))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--at", default="2016-07-01T00:00Z")
    parser.add_argument("--delta", type=float, default=5.0)
    parser.add_argument(
        "--temperature-response",
        action="store_true",
        help="the linear degree-hour response beside the trees (off in the grid forecasts by default)",
    )
    args = parser.parse_args()
    at = pd.Timestamp(args.at)
    system = default_system()
    scale = system.grid.world_scale

    src = world._source()
    summer = src[(src.index.month >= 5) & (src.index.month <= 9) & (src.index.year >= 2006)]
    real = temperature_sensitivity(summer["load_mw"], summer["temperature_c"], "America/New_York")
    print(
        f"real data (GEFCom2014-E, May-Sep 2006-2014, {real.n_days} working days above 18 °C): "
        f"{real.mw_per_c:.1f} MW/°C of daily peak ({real.pct_per_c:.2f} %/°C, R² {real.r2:.2f}); "
        f"on the grid x {scale:.5f}: {real.mw_per_c * scale:.4f} MW/°C"
    )

    inputs = demand_inputs(system, at, 168)
    history = inputs.group(SYSTEM)
    t0 = time.perf_counter()
    params = {"temperature_response": True} if args.temperature_response else None
    base = forecast_group(SYSTEM, history, inputs.temperature, at, 168, params=params)
    hot = forecast_group(
        SYSTEM, history, inputs.temperature, at, 168, weather=HeatWave(at, args.delta), params=params
    )
    seconds = time.perf_counter() - t0
    hours = pd.date_range(at, periods=168, freq="1h")
    days = hours.tz_convert("Europe/Berlin").normalize()
    peaks = pd.DataFrame({"base": base.point[0], "hot": hot.point[0]}, index=hours).groupby(days).max()
    rise = peaks["hot"] - peaks["base"]
    expected = real.mw_per_c * scale * args.delta
    print(
        f"forecast from {at:%Y-%m-%dT%H:%MZ}, +{args.delta:g} °C on every forecast hour ({seconds:.0f} s): "
        f"daily peak {peaks['base'].mean():.3f} -> {peaks['hot'].mean():.3f} MW, "
        f"rise {rise.mean():.3f} MW (min {rise.min():.3f}, max {rise.max():.3f}); "
        f"week's peak {peaks['base'].max():.3f} -> {peaks['hot'].max():.3f} MW"
    )
    full = (hours.tz_convert("Europe/Berlin").hour == 12).any() & (peaks.index.dayofweek < 5)
    full &= ~peaks.index.isin(peaks.index[[0, -1]]) & ~peaks.index.tz_localize(None).isin(
        _holidays(peaks.index)
    )
    print(f"real data say +{expected:.3f} MW; forecast / real = {rise.mean() / expected:.2f} over all days")
    print(
        f"working days fully inside the horizon ({int(full.sum())}): rise {rise[full].mean():.3f} MW, "
        f"ratio {rise[full].mean() / expected:.2f}"
    )
    print(
        "champion:",
        base.choice.champion if base.choice else None,
        "| rise per day:",
        np.round(rise.to_numpy(), 3),
    )


if __name__ == "__main__":
    main()
