"""The process of a command's temporary Prefect API: Prefect's server app under uvicorn, on loopback.

Started by :func:`cli.server.start_temporary_api` as
``python -P -m cli.api_server --port PORT --parent PID``. It never outlives the command that started
it: the command stops it on exit or on SIGTERM/SIGINT/SIGHUP; on Linux the kernel sends it SIGTERM when
the command dies, even by SIGKILL (``PR_SET_PDEATHSIG``, set before exec); and a watchdog thread here
stops it when its parent process is gone (any platform, and the case where the parent died before the
death signal was armed).
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time

#: Seconds a graceful shutdown may take before the process exits anyway.
SHUTDOWN_GRACE_S = 8.0
#: Seconds between two looks at the parent process.
WATCH_INTERVAL_S = 0.5


def watch_parent(parent: int, interval_s: float = WATCH_INTERVAL_S) -> None:
    """Stop this process when ``parent`` is no longer its parent (it died; the process was re-parented).

    Sends itself SIGTERM (uvicorn shuts down gracefully), then exits hard after
    :data:`SHUTDOWN_GRACE_S` if it is still running.
    """
    while os.getppid() == parent:
        time.sleep(interval_s)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(SHUTDOWN_GRACE_S)
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    """Serve Prefect's API on 127.0.0.1:PORT until stopped or the parent process is gone."""
    parser = argparse.ArgumentParser(prog="python -m cli.api_server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parent", type=int, required=True, help="Process id of the command.")
    args = parser.parse_args(argv)
    threading.Thread(target=watch_parent, args=(args.parent,), name="watch-parent", daemon=True).start()

    import uvicorn

    uvicorn.run(
        "prefect.server.api.server:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        log_level="error",
        lifespan="on",
        timeout_graceful_shutdown=int(SHUTDOWN_GRACE_S / 2),
    )


if __name__ == "__main__":
    main()
