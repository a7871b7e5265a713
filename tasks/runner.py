"""Where tasks run: a Dask LocalCluster by default, a Dask scheduler when GRIDFLOW_DASK_ADDRESS is set.

Nothing listens beyond this machine unless configured: the LocalCluster's scheduler and worker talk
in-process (``inproc://``); the HTTP endpoints Dask always opens (health, metrics, call stacks, logs)
listen on 127.0.0.1 at a free port; the dashboard is off. ``GRIDFLOW_DASK_DASHBOARD=127.0.0.1:8787``
turns it on at that address (an address of ``0.0.0.0`` would open it to the network: only on purpose).
"""

from __future__ import annotations

import os

from prefect_dask import DaskTaskRunner

#: Where Dask's HTTP endpoints listen without a dashboard: loopback, a free port.
LOOPBACK_ANY_PORT = "127.0.0.1:0"


def dask_runner() -> DaskTaskRunner:
    """The task runner of the flows.

    With ``GRIDFLOW_DASK_ADDRESS`` (e.g. ``tcp://scheduler:8786``) tasks go to that cluster; otherwise to
    a LocalCluster of threads in this process (two workers on two cores), which starts in well under a
    second and shares the loaded grid and fleet with the flow. ``GRIDFLOW_DASK_DASHBOARD`` (an address,
    e.g. ``127.0.0.1:8787``) turns the LocalCluster's dashboard on.
    """
    address = os.environ.get("GRIDFLOW_DASK_ADDRESS")
    if address:
        return DaskTaskRunner(address=address)
    dashboard = os.environ.get("GRIDFLOW_DASK_DASHBOARD", "").strip()
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": 1,
            "threads_per_worker": int(os.environ.get("GRIDFLOW_DASK_THREADS", "2")),
            "processes": False,
            # the scheduler and the worker always serve HTTP (/health, /metrics, ...): loopback only
            "dashboard_address": dashboard or LOOPBACK_ANY_PORT,
            "worker_dashboard_address": LOOPBACK_ANY_PORT,
            "scheduler_kwargs": {"dashboard": bool(dashboard)},
        },
    )
