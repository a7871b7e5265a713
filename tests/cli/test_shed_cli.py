"""``gridflow shed plan`` and ``gridflow shed scenarios`` through the real command line."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from gridcore.lookahead.report import ConstraintReport
from gridcore.lookahead.store import write_constraint_periods
from gridcore.network.constraints import ConstraintPeriod
from gridcore.shedding.commands import ShedCommand

runner = CliRunner()
KEYS = {
    "needed_mw",
    "shed_mw",
    "customers_affected",
    "critical_affected",
    "unserved_mwh",
    "cost",
    "rotation",
    "remaining_constraints",
    "seconds",
    "commands",
    "dimmed_mw",
    "battery_mw",
    "curtailed_mw",
}


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_plan_for_a_shortfall_writes_the_plan_file(tmp_path):
    out = tmp_path / "plan.json"
    j = _json(
        [
            "shed",
            "plan",
            "--shortfall-mw",
            "1",
            "--at",
            "2016-07-01T18:00Z",
            "--meters",
            "5000",
            "--out",
            str(out),
            "--store",
            str(tmp_path / "store"),
            "--json",
        ]
    )
    assert set(j) >= KEYS
    assert j["shed_mw"] >= j["needed_mw"] == 1.0 and j["critical_affected"] == 0 and j["seconds"] < 1
    saved = json.loads(out.read_text())
    commands = [ShedCommand.from_dict(c) for c in saved["commands"]]
    assert commands and {c.action for c in commands} == {"shed", "restore"}
    assert j["out"] == str(out)


def test_plan_for_an_element_at_a_study_case_table_output():
    result = runner.invoke(
        app, ["shed", "plan", "--grid", "1-LV-rural2--2-sw", "--study-case", "hL", "--element", "trafo:0"]
    )
    assert result.exit_code == 0, result.output
    assert "remaining_constraints" in result.stdout and "dimmed_mw" in result.stdout


def test_plan_for_an_event_file(tmp_path):
    f = tmp_path / "event.json"
    f.write_text(
        json.dumps(
            {
                "start": "2016-07-01T18:00Z",
                "hours": 4,
                "constraints": [{"element": "supply", "relief_mw": 0.5}],
            }
        )
    )
    j = _json(["shed", "plan", "--event", str(f), "--meters", "3000", "--json"])
    assert j["hours"] == 4.0 and len(j["rotation"]["slots"]) == 2
    assert j["shed_mw"] >= 0.5 - 1e-6


def test_plan_from_the_store(tmp_path):
    t = pd.Timestamp("2016-07-01T18:00Z")
    periods = [
        ConstraintPeriod("supply", "shortfall", t, t + pd.Timedelta(hours=2), 6.0, t, 0.4, 2, 5.6),
        ConstraintPeriod(
            "supply",
            "shortfall",
            t + pd.Timedelta(days=1),
            t + pd.Timedelta(days=1, hours=1),
            6.0,
            t,
            0.2,
            1,
            5.8,
        ),
    ]
    report = ConstraintReport("1-MV-semiurb--0-sw", t, 48, periods, {"load": "profiles"})
    write_constraint_periods(tmp_path, report)
    j = _json(["shed", "plan", "--from-store", "--store", str(tmp_path), "--meters", "3000", "--json"])
    assert j["periods"] == 2 and len(j["plans"]) == 2
    assert j["plans"][0]["shed_mw"] >= 0.4 - 1e-6 and j["plans"][1]["shed_mw"] >= 0.2 - 1e-6
    assert j["critical_affected"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "2016-07-01T18:00Z"], "give --shortfall-mw"),
        (["--shortfall-mw", "1"], "--at"),
        (["--shortfall-mw", "1", "--at", "2016-07-01T18:00"], "offset"),
        (["--element", "switch:3", "--at", "2016-07-01T18:00Z"], "switch:3"),
        (["--shortfall-mw", "1", "--at", "2016-07-01T18:00Z", "--grid", "no-such-grid"], "--grid"),
        (["--from-store", "--store", "EMPTY"], "no constraint periods"),
    ],
)
def test_bad_input_is_one_line(args, message, tmp_path):
    args = [str(tmp_path) if a == "EMPTY" else a for a in args]
    result = runner.invoke(app, ["shed", "plan", *args, "--json"])
    assert result.exit_code != 0
    assert message in result.output


def test_bad_priority_file_names_the_key(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text("[classes.residential]\nshed_order = 'first'\n")
    result = runner.invoke(
        app,
        [
            "shed",
            "plan",
            "--shortfall-mw",
            "1",
            "--at",
            "2016-07-01T18:00Z",
            "--priorities",
            str(f),
            "--json",
        ],
    )
    assert result.exit_code == 1
    assert "classes.residential.shed_order" in result.output


def test_scenarios(tmp_path):
    j = _json(
        [
            "shed",
            "scenarios",
            "--grid",
            "1-LV-rural2--2-sw",
            "--at",
            "2016-01-15T17:00Z",
            "--out",
            str(tmp_path),
            "--store",
            str(tmp_path / "empty-store"),
            "--json",
        ]
    )
    assert len(j["rows"]) == 9
    assert (tmp_path / "shed_scenarios.csv").exists() and (tmp_path / "shed_scenarios.png").exists()
    result = runner.invoke(
        app,
        [
            "shed",
            "scenarios",
            "--grid",
            "1-LV-rural2--2-sw",
            "--at",
            "2016-01-15T17:00Z",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0 and "6 h event" in result.stdout
