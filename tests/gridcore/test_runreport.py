"""The run report: its Markdown (steps, figures, notes) and the PNGs it draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridcore import runreport

PNG = b"\x89PNG\r\n\x1a\n"
ISSUE = pd.Timestamp("2016-07-02T14:00Z")


def _png(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_markdown_lists_every_step_with_state_and_reason() -> None:
    steps = {
        "ingest": {"state": "Completed", "seconds": 5.4},
        "renewables": {"state": "Failed", "reason": "NotADirectoryError: a|b", "seconds": 0.1},
        "constraints": {"state": "Skipped", "reason": "needs renewables: Failed"},
    }
    md = runreport.run_markdown(
        "Hourly chain", steps, [("shed [MW]", 0.2)], [("SoC [%]", "soc.png")], ["replanned\nnow"]
    )
    lines = md.splitlines()
    assert lines[0] == "# Hourly chain"
    assert "| ingest | Completed | 5.4 |  |" in lines
    assert "| renewables | Failed | 0.1 | NotADirectoryError: a/b |" in lines  # a pipe would break the table
    assert "| constraints | Skipped |  | needs renewables: Failed |" in lines
    assert "| shed [MW] | 0.2 |" in lines and "![SoC [%]](soc.png)" in lines and "- replanned now" in lines
    assert "figure | value" not in runreport.run_markdown("t", steps, [])


def test_forecast_band_figure(tmp_path) -> None:
    lead = np.arange(1, 25)
    point = 5 + np.sin(lead / 4)
    q = point[:, None] * np.array([0.9, 0.95, 1.0, 1.05, 1.1])[None, :]
    target = pd.date_range(ISSUE, periods=24, freq="h").tz_convert(None)
    ds = xr.Dataset(
        {
            "point_mw": (("series", "issue_time", "lead"), point[None, None, :]),
            "quantile_mw": (("series", "issue_time", "lead", "quantile"), q[None, None]),
        },
        coords={
            "series": ["system"],
            "issue_time": [ISSUE.tz_convert(None)],
            "lead": lead,
            "quantile": [0.05, 0.1, 0.5, 0.9, 0.95],
            "target_time": (("issue_time", "lead"), target.values[None, :]),
        },
    )
    actual = pd.Series([5.1, 5.3], index=pd.date_range(ISSUE - pd.Timedelta(hours=2), periods=2, freq="h"))
    path = runreport.forecast_band_figure(ds, tmp_path / "band.png", actual_mw=actual)
    assert _png(tmp_path / "band.png") == (800, 288) and path.endswith("band.png")


def test_soc_series_and_shed_figures(tmp_path) -> None:
    t = pd.date_range("2016-07-02", periods=6, freq="h")
    schedule = xr.Dataset(
        {"soc_mwh": (("battery", "time"), np.full((3, 6), 0.5)), "energy_mwh": ("battery", [1.0, 1.0, 2.0])},
        coords={"battery": ["a", "b", "c"], "time": t, "kind": ("battery", ["home", "home", "feeder"])},
        attrs={"issue_time": "2016-07-02T00:00Z"},
    )
    runreport.soc_figure(schedule, tmp_path / "soc.png")
    runreport.series_figure(
        pd.Series(np.arange(6.0), index=t), tmp_path / "p.png", "price [EUR/MWh]", "Prices"
    )
    plans = [
        {
            "at": "2016-07-02T15:00Z",
            "elements": ["line:83", "line:0"],
            "shed_mw": 0.2,
            "battery_mw": 0.1,
            "dimmed_mw": 0.05,
            "critical_affected": 0,
        },
        {
            "at": "2016-07-02T17:00Z",
            "elements": ["line:2"],
            "shed_mw": 0.4,
            "battery_mw": 0.0,
            "critical_affected": 2,
        },
    ]
    runreport.shed_figure(plans, tmp_path / "shed.png")
    for name in ("soc", "p", "shed"):
        assert _png(tmp_path / f"{name}.png")[0] == 800


def test_loading_map_of_the_default_grid(tmp_path) -> None:
    path = runreport.loading_map_figure(None, pd.Timestamp("2016-07-02T15:00Z"), tmp_path / "map.png", 10.0)
    width, height = _png(tmp_path / "map.png")
    assert path.endswith("map.png") and width > 500 and height > 500


@pytest.mark.parametrize("bad", ["nope-grid-code"])
def test_loading_map_of_an_unknown_grid_is_refused(tmp_path, bad) -> None:
    with pytest.raises(ValueError, match=bad):
        runreport.loading_map_figure(bad, ISSUE, tmp_path / "map.png")


class _Step:
    def __init__(self, needs=(), after=(), tasks="t"):
        self.needs, self.after, self.tasks = tuple(needs), tuple(after), tasks


def test_the_dag_is_drawn_in_layers_of_its_longest_paths(tmp_path) -> None:
    steps = {
        "a": _Step(),
        "b": _Step(["a"]),
        "c": _Step(["a"]),
        "d": _Step(["b", "a"], ["c"]),  # a -> d is implied by a -> b -> d: not drawn
        "e": _Step(["a"], ["d"]),  # two rows down from a: a lane on the right
        "f": _Step(after=["b", "e"]),
    }
    assert runreport.dag_layers(steps) == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 3, "f": 4}
    path = runreport.dag_figure(steps, tmp_path / "dag.png", "test")
    width, height = _png(tmp_path / "dag.png")
    assert path == str(tmp_path / "dag.png")
    runreport.dag_figure({"a": _Step(), "b": _Step(["a"])}, tmp_path / "two.png", "two")
    two = _png(tmp_path / "two.png")
    assert height > 2 * two[1] and width > two[0]  # five rows against two; two columns and a lane
    with pytest.raises(ValueError, match="depends on x, which is not a step"):
        runreport.dag_layers({"a": _Step(["x"])})
    with pytest.raises(ValueError, match="cycle"):
        runreport.dag_layers({"a": _Step(["b"]), "b": _Step(["a"])})
