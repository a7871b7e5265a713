"""cli.common: a command's settings of the environment last as long as the command."""

from __future__ import annotations

import os

import pytest
import typer
from typer.testing import CliRunner

import cli.server
from cli import common
from gridcore.network.grid_spec import GRID_ENV

SET_BY_START = (
    "PREFECT_LOGGING_LEVEL",
    "DASK_LOGGING__DISTRIBUTED",
    "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED",
    "PREFECT_LOGGING_EXTRA_LOGGERS",
)


def _app(seen: dict[str, str | None], fails: bool) -> typer.Typer:
    app = typer.Typer(cls=common.GridflowGroup)

    @app.command()
    def other() -> None:
        """A second command: the app is a group, as ``gridflow`` is."""

    @app.command()
    def cmd(grid: common.PipelineGridOpt = None, as_json: common.JsonOpt = False) -> None:
        common.start_prefect(as_json)
        seen.update({k: os.environ.get(k) for k in (*SET_BY_START, GRID_ENV)})
        if fails:
            raise RuntimeError("the command fails after setting up")

    return app


@pytest.mark.parametrize("fails", [False, True])
def test_start_prefect_and_grid_are_scoped_to_the_command(monkeypatch, fails: bool) -> None:
    monkeypatch.setattr(cli.server, "stop_on_signals", lambda: None)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # no temporary server
    monkeypatch.setenv("PREFECT_LOGGING_EXTRA_LOGGERS", "mine")  # a user's own value is kept as it is
    monkeypatch.delenv("PREFECT_LOGGING_LEVEL", raising=False)
    monkeypatch.setenv(GRID_ENV, "1-MV-semiurb--0-sw")
    before = dict(os.environ)
    seen: dict[str, str | None] = {}
    res = CliRunner().invoke(_app(seen, fails), ["cmd", "--grid", "1-LV-rural2--2-sw", "--json"])
    assert res.exit_code == (1 if fails else 0)
    assert ("the command fails after setting up" in res.output) is fails
    # in force while the command ran
    assert seen["PREFECT_LOGGING_LEVEL"] == "WARNING" and seen["DASK_LOGGING__DISTRIBUTED"] == "warning"
    assert seen["PREFECT_LOGGING_EXTRA_LOGGERS"] == "mine"
    assert seen[GRID_ENV] == "1-LV-rural2--2-sw"
    # and gone once it ended, even by an error
    assert dict(os.environ) == before


def test_set_for_command_outside_a_command_until_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDFLOW_TEST_SCOPED", raising=False)
    monkeypatch.setenv("GRIDFLOW_TEST_KEPT", "old")
    common.set_for_command({"GRIDFLOW_TEST_SCOPED": "1", "GRIDFLOW_TEST_KEPT": "new"})
    assert os.environ["GRIDFLOW_TEST_SCOPED"] == "1" and os.environ["GRIDFLOW_TEST_KEPT"] == "new"
    common.restore_environment()
    assert "GRIDFLOW_TEST_SCOPED" not in os.environ and os.environ["GRIDFLOW_TEST_KEPT"] == "old"


def test_prefect_console_writes_to_the_commands_stderr_and_then_to_its_former_stream() -> None:
    """In one process, commands one after another: each logs to its own stderr, none to a closed one."""
    import io
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    outer = io.StringIO()
    handler = PrefectConsoleHandler(stream=outer)
    log = logging.getLogger("prefect.gridflow-test")
    logging.getLogger("prefect").addHandler(handler)
    app = typer.Typer(cls=common.GridflowGroup)

    @app.command()
    def other() -> None:
        """A second command: the app is a group."""

    @app.command()
    def speak() -> None:
        log.warning("inside the command")

    try:
        for _ in range(2):  # the first command's stderr is closed when the second runs
            res = CliRunner().invoke(app, ["speak"])
            assert res.exit_code == 0 and "inside the command" in res.stderr
            assert handler.stream is outer
        log.warning("after the commands")
    finally:
        logging.getLogger("prefect").removeHandler(handler)
    assert "after the commands" in outer.getvalue() and "inside" not in outer.getvalue()
