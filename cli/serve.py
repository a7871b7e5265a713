"""``gridflow serve``: the deployments served to a Prefect server."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from cli.common import fail


def serve(  # registered on the root app by cli.main
    api: Annotated[
        str | None,
        typer.Option(help="Prefect API URL [env PREFECT_API_URL; default http://127.0.0.1:4200/api]."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(help="Flow runs served at once by this process [env GRIDFLOW_SERVE_LIMIT].", min=1),
    ] = int(os.environ.get("GRIDFLOW_SERVE_LIMIT", "4")),
    notify: Annotated[
        str | None,
        typer.Option(
            help="Notification block (type/name, e.g. slack-webhook/grid-ops) told of a failed scheduled "
            "run [env GRIDFLOW_NOTIFY]."
        ),
    ] = None,
) -> None:
    """Serve the hourly, daily and backfill deployments to a Prefect server (`prefect server start`).

    Registers the deployments (tagged, versioned, with concurrency limits) and the automation for a
    failed scheduled run, then runs what the server schedules until stopped.
    """
    url = api or os.environ.get("PREFECT_API_URL") or "http://127.0.0.1:4200/api"
    import urllib.request

    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=5):  # noqa: S310
            pass
    except OSError:
        fail(f"no Prefect server answers at {url}; start one with `uv run prefect server start` and retry")
    os.environ["PREFECT_API_URL"] = url
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "gridcore")  # store-lock waits, cache rebuilds
    logging.getLogger("gridcore").setLevel(logging.INFO)
    from cli.server import refresh_prefect_settings

    refresh_prefect_settings()
    from deployments.serve import serve_all

    typer.echo(f"serving hourly, daily and backfill deployments to {url} (Ctrl-C to stop)", err=True)
    serve_all(limit=limit, notify=notify)
