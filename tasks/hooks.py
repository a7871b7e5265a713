"""State hooks of the scheduled flows: a failed run logs and leaves a record in the store.

``<store>/runs/failed/<flow>-<YYYYMMDDTHHMMSS>Z-<run>.json`` holds the flow, the run (id, name,
deployment), its parameters, the final state and the error in one line: what an operator needs to rerun
the hour, readable without the Prefect server. The automation of :mod:`deployments.automations` reacts
to the same failure on the server side.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gridcore.checks import default_store_path
from tasks.errors import error_line

#: Folder of the failure records, under the store.
FAILED_DIR = Path("runs") / "failed"


def failure_record(flow: Any, flow_run: Any, state: Any) -> dict[str, object]:
    """What a failed run leaves behind: flow, run, parameters, state and the error (one line)."""
    error = None
    try:
        exc = state.result(raise_on_failure=False)
        if isinstance(exc, BaseException):
            error = error_line(exc)
    except Exception:  # noqa: BLE001 (the result may be unreadable; the state message remains)
        pass
    return {
        "flow": flow.name,
        "flow_run_id": str(flow_run.id),
        "flow_run_name": flow_run.name,
        "deployment_id": str(flow_run.deployment_id) if flow_run.deployment_id else None,
        "tags": list(flow_run.tags or []),
        "parameters": dict(flow_run.parameters or {}),
        "state": state.name,
        "message": state.message,
        "error": error,
        "failed_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def write_failure_record(store: str | Path, record: dict[str, object]) -> Path:
    """Write ``record`` as ``<store>/runs/failed/<flow>-<time>Z-<run>.json`` (whole or not at all)."""
    folder = Path(store) / FAILED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = str(record["failed_at"]).replace("-", "").replace(":", "").rstrip("Z")
    path = folder / f"{record['flow']}-{stamp}Z-{str(record['flow_run_id'])[:8]}.json"
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(record, indent=2, default=str) + "\n")
    tmp.replace(path)
    return path


def record_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """``on_failure`` hook: log the failure and write its record under the run's store.

    Never raises: a store that cannot be written (it may be why the run failed) is logged instead.
    """
    from prefect.logging.loggers import flow_run_logger

    logger = flow_run_logger(flow_run, flow)
    record = failure_record(flow, flow_run, state)
    store = (flow_run.parameters or {}).get("store") or default_store_path()
    try:
        path = write_failure_record(store, record)
    except OSError as err:
        logger.error(
            "run failed: %s; the failure record could not be written to %s: %s",
            record["error"] or record["message"],
            store,
            err,
        )
        return
    logger.error("run failed: %s; failure recorded in %s", record["error"] or record["message"], path)
