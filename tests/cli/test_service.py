"""Safe to run as a service: errors, processes, sockets, retries, failure records, limits, automation.

Where the fault lies between processes the tests run the real ``gridflow`` console script in a
subprocess, without PREFECT_API_URL (so a command starts its own temporary Prefect API, as for a user),
and look at its processes and sockets with psutil.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from prefect import flow, task
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from typer.testing import CliRunner

from cli.main import app
from flows.backfill import backfill_hourly
from flows.daily import daily
from flows.hourly import hourly
from gridcore.data.validation import ContractError
from tasks.hooks import record_failure
from tasks.limits import ensure_limit, hour_limit_name, limits_enabled, store_limit_name
from tasks.policy import RETRIES, retry_unless_bad_input, store_task
from tasks.runner import dask_runner

GRIDFLOW = str(Path(sys.executable).with_name("gridflow"))
AT = "2016-07-01T14:00Z"


#: Set in this process by the harness or by commands run in-process (cli.common.start_prefect), not by a user.
NOT_A_USERS = {
    "PREFECT_API_URL",
    "GRIDFLOW_TEMPORARY_API",
    "PREFECT_LOGGING_LEVEL",
    "PREFECT_LOGGING_EXTRA_LOGGERS",
    "DASK_LOGGING__DISTRIBUTED",
    "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED",
}


def _env() -> dict[str, str]:
    """The environment of a user's shell: no API configured (the harness's is this process's own), and
    none of the log levels an in-process ``--json`` command leaves behind (with Prefect's at WARNING a
    command would never log "Beginning flow run")."""
    return {k: v for k, v in os.environ.items() if k not in NOT_A_USERS}


def _gridflow(
    *args: str, timeout: float = 300, harness: bool = False, api: str | None = None
) -> tuple[subprocess.CompletedProcess, float]:
    """Run the command as a user would; with ``harness``, against the session's Prefect API (no server
    of its own to start: for tests of what a run does, not of how the command starts its API)."""
    env = _env()
    if harness:
        env["PREFECT_API_URL"] = os.environ["PREFECT_API_URL"]
    if api is not None:
        env["PREFECT_API_URL"] = api
    t0 = time.perf_counter()
    res = subprocess.run(
        [GRIDFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return res, time.perf_counter() - t0


def _is_server(proc: psutil.Process) -> bool:
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return False
    return "cli.api_server" in cmd or "uvicorn" in cmd or "prefect.server" in cmd


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# -- bad input: one line, exit 1, before Prefect -------------------------------------------------------


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, str]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a store\n")
    read_only = tmp_path / "read-only-store"
    read_only.mkdir()
    read_only.chmod(0o555)
    csv = tmp_path / "readings.csv"
    csv.write_text("meter_id,timestamp,kwh\nM000001,2016-07-01T14:15:00Z,0.2\n")
    yield {
        "file": str(a_file),
        "ro": str(read_only),
        "csv": str(csv),
        "missing": str(tmp_path / "missing.csv"),
        "store": str(tmp_path / "store"),
    }
    read_only.chmod(0o755)


BAD_INPUT = {
    "store is a file": (["run", "hourly", "--at", AT, "--store", "{file}"], "is a file, not a folder"),
    "store below a file": (["run", "hourly", "--at", AT, "--store", "{file}/store"], "cannot be created"),
    "read-only store": (["run", "hourly", "--at", AT, "--store", "{ro}"], "read-only"),
    "as-of without offset": (
        ["ingest", "meters", "{csv}", "--as-of", "2016-07-01T14:00", "--store", "{store}"],
        "--as-of '2016-07-01T14:00' has no UTC offset",
    ),
    "missing input file": (
        ["ingest", "meters", "{missing}", "--store", "{store}"],
        "missing.csv: no such file",
    ),
    "at=yesterday": (["run", "hourly", "--at", "yesterday", "--store", "{store}"], "not an ISO 8601 time"),
    "end before start": (
        ["backfill", "hourly", "--start", "2016-07-02T00:00Z", "--end", "2016-07-01T00:00Z"],
        "is not after",
    ),
    "missing fleet file": (["storage", "schedule", "--fleet", "{missing}"], "no such file"),
    "bad meters": (["run", "hourly", "--meters", "0", "--store", "{store}"], "--meters"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT), ids=list(BAD_INPUT))
def test_bad_input_is_one_line_exit_1_before_prefect(case: str, inputs: dict[str, str]) -> None:
    args, expected = BAD_INPUT[case]
    # Prefect's API set to a port where nothing listens: a command that reached Prefect before the check
    # would fail with "Failed to reach API at ..." instead of the input's own error
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    res, _ = _gridflow(*(a.format(**inputs) for a in args), api=f"http://127.0.0.1:{closed}/api")
    lines = res.stderr.strip().splitlines()
    assert res.returncode == 1, res.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("gridflow: "), res.stderr[-2000:]
    assert expected in lines[0] and "reach API" not in lines[0], lines[0]
    assert res.stdout == ""


def test_an_error_inside_a_flow_run_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "nokwh.csv"
    bad.write_text("meter_id,timestamp,energy\nM000001,2016-07-01T14:15:00Z,1\n")
    args = ["ingest", "meters", str(bad), "--store", str(tmp_path), "--meters", "2000", "--json"]
    res, _ = _gridflow(*args, harness=True)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [res.stderr.strip()]
    assert res.stderr.startswith("gridflow: nokwh.csv: missing required column(s) kwh")
    res, _ = _gridflow("--debug", *args, harness=True)
    assert res.returncode == 1 and "Traceback" in res.stderr and "ContractError" in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("gridflow: nokwh.csv")


def test_usage_errors_and_debug_through_the_command_group(inputs: dict[str, str]) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["run", "hourly", "--store", inputs["file"]])
    assert res.exit_code == 1 and res.stderr.strip().splitlines() == [res.stderr.strip()]
    res = runner.invoke(app, ["--debug", "run", "hourly", "--store", inputs["file"]])
    assert res.exit_code == 1 and "Traceback" in res.stderr and "InputError" in res.stderr
    res = runner.invoke(app, ["backfill", "hourly", "--start", AT])
    assert res.exit_code == 1 and res.stderr.strip() == "gridflow: Missing option '--end'."


# -- processes: no temporary server outlives its command, one server per command ----------------------


@pytest.mark.parametrize(
    ("sig", "moment"),
    [(signal.SIGKILL, "flow"), (signal.SIGTERM, "flow"), (signal.SIGTERM, "start")],
    ids=["SIGKILL-during-flow", "SIGTERM-during-flow", "SIGTERM-at-start"],
)
def test_a_killed_command_leaves_no_server_behind(sig: signal.Signals, moment: str, tmp_path: Path) -> None:
    args = ["run", "hourly", "--at", AT, "--meters", "20000", "--store", str(tmp_path), "--no-forecast"]
    proc = subprocess.Popen(
        [GRIDFLOW, *args], env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    started = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            if "Beginning flow run" in line:
                started.set()

    threading.Thread(target=read, daemon=True).start()
    command = psutil.Process(proc.pid)
    try:
        if moment == "flow":
            assert started.wait(240), "the flow run did not begin"
        else:  # as soon as the server runs, while the command still loads its data
            deadline = time.monotonic() + 60
            while not any(_is_server(p) for p in command.children(recursive=True)):
                assert time.monotonic() < deadline, "no server started"
                time.sleep(0.05)
        family = command.children(recursive=True)
        servers = [p for p in family if _is_server(p)]
        assert len(servers) == 1, [p.cmdline() for p in family]
        listening = [
            c.laddr.ip
            for p in [command, *family]
            for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        ]
        assert set(listening) <= {"127.0.0.1", "::1"}, listening
        proc.send_signal(sig)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 20
    while any(_alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = [p.cmdline() for p in family if _alive(p)]
    assert not survivors, f"still running after {sig.name} of the command: {survivors}"


def test_one_prefect_server_per_command(tmp_path: Path) -> None:
    # storage schedule used to import Prefect before the API address was set: Prefect started a second
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(
        "battery,kind,sgen,load,pv_share,load_share,power_mw,energy_mwh,export_limit_mw,import_limit_mw\n"
        "H1,home,1,1,0.05,0.01,0.005,0.01,0.001,0.05\n"
    )
    args = ["storage", "schedule", "--at", "2016-07-01T00:00Z", "--horizon", "24", "--fleet", str(fleet)]
    proc = subprocess.Popen(
        [GRIDFLOW, *args, "--store", str(tmp_path), "--json"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    command, servers = psutil.Process(proc.pid), set()
    while proc.poll() is None:
        try:
            servers |= {p.pid for p in command.children(recursive=True) if _is_server(p)}
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert json.loads(out)["units"] == 1
    assert len(servers) == 1, f"{len(servers)} Prefect servers for one command"


def test_prefect_imported_before_the_server_still_uses_it() -> None:
    code = (
        "import os, prefect\n"
        "from prefect.settings import get_current_settings\n"
        "from cli.server import start_temporary_api, stop_temporary_api\n"
        "start_temporary_api()\n"
        "print(get_current_settings().api.url == os.environ['PREFECT_API_URL'])\n"
        "stop_temporary_api()\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=120, check=False
    )
    assert res.stdout.strip() == "True", res.stderr[-2000:]


# -- sockets: nothing beyond 127.0.0.1 during a flow ------------------------------------------------------


@task
def _listening_sockets() -> list[tuple[str, int]]:
    return [
        (c.laddr.ip, c.laddr.port)
        for c in psutil.Process().net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]


@pytest.mark.parametrize("dashboard", [None, "127.0.0.1:0"], ids=["default", "dashboard-on-loopback"])
def test_no_socket_beyond_loopback_during_a_flow(dashboard: str | None, monkeypatch, caplog) -> None:
    if dashboard:
        monkeypatch.setenv("GRIDFLOW_DASK_DASHBOARD", dashboard)

    @flow(task_runner=dask_runner())
    def probe() -> list[tuple[str, int]]:
        return _listening_sockets.submit().result()

    with caplog.at_level(logging.INFO, logger="prefect.task_runner.dask"):
        sockets = probe()
    assert sockets, "Dask's HTTP endpoints should be listening during the flow"
    assert {ip for ip, _ in sockets} <= {"127.0.0.1", "::1"}, sockets
    # the run log names a dashboard only when there is one, and then where it listens
    said = [r.getMessage() for r in caplog.records if "Dask dashboard" in r.getMessage()]
    if dashboard is None:
        assert said == []
    else:
        link = re.fullmatch(r"The Dask dashboard is available at http://127\.0\.0\.1:(\d+)/status", said[0])
        assert len(said) == 1 and link and ("127.0.0.1", int(link[1])) in sockets, (said, sockets)


# -- retries: transient failures retry, bad input does not ----------------------------------------------


def test_retry_condition_skips_bad_input() -> None:
    calls: list[str] = []

    @task(**{**store_task(), "retry_delay_seconds": 0, "retry_jitter_factor": None})
    def feed(kind: str) -> None:
        calls.append(kind)
        raise ContractError("meter_readings: kwh missing") if kind == "input" else OSError("feed timed out")

    @flow
    def run(kind: str) -> None:
        feed(kind, return_state=True)

    run("input")
    assert calls == ["input"]  # no retry on bad input
    calls.clear()
    run("transient")
    assert calls == ["transient"] * (RETRIES + 1)


def test_every_task_has_a_timeout_and_store_tasks_retry_unless_bad_input() -> None:
    from prefect import Task

    import tasks.batteries
    import tasks.forecast
    import tasks.hourly
    import tasks.meters
    import tasks.reports
    import tasks.storage

    modules = (tasks.batteries, tasks.forecast, tasks.hourly, tasks.meters, tasks.reports, tasks.storage)
    found = {name: obj for m in modules for name, obj in vars(m).items() if isinstance(obj, Task)}
    assert len(found) >= 14
    for name, t in found.items():
        assert t.timeout_seconds and t.timeout_seconds > 0, name
    for name in (
        "ami_block",
        "grid_feeds",
        "persist_hour",
        "record_quality",
        "read_file",
        "persist_import",
        "missing_hours",
        "day_report",
        "update_storage_health",
        "forecast_feeder",
        "retrain_feeder",
    ):
        assert found[name].retries >= 2 and found[name].retry_condition_fn is retry_unless_bad_input, name


# -- failures: a one-line message in the run, a record in the store -------------------------------------


def test_a_bad_parameter_from_the_ui_fails_the_run_in_one_line_with_a_record(tmp_path: Path) -> None:
    state = hourly(at="yesterday", store=str(tmp_path), meters=2000, return_state=True)
    assert state.is_failed()
    assert "\n" not in state.message and "pandas" not in state.message.lower()
    assert "invalid parameter at: 'yesterday' is not an ISO 8601 time" in state.message
    records = list((tmp_path / "runs" / "failed").glob("hourly-operations-*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    assert record["flow"] == "hourly-operations" and record["parameters"]["at"] == "yesterday"
    assert record["state"] == "Failed" and "not an ISO 8601 time" in record["error"]


def test_a_run_failing_inside_writes_its_failure_record(tmp_path: Path) -> None:
    state = backfill_hourly(
        start="2016-07-02T00:00Z",
        end="2016-07-01T00:00Z",
        store=str(tmp_path),
        meters=2000,
        return_state=True,
    )
    assert state.is_failed()
    (record,) = (tmp_path / "runs" / "failed").glob("backfill-hourly-*.json")
    data = json.loads(record.read_text())
    assert data["error"] == "end 2016-07-01T00:00Z is not after start 2016-07-02T00:00Z"
    for scheduled in (hourly, daily, backfill_hourly):
        assert record_failure in scheduled.on_failure_hooks
        assert scheduled.persist_result is True


# -- concurrency: one run per hour, a few per store ---------------------------------------------------


def _start_waiting(run, caplog, says: str) -> tuple[threading.Thread, list]:
    """Start ``run`` in a thread; return once the log ``says`` it waits (at most 180 s) or it ended.

    The thread appends the run's result to the returned list when it ends.
    """
    result: list = []
    runner = threading.Thread(target=lambda: result.append(run()), daemon=True)
    runner.start()
    deadline = time.monotonic() + 180

    def said() -> bool:
        return any(says in r.message for r in caplog.records)

    while time.monotonic() < deadline and runner.is_alive() and not said():
        time.sleep(0.2)
    return runner, result


def test_a_run_of_a_busy_hour_waits_and_says_so(tmp_path: Path, caplog) -> None:
    assert limits_enabled()  # the harness is a real server, not a command's temporary API
    hour = pd.Timestamp(AT)
    name = hour_limit_name(hour)
    assert name == "gridflow-hour-20160701T14Z"
    ensure_limit(name, 1)
    caplog.set_level("INFO")
    with concurrency(name, occupy=1, strict=True):  # another run is writing this hour
        runner, result = _start_waiting(
            lambda: hourly(at=AT, store=str(tmp_path), meters=2000, forecast=False, return_state=True),
            caplog,
            "waiting for hour",
        )
        assert any(
            f"waiting for hour 2016-07-01T14:00Z: another run holds it (concurrency limit {name})"
            in r.message
            for r in caplog.records
        )
        assert not result  # still waiting while the slot is held
    runner.join(180)
    assert result and result[0].is_completed()
    assert any("is free after" in r.message for r in caplog.records)
    with get_client(sync_client=True) as client:  # the idle hour's limit is gone again
        names = {lim.name for lim in client.read_global_concurrency_limits(limit=200)}
    assert name not in names
    assert store_limit_name(tmp_path) in names


def test_a_backfill_takes_its_days_hour_slots_at_once_and_waits_for_a_busy_one(
    tmp_path: Path, caplog
) -> None:
    """The hours of a day are taken in one request (all or none): one of them busy, the backfill waits."""
    hours = [pd.Timestamp("2016-07-01T01:00Z"), pd.Timestamp("2016-07-01T02:00Z")]
    busy, other = (hour_limit_name(h) for h in reversed(hours))
    ensure_limit(busy, 1)
    caplog.set_level("INFO")
    with concurrency(busy, occupy=1, strict=True):  # another run is writing 02:00
        runner, result = _start_waiting(
            lambda: backfill_hourly(
                start="2016-07-01T01:00Z", end="2016-07-01T03:00Z", store=str(tmp_path), meters=200
            ),
            caplog,
            "waiting for hours",
        )
        with get_client(sync_client=True) as client:  # 01:00 is free, yet not taken alone
            assert client.read_global_concurrency_limit_by_name(other).active_slots == 0
        assert not result
    runner.join(180)
    assert result and result[0]["hours"] == 2
    waiting = [r.message for r in caplog.records if "waiting for hours" in r.message]
    assert waiting == [
        "waiting for hours 2016-07-01T01:00Z-2016-07-01T02:00Z: another run holds one of them "
        f"(concurrency limit {other}, {busy})"
    ]
    with get_client(sync_client=True) as client:  # both idle again: deleted
        names = {lim.name for lim in client.read_global_concurrency_limits(limit=200)}
    assert not {busy, other} & names


def test_store_limit_names_are_per_store(tmp_path: Path) -> None:
    a, b = store_limit_name(tmp_path / "a"), store_limit_name(tmp_path / "b")
    assert a != b and a.startswith("gridflow-store-a-") and store_limit_name(tmp_path / "a") == a


def test_limits_are_off_on_a_commands_temporary_api(monkeypatch) -> None:
    monkeypatch.setenv("GRIDFLOW_TEMPORARY_API", "1")
    assert not limits_enabled()
    monkeypatch.setenv("GRIDFLOW_LIMITS", "on")
    assert limits_enabled()


# -- deployments and the automation, on a real (temporary) Prefect server --------------------------------


# apprise, behind Prefect's notification blocks, still imports imghdr
@pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")
def test_failed_run_automation_is_created_once_on_the_server() -> None:
    from prefect.automations import Automation
    from prefect.blocks.notifications import SlackWebhook

    from deployments.automations import FAILED_RUN_AUTOMATION, ensure_failed_run_automation

    first = ensure_failed_run_automation()
    again = ensure_failed_run_automation()
    assert first.id == again.id
    with get_client(sync_client=True) as client:
        assert len(client.read_automations_by_name(FAILED_RUN_AUTOMATION)) == 1
    stored = Automation.read(name=FAILED_RUN_AUTOMATION)
    assert stored.enabled and stored.actions[0].type == "do-nothing"
    assert {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"} <= stored.trigger.expect
    ids = [spec.root["prefect.resource.id"] for spec in stored.trigger.match_related]
    related = {i for v in ids for i in (v if isinstance(v, list) else [v])}
    assert related == {"prefect.tag.gridflow", "prefect.tag.auto-scheduled"}

    SlackWebhook(url="https://hooks.slack.com/services/T0/B0/X").save("grid-ops", overwrite=True)
    notified = ensure_failed_run_automation("slack-webhook/grid-ops")
    assert notified.id == first.id
    action = Automation.read(name=FAILED_RUN_AUTOMATION).actions[0]
    assert action.type == "send-notification" and "{{ flow_run.name }}" in action.subject
    with pytest.raises(ValueError, match="no such block"):
        ensure_failed_run_automation("slack-webhook/nobody")


def test_deployments_are_tagged_versioned_and_limited() -> None:
    from deployments.serve import DEPLOYMENT_LIMITS, code_version, deployments

    version = code_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+(\+g[0-9a-f]{4,}(\.dirty)?)?", version), version
    with get_client(sync_client=True) as client:
        for d in deployments():
            d.apply()
            stored = client.read_deployment_by_name(f"{d.flow_name}/{d.name}")
            assert set(stored.tags) == {"gridflow", d.name}
            assert stored.version == version
            assert stored.global_concurrency_limit.limit == DEPLOYMENT_LIMITS[d.name]
            assert stored.concurrency_options.collision_strategy == "ENQUEUE"
            assert stored.enforce_parameter_schema
