"""Where tasks run: a Dask LocalCluster by default, a Dask scheduler when GRIDFLOW_DASK_ADDRESS is set.

Nothing listens beyond this machine unless configured: the LocalCluster's scheduler and worker talk
in-process (``inproc://``); the HTTP endpoints Dask always opens (health, metrics, call stacks, logs)
listen on 127.0.0.1 at a free port; the dashboard is off, and the run log says nothing of one.
``GRIDFLOW_DASK_DASHBOARD=127.0.0.1:8787`` turns it on at that address (an address of ``0.0.0.0`` would
open it to the network: only on purpose), and the run log names it.
"""

from __future__ import annotations

import os

from distributed import LocalCluster
from prefect_dask import DaskTaskRunner

#: Where Dask's HTTP endpoints listen without a dashboard: loopback, a free port.
LOOPBACK_ANY_PORT = "127.0.0.1:0"


class GridflowCluster(LocalCluster):
    """A LocalCluster whose ``dashboard_link`` is true: empty while the dashboard is off.

    Dask's scheduler serves its HTTP endpoints (health, metrics) under the service name ``dashboard``
    whether or not the dashboard is on, and a LocalCluster of in-process workers names the machine's
    network address in its link; so prefect-dask logged "The Dask dashboard is available at
    http://<network address>:<port>/status" into every run, though nothing listened there. Here the link
    is empty with ``scheduler_kwargs={"dashboard": False}`` (no such line in the run log), and names the
    host of ``dashboard_address`` (e.g. ``127.0.0.1``) and the port bound when the dashboard is on.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        scheduler = kwargs.get("scheduler_kwargs") or {}
        self._has_dashboard = bool(scheduler.get("dashboard", True))  # type: ignore[union-attr]
        self._dashboard_host = str(kwargs.get("dashboard_address") or "").rpartition(":")[0]
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def dashboard_link(self) -> str:
        """The dashboard's address (``http://host:port/status``); empty while the dashboard is off."""
        if not self._has_dashboard:
            return ""
        link = super().dashboard_link
        port = self.scheduler_info.get("services", {}).get("dashboard")
        if self._dashboard_host in {"", "0.0.0.0", "[::]"} or port is None:  # every interface: Dask's
            return link
        return f"http://{self._dashboard_host}:{port}/status"


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
        cluster_class=GridflowCluster,
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
