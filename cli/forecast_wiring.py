"""Forecast commands: wiring of gridcore.forecast for the CLI (no algorithm here)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from gridcore.errors import InputError
from gridcore.forecast.backtest import backtest
from gridcore.forecast.models import make_model
from gridcore.forecast.weather import (
    ForecastWeather,
    NoWeather,
    ObservedWeather,
    WeatherProvider,
    read_weather_forecasts,
)
from gridcore.interfaces.loadfile import read_load_file
from gridcore.times import to_utc


def weather_provider(weather: str, weather_forecasts: Path | None = None) -> WeatherProvider:
    """The weather provider a ``--weather`` option names (``observed``, ``forecast`` or ``none``)."""
    if weather not in {"observed", "forecast", "none"}:
        raise InputError(f"--weather must be observed, forecast or none, not {weather!r}", field="--weather")
    if weather_forecasts is not None:
        if weather != "forecast":
            raise InputError(
                f"--weather-forecasts goes with --weather forecast, not --weather {weather}",
                field="--weather-forecasts",
            )
        return ForecastWeather(archive=read_weather_forecasts(str(weather_forecasts)))
    if weather == "none":
        return NoWeather()
    return ObservedWeather() if weather == "observed" else ForecastWeather()


def run_backtest(
    csv: Path,
    horizon: int,
    test_days: int,
    model: str,
    weather: str,
    weather_forecasts: Path | None,
    tz: str | None,
    train_days: int,
    refit_days: int,
    store: str | None,
    progress: bool = False,
    load_column: str | None = None,
    weather_csv: Path | None = None,
    workers: int | None = None,
) -> dict[str, object]:
    """Read the file, run the backtest, write its forecasts next to the store, return the figures.

    ``weather``: ``observed``, ``forecast`` or ``none`` (load and calendar only; also what a file without
    a temperature column gets). ``workers``: fits at once (threads; default the usable cores, at most
    2); the figures do not depend on it.
    """
    from gridcore.forecast.demand import history_issues

    provider = weather_provider(weather, weather_forecasts)
    lf = read_load_file(csv, load_column, weather_csv)
    issues = history_issues(lf.frame[["load_mw"]])
    bad = issues[issues["issue"] != "gap"]
    flagged = lf.frame.index.isin(pd.DatetimeIndex(bad["time"]))
    bar = None
    if progress:
        from rich.console import Console
        from rich.progress import Progress

        bar = Progress(console=Console(stderr=True), transient=True)
        task = bar.add_task("backtest", total=test_days + 28)
        bar.start()
    try:
        result = backtest(
            lf.frame,
            make_model(model),
            horizon=horizon,
            test_days=test_days,
            weather=provider,
            refit_days=refit_days,
            train_days=train_days,
            tz=tz,
            progress=(lambda label: bar.update(task, advance=1, description=label)) if bar else None,
            flagged=flagged,
            workers=workers,
        )
    finally:
        if bar is not None:
            bar.stop()
    out = {
        "source": lf.source,
        "load_column": load_column or "load_mw",
        "temperature_columns": lf.temperature_columns,
        "missing_hours": lf.missing_hours,
        "history_issues": {k: int(v) for k, v in bad["issue"].value_counts().items()},
        "history_issue_times": [f"{t:%Y-%m-%dT%H:%MZ}" for t in bad["time"][:20]],
        **result.summary,
    }
    if store:
        from gridcore.forecast.store import write_backtest

        name = Path(csv).stem + (f"-{load_column}" if load_column else "")
        out["written"] = write_backtest(store, result, name)
    return out


def run_plot(
    csv: Path, at: str, horizon: int, model: str, weather: str, tz: str | None, train_days: int, out: Path
) -> dict[str, object]:
    """Forecast from the origin ``at`` (calibrated on up to 28 origins before it) and draw it to ``out``.

    ``weather``: ``observed``, ``forecast`` or ``none`` (as :func:`run_backtest`).
    """
    from gridcore.forecast.plot import plot_forecast

    provider = weather_provider(weather)
    lf = read_load_file(csv)
    origin = to_utc(at, "--at", naive="error").floor("D")
    result = backtest(
        lf.frame,
        make_model(model),
        horizon=horizon,
        test_days=1,
        weather=provider,
        refit_days=10_000,
        train_days=train_days,
        tz=tz,
        until=origin,
    )
    sm = result.summary
    used = sm["weather"]
    title = f"{Path(csv).name}: {sm['model']['name']} forecast from {origin:%Y-%m-%d %H:%M}Z ({used} weather)"
    path = plot_forecast(lf.frame["load_mw"], result.forecasts, out, title)
    return {
        "png": path,
        "origin": f"{result.forecasts['origin'].iloc[0]:%Y-%m-%dT%H:%MZ}",
        "horizon_h": horizon,
        "weather": used,
        "mape_pct": sm["mape_pct"],
        "coverage_80_pct": sm["coverage_80_pct"],
        "baseline": sm["baseline"],
        "train_days_min": sm["train_days_min"],
        "train_days_max": sm["train_days_max"],
        "calibration_origins_min": sm["calibration_origins_min"],
    }


def run_grid_plot(series: str, at: str, store: str, out: Path) -> dict[str, object]:
    """Draw a stored grid demand forecast of one series.

    ``series`` is ``system``, ``feeder:<id>`` or ``load:<name>``; the week before and the actuals come
    from the grid's profiles.
    """
    from gridcore.forecast.demand import demand_history, grid_series
    from gridcore.forecast.plot import plot_forecast
    from gridcore.forecast.store import read_demand_forecast
    from gridcore.system import default_system

    ds = read_demand_forecast(store, to_utc(at, "--at", naive="error"))
    if series not in set(ds["series"].values):
        raise InputError(
            f"series {series!r} is not in the forecast; e.g. {', '.join(ds['series'].values[:3])}",
            field="--series",
            element=series,
        )
    one = ds.sel(series=series).isel(issue_time=0).load()
    target = pd.DatetimeIndex(one["target_time"].values).tz_localize("UTC")
    frame = pd.DataFrame({"target": target, "forecast": one["point_mw"].values})
    for q in (0.05, 0.1, 0.9, 0.95):
        frame[f"q{q:g}"] = one["quantile_mw"].sel(quantile=q).values
    system = default_system()
    catalog = grid_series(system.grid, system.feeders)
    if series not in catalog.index:
        raise InputError(
            f"series {series!r} is no longer in the grid's topology", field="--series", element=series
        )
    history = demand_history(
        system.grid,
        catalog.loc[[series]],
        target[0] - pd.Timedelta(days=7),
        target[-1] + pd.Timedelta(hours=1),
    )[series]
    title = f"{series}: demand forecast issued {target[0]:%Y-%m-%d %H:%M}Z (profiles as actuals)"
    path = plot_forecast(history, frame, out, title)
    actual = history.reindex(target).to_numpy()
    inside = (actual >= frame["q0.1"].to_numpy()) & (actual <= frame["q0.9"].to_numpy())
    return {
        "png": path,
        "series": series,
        "issue_time": f"{target[0]:%Y-%m-%dT%H:%MZ}",
        "mape_pct": round(float(100 * abs(actual / frame["forecast"].to_numpy() - 1).mean()), 3),
        "coverage_80_pct": round(float(100 * inside.mean()), 1),
    }
