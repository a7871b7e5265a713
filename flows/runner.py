"""Where tasks run: a Dask LocalCluster by default, a Dask scheduler when GRIDFLOW_DASK_ADDRESS is set."""

from __future__ import annotations

import os

from prefect_dask import DaskTaskRunner


def dask_runner() -> DaskTaskRunner:
    """The task runner of the flows.

    With ``GRIDFLOW_DASK_ADDRESS`` (e.g. ``tcp://scheduler:8786``) tasks go to that cluster; otherwise to
    a LocalCluster of threads in this process (two workers on two cores), which starts in well under a
    second and shares the loaded grid and fleet with the flow.
    """
    address = os.environ.get("GRIDFLOW_DASK_ADDRESS")
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": 1,
            "threads_per_worker": int(os.environ.get("GRIDFLOW_DASK_THREADS", "2")),
            "processes": False,
            # the scheduler always serves /health on HTTP; a free port avoids clashing with other clusters
            "dashboard_address": ":0",
            "scheduler_kwargs": {"dashboard": False},
        },
    )
