"""The chain's bookkeeping under a flow: a failed step skips what needs it, with the first cause."""

from __future__ import annotations

import pandas as pd
from prefect import flow

from tasks.chain import DAILY, HOURLY, Chain, StepDef, one_line


def _boom() -> None:
    raise NotADirectoryError("renewable_forecast is a file\nsecond line")


@flow
def _run() -> tuple[dict, dict]:
    chain = Chain(pd.Timestamp("2016-07-02T09:00Z"))
    chain.step("a", lambda: {"x": 1})
    chain.step("b", _boom, needs=["a"])
    chain.step("c", lambda: 3, needs=["a", "b"])
    chain.step("d", lambda: 4, needs=["c"])
    chain.step("e", lambda: {"skipped": "nothing to do"})
    chain.step("f", lambda: 6, needs=["e"])
    chain.step("g", lambda: 7, needs=["never"])
    return chain.to_dict(), chain.result("d", None) | chain.result("a", {"x": 1})


def test_a_failed_step_skips_its_dependants_and_the_rest_goes_on() -> None:
    steps, results = _run()
    assert steps["a"]["state"] == "Completed" and "reason" not in steps["a"]
    assert steps["b"]["state"] == "Failed"
    assert steps["b"]["reason"] == "NotADirectoryError: renewable_forecast is a file"
    assert steps["c"] == {"state": "Skipped", "reason": f"needs b (failed): {steps['b']['reason']}"}
    assert steps["d"] == {"state": "Skipped", "reason": f"needs c (skipped): {steps['b']['reason']}"}
    assert steps["e"]["state"] == "Skipped" and steps["e"]["reason"] == "nothing to do"
    assert steps["f"]["reason"] == "needs e (skipped): nothing to do"
    assert steps["g"]["reason"] == "needs never, which did not run"
    assert results == {"skipped": steps["d"]["reason"], "x": 1}
    assert one_line(ValueError("")) == "ValueError"


@flow
def _planned() -> dict:
    plan = {
        "a": StepDef(),
        "b": StepDef(("a",)),
        "c": StepDef(("a", "b")),
    }
    chain = Chain(pd.Timestamp("2016-07-02T09:00Z"), plan, off=["b"])
    chain.step("a", _boom)
    chain.step("c", lambda: 3)  # b is off in this run: c needs only a
    chain.step("x", lambda: 4)  # not in the plan: needs nothing
    return chain.to_dict()


def test_a_plan_gives_each_step_its_needs_and_a_step_turned_off_is_not_needed() -> None:
    steps = _planned()
    assert steps["c"]["state"] == "Skipped" and steps["c"]["reason"].startswith("needs a (failed): ")
    assert steps["x"]["state"] == "Completed"


def test_the_flows_plans_are_dags_in_the_order_they_run() -> None:
    for plan in (HOURLY, DAILY):
        seen: set[str] = set()
        for name, step in plan.items():
            assert set(step.needs) | set(step.after) <= seen, name  # each step after what it reads
            assert step.tasks, name
            seen.add(name)
        assert list(plan)[-1] == "report" and plan["report"].needs == ()  # the report always runs
        assert plan["shedding"].needs == ("constraints_remaining",)


def test_the_hourly_flow_refuses_a_store_laid_out_for_another_grid(tmp_path) -> None:
    import pytest
    import xarray as xr

    from flows.hourly import hourly
    from gridcore.errors import InputError

    xr.Dataset(attrs={"grid": "1-LV-rural2--2-sw"}).to_zarr(
        tmp_path / "readings.zarr", consolidated=True, zarr_format=2
    )
    with pytest.raises(InputError, match=r"grid 1-MV-semiurb--0-sw: the store .* made on 1-LV-rural2--2-sw"):
        hourly(at="2016-07-04T20:00Z", store=str(tmp_path), meters=500)
    assert not (tmp_path / "feeder_load.zarr").exists()
