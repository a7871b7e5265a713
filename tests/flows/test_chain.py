"""The chain's bookkeeping under a flow: a failed step skips what needs it, with the first cause."""

from __future__ import annotations

import pandas as pd
from prefect import flow

from tasks.chain import Chain, one_line


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
