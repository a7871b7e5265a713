"""A temporary Prefect API for one command, started early so it boots while the command loads its data.

Prefect runs flows against an API. With none configured (no PREFECT_API_URL) Prefect itself would start a
temporary server only when the first flow begins, and wait for it. Starting the same server (Prefect's
own ``create_app`` under uvicorn, as Prefect does) at the first line of the command lets it boot on the
second core while this process imports pandas, xarray and the grid. With PREFECT_API_URL set (a real
server, ``prefect server start``), nothing is started and runs show in that server's UI.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

#: Server services a one-shot command does not need (schedulers, event triggers, telemetry).
_QUIET_SERVER = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_PAUSE_EXPIRATIONS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_CANCELLATION_CLEANUP_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_REPOSSESSOR_ENABLED": "false",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}

_process: subprocess.Popen | None = None


def start_temporary_api() -> None:
    """Start a temporary API in the background unless PREFECT_API_URL is set; sets PREFECT_API_URL."""
    global _process
    if os.environ.get("PREFECT_API_URL") or _process is not None:
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    import importlib.util

    spec = importlib.util.find_spec("prefect")
    app_dir = Path(spec.origin).parent.parent if spec and spec.origin else Path.cwd()
    _process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(app_dir),
            "--factory",
            "prefect.server.api.server:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "error",
            "--lifespan",
            "on",
        ],
        env={**_bytecode_env(), **_QUIET_SERVER},
        stdout=subprocess.DEVNULL,
    )
    os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    atexit.register(stop_temporary_api)


def _bytecode_env() -> dict[str, str]:
    """The environment for the server: it writes .pyc files as this process does (see flows/__init__)."""
    env = dict(os.environ)
    if not sys.dont_write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def wait_for_api(timeout_s: float = 180.0) -> None:
    """Block until the temporary API answers its health check.

    Raises
    ------
    RuntimeError
        When the server exits or does not answer within ``timeout_s`` seconds.
    """
    if _process is None:
        return
    url = os.environ["PREFECT_API_URL"] + "/health"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _process.poll() is not None:
            raise RuntimeError(f"the temporary Prefect API exited with status {_process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the temporary Prefect API did not answer within {timeout_s:.0f} s")


def stop_temporary_api() -> None:
    """Stop the temporary API, if one was started."""
    global _process
    if _process is None:
        return
    _process.terminate()
    try:
        _process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _process.kill()
        _process.wait()
    _process = None
    os.environ.pop("PREFECT_API_URL", None)
