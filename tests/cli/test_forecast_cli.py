"""The forecast commands on load files without weather and with a few weeks of history."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from cli.main import app

sys.path.insert(0, str(Path(__file__).parents[1] / "gridcore" / "forecast"))
from test_forecast import synthetic_load  # noqa: E402


def write(frame: pd.DataFrame, path: Path) -> Path:
    """A load file in the common format."""
    out = frame.copy()
    out.insert(0, "timestamp", out.index.strftime("%Y-%m-%dT%H:%M:%SZ"))
    out.to_csv(path, index=False)
    return path


def run(*args: str) -> dict[str, object]:
    res = CliRunner().invoke(app, ["forecast", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_weather_none_forces_load_and_calendar_and_a_file_without_weather_gets_it(tmp_path) -> None:
    df = synthetic_load(60)
    with_temp = write(df, tmp_path / "with.csv")
    without = write(df[["load_mw"]], tmp_path / "without.csv")
    common = ["--horizon", "24", "--test-days", "10", "--train-days", "40", "--tz", "Etc/GMT+5"]
    forced = run("backtest", "--csv", str(with_temp), "--weather", "none", *common)
    plain = run("backtest", "--csv", str(without), *common)  # the default (forecast) has nothing to use
    observed = run("backtest", "--csv", str(with_temp), "--weather", "observed", *common)
    assert forced["weather"] == plain["weather"] == "none" and observed["weather"] == "observed"
    assert forced["mape_pct"] == plain["mape_pct"] and forced["coverage_80_pct"] == plain["coverage_80_pct"]
    assert forced["mape_pct"] != observed["mape_pct"]
    assert not any(f.startswith(("temp", "hdh", "cdh")) for f in forced["model"]["features"])
    # 10 daily test origins, the last ones with a full day of load after them (the file ends 2012-03-01),
    # each calibrated on the 28 origins before it (the default; 50 days of load precede the first)
    assert forced["n_origins"] == 10 and forced["test_origins_skipped_short_history"] == 0
    assert (forced["test_start"], forced["test_end"]) == ("2012-02-20T00:00Z", "2012-03-01T00:00Z")
    assert f"{df.index[-1] + pd.Timedelta(hours=1):%Y-%m-%dT%H:%MZ}" == forced["test_end"]
    assert (
        forced["calibration_origins_min"]
        == forced["calibration_origins_max"]
        == forced["calibration_days"]
        == 28
    )
    assert (
        forced["train_days_min"] == 40
        and forced["train_days_max"] == 40
        and forced["baseline"]["name"] == "seasonal_naive_7d"
    )
    png = tmp_path / "f.png"
    drawn = run(
        "plot",
        "--csv",
        str(without),
        "--at",
        f"{df.index[24 * 55]:%Y-%m-%dT%H:%MZ}",
        "--horizon",
        "24",
        "--tz",
        "Etc/GMT+5",
        "--out",
        str(png),
    )
    assert drawn["weather"] == "none" and png.stat().st_size > 0 and np.isfinite(drawn["mape_pct"])
    assert drawn["train_days_min"] == 55


def test_too_short_a_file_is_refused_with_what_it_needs(tmp_path) -> None:
    short = write(synthetic_load(60).iloc[: 24 * 12], tmp_path / "short.csv")
    res = CliRunner().invoke(app, ["forecast", "backtest", "--csv", str(short), "--json"])
    assert res.exit_code == 1
    assert "needs 360 h (15 days) of load before its origin" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    bad = CliRunner().invoke(
        app, ["forecast", "backtest", "--csv", str(short), "--weather", "sunny", "--json"]
    )
    assert bad.exit_code == 1 and "observed, forecast or none" in bad.stderr
