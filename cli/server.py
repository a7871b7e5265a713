"""A temporary Prefect API for one command, started early so it boots while the command loads its data.

Prefect runs flows against an API. With none configured (no PREFECT_API_URL) Prefect itself would start a
temporary server only when the first flow begins, and wait for it. Starting the same server (Prefect's
own ``create_app`` under uvicorn, as Prefect does) once the command's arguments are checked lets it boot on
the second core while this process imports pandas, xarray and the grid. With PREFECT_API_URL set (a real
server, ``prefect server start``), nothing is started and runs show in that server's UI.

Exactly one server per command, and none outlives it:

* PREFECT_API_URL is set before Prefect is imported (Prefect reads its settings once, at import); if
  Prefect was imported earlier, its settings are refreshed, so it never starts a server of its own.
* The server runs in its own process group (a Ctrl-C in the terminal reaches the command, which reports
  the run's end to the server and then stops it), listens on 127.0.0.1 only, and stops with the command:
  on exit (atexit), on SIGTERM/SIGINT/SIGHUP (see :func:`stop_on_signals`), and when the command is
  killed outright (SIGKILL): Linux sends the server SIGTERM when its parent dies (``PR_SET_PDEATHSIG``),
  and the server also watches its parent (:mod:`cli.api_server`).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from tasks.limits import TEMPORARY_API_ENV

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
#: Seconds a command stopped by a signal may take to report the end of its runs before it exits anyway.
SIGNAL_GRACE_S = 15.0
_PR_SET_PDEATHSIG = 1

_process: subprocess.Popen | None = None
_log: Path | None = None
_libc = None


def start_temporary_api() -> None:
    """Start a temporary API in the background unless PREFECT_API_URL is set; sets PREFECT_API_URL."""
    global _process, _log
    if os.environ.get("PREFECT_API_URL") or _process is not None:
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fd, log = tempfile.mkstemp(prefix="gridflow-api-", suffix=".log")
    _log = Path(log)
    _process = subprocess.Popen(
        [sys.executable, "-P", "-m", "cli.api_server", "--port", str(port), "--parent", str(os.getpid())],
        env={**_bytecode_env(), **_QUIET_SERVER},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=fd,
        preexec_fn=_child_setup(),
    )
    os.close(fd)
    os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    os.environ[TEMPORARY_API_ENV] = "1"
    atexit.register(stop_temporary_api)
    refresh_prefect_settings()


def refresh_prefect_settings() -> None:
    """Make an already imported Prefect read the environment again (PREFECT_API_URL, logging levels).

    Prefect caches its settings when it is imported; without this, a command that imported Prefect
    before its API was started would have Prefect start a second, ephemeral server of its own.
    """
    if "prefect.context" in sys.modules:
        sys.modules["prefect.context"].refresh_global_settings_context()


def _child_setup():  # noqa: ANN202
    """The server's pre-exec step: its own process group; on Linux, SIGTERM when the command dies."""
    global _libc
    if sys.platform.startswith("linux") and _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True)  # this process's symbols, libc's prctl among them
        except OSError:
            _libc = False
    libc = _libc or None

    def setup() -> None:
        os.setpgrp()
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return setup


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
            raise RuntimeError(
                f"the temporary Prefect API exited with status {_process.returncode}: {_last_log_line()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=1) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the temporary Prefect API did not answer within {timeout_s:.0f} s")


def _last_log_line() -> str:
    try:
        lines = [line for line in _log.read_text(errors="replace").splitlines() if line.strip()]
    except (OSError, AttributeError):
        return "no output"
    return lines[-1].strip() if lines else "no output"


def server_pid() -> int | None:
    """Process id of the running temporary API, if any."""
    return _process.pid if _process is not None and _process.poll() is None else None


def stop_temporary_api() -> None:
    """Stop the temporary API, if one was started."""
    global _process, _log
    if _process is None:
        return
    process, _process = _process, None
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if os.environ.get(TEMPORARY_API_ENV):
        os.environ.pop("PREFECT_API_URL", None)
        os.environ.pop(TEMPORARY_API_ENV, None)
    if _log is not None:
        _log.unlink(missing_ok=True)
        _log = None


def stop_on_signals() -> None:
    """Exit cleanly on SIGTERM, SIGHUP (and SIGINT, as KeyboardInterrupt): the server stops with us.

    The signal raises SystemExit (128 + signal) in the main thread, so the flow run reports its end
    (Prefect marks it crashed), the Dask cluster closes and atexit stops the server. If that takes
    longer than :data:`SIGNAL_GRACE_S`, or a second signal arrives, the server is stopped and the
    process exits at once.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)


def _on_signal(signum: int, frame: object) -> None:  # noqa: ARG001
    code = 128 + signum
    for other in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(other, _hard_exit)
    timer = threading.Timer(SIGNAL_GRACE_S, _hard_exit, args=(signum, None))
    timer.daemon = True
    timer.start()
    raise SystemExit(code)


def _hard_exit(signum: int, frame: object) -> None:  # noqa: ARG001
    try:
        stop_temporary_api()
    finally:
        os._exit(128 + signum)
