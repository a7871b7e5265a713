"""A retried flow run does not redo the tasks its failed attempt finished (cache keys by hour and run)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import tasks.hourly
import tasks.meters
from flows.hourly import hourly
from gridcore.data.synthetic import fleet_blocks

pytestmark = pytest.mark.flows

METERS = 2_000
AT = "2016-07-01T14:00Z"


def _counted(log: Path, name: str, fn):  # noqa: ANN001, ANN202
    """``fn`` that appends ``name`` to ``log`` each time it runs (the tasks run in this process's threads)."""

    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        with log.open("a") as f:
            f.write(name + "\n")
        return fn(*args, **kwargs)

    return wrapper


def _task_run_states(flow_run_id) -> Counter:  # noqa: ANN001
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            task_run_filter=TaskRunFilter(),
        )
    return Counter((r.task_key.rsplit("-", 1)[0], r.state.name) for r in runs)


def test_a_retried_hourly_run_reads_and_writes_the_hour_once(tmp_path, monkeypatch) -> None:
    log = tmp_path / "executions.txt"
    # the work inside the early tasks, counted: reading a block of meters, the grid feeds, writing the hour
    monkeypatch.setattr(tasks.hourly, "meter_readings", _counted(log, "ami", tasks.hourly.meter_readings))
    monkeypatch.setattr(tasks.hourly, "sensor_readings", _counted(log, "feeds", tasks.hourly.sensor_readings))
    monkeypatch.setattr(
        tasks.hourly.products, "land_hour", _counted(log, "persist", tasks.hourly.products.land_hour)
    )
    # the late step (the run's summary artifact) fails on the first attempt only
    real_summary = tasks.meters.run_summary
    attempts = []

    def summary_failing_once(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("summary failed once (injected)")
        return real_summary(*args, **kwargs)

    monkeypatch.setattr(tasks.meters, "run_summary", summary_failing_once)

    flow = hourly.with_options(retries=1, retry_delay_seconds=0)
    state = flow(at=AT, store=str(tmp_path / "store"), meters=METERS, forecast=False, return_state=True)

    assert state.is_completed(), state.message
    assert len(attempts) == 2  # the late step ran twice: the run was retried
    out = state.result()
    assert out["readings_in"] >= 4 * METERS and out["feeders"] == 10
    # the early steps ran once: the retry read their results back instead of reading and writing again
    blocks = len(fleet_blocks(METERS))
    assert Counter(log.read_text().split()) == {"ami": blocks, "feeds": 1, "persist": 1}
    states = _task_run_states(state.state_details.flow_run_id)
    assert states[("ami_block", "Completed")] == blocks and states[("ami_block", "Cached")] == blocks
    assert states[("persist_hour", "Completed")] == 1 and states[("persist_hour", "Cached")] == 1
    assert states[("publish_summary", "Failed")] == 1 and states[("publish_summary", "Completed")] == 1
    # the run completed: nobody retries it, its cached results are deleted
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

    run = state.state_details.flow_run_id
    assert not list(Path(PREFECT_LOCAL_STORAGE_PATH.value()).glob(f"*-{run}-*"))


def test_a_new_run_of_the_same_hour_does_the_work_again(tmp_path, monkeypatch) -> None:
    log = tmp_path / "executions.txt"
    monkeypatch.setattr(
        tasks.hourly.products, "land_hour", _counted(log, "persist", tasks.hourly.products.land_hour)
    )
    for _ in range(2):
        hourly(at=AT, store=str(tmp_path / "store"), meters=METERS, forecast=False)
    assert log.read_text().split() == ["persist", "persist"]  # results never leak across runs
