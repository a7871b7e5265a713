"""A run that finds the store busy waits for it and says so in its log (the real command, another process)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

GRIDFLOW = str(Path(sys.executable).with_name("gridflow"))

_HOLDER = textwrap.dedent(
    """
    import os, sys, time
    from gridcore.store import Store
    with Store(sys.argv[1]).lock("readings"):
        open(sys.argv[2], "w").close()
        t0 = time.monotonic()
        while not os.path.exists(sys.argv[3]) and time.monotonic() - t0 < 600:
            time.sleep(0.05)
    """
)


def test_an_hourly_run_waits_for_a_busy_product_and_logs_it(tmp_path) -> None:
    held, release = tmp_path / "held", tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path / "s"), str(held), str(release)])
    deadline = time.monotonic() + 60
    while not held.exists():
        assert holder.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    # the session's Prefect API (tests/cli/conftest.py): the command starts no server of its own
    env = {k: v for k, v in os.environ.items() if k != "GRIDFLOW_TEMPORARY_API"}
    args = ["run", "hourly", "--at", "2016-07-01T14:00Z", "--meters", "2000", "--store", str(tmp_path / "s")]
    run = subprocess.Popen(
        [GRIDFLOW, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines = []
    try:
        for line in run.stdout:  # the run blocks on the lock until the holder lets go
            lines.append(line)
            if "waiting for the write lock of" in line:
                assert "readings.zarr" in line
                release.touch()
        run.wait(timeout=600)
    finally:
        release.touch()
        holder.wait(timeout=60)
        if run.poll() is None:
            run.kill()
    log = "".join(lines)
    assert run.returncode == 0, log[-2000:]
    assert "waiting for the write lock of" in log and "got the write lock of" in log
