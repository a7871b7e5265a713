"""The scenarios as a Prefect flow: one task per scenario, through ``gridflow scenario run-all``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.scenarios import scenarios

GRIDFLOW = str(Path(sys.executable).with_name("gridflow"))
#: Keys every scenario's summary has (the issue's contract).
SUMMARY = {
    "scenario",
    "constraints_found",
    "constraints_resolved",
    "critical_affected",
    "unserved_mwh",
    "peak_reduction_pct",
    "renewable_utilization_pct",
    "report",
    "seconds",
}


def test_a_scenario_that_fails_is_listed_and_the_set_goes_on(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text('name = "broken"\nstart = "2016-07-01T00:00Z"\nhours = -3\n', encoding="utf-8")
    out = scenarios(names=[str(bad)], out=str(tmp_path / "reports"))
    assert out["scenarios"] == [] and list(out["failed"]) == [str(bad)]
    assert out["failed"][str(bad)].startswith("InputError: ") and "hours" in out["failed"][str(bad)]
    assert out["seconds"] > 0 and out["sum_seconds"] == 0
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["scenarios"]))
        )[-1:]
    assert "(0 run, 1 failed" in artifact.data and f"| {bad} |" in artifact.data


def test_run_all_fans_two_scenarios_out_on_the_commands_own_prefect_api(tmp_path: Path) -> None:
    # a user's shell: no PREFECT_API_URL (the harness's), so the command starts its temporary API
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GRIDFLOW_TEMPORARY"))}
    res = subprocess.run(
        [GRIDFLOW, "scenario", "run-all", "plant-outage", "heat-wave", "--store", str(tmp_path), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["failed"] == {} and [s["scenario"] for s in out["scenarios"]] == ["plant-outage", "heat-wave"]
    for s in out["scenarios"]:
        assert set(s) >= SUMMARY, s["scenario"]
        report = Path(s["report"])
        assert report == tmp_path / "scenarios" / s["scenario"] / "report.md" and report.is_file()
        assert {"demand.png", "grid.png", "remedies.png"} <= {p.name for p in report.parent.iterdir()}
        written = json.loads((report.parent / "summary.json").read_text(encoding="utf-8"))
        for key in SUMMARY - {"seconds"}:
            assert written[key] == s[key], (s["scenario"], key)
        assert s["constraints_resolved"] == s["constraints_found"] >= 1 and s["critical_affected"] == 0
    outage, heat = out["scenarios"]
    assert outage["constraints_before"]["shortfall"] == 1
    assert outage["unserved_mwh"] > 0 and heat["constraints_before"]["overload"] >= 1
    # the two ran side by side: the set took less than their times added
    assert 0 < out["seconds"] < out["sum_seconds"] and out["seconds"] < out["command_seconds"]
