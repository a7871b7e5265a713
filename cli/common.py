"""What every ``gridflow`` command shares: errors, ``--debug``, option checks, starting Prefect, output.

One module, so the command line can move to its own package without touching the commands' logic:

* **Errors**: the root command group (:class:`GridflowGroup`) catches any error of any command and prints
  one line, ``gridflow: <message>``, on stderr, exit status 1. Prefect's wrappers are unwrapped (the
  line is the flow's own error), Prefect's console log of a failed run loses its traceback, and usage
  errors (a missing option, a bad number) come out the same way. ``gridflow --debug ...`` (or
  GRIDFLOW_DEBUG=1) prints the traceback and Prefect's full logs instead.
* **Checks before Prefect**: option callbacks (:data:`StoreOpt`, :func:`time_option`,
  :func:`check_input_file`) check times, input files and the store while the arguments are parsed, in
  milliseconds, before any command imports pandas or starts Prefect (:mod:`gridcore.checks`).
* **Prefect**: :func:`start_prefect` starts the command's temporary API (:mod:`cli.server`) once the
  arguments are checked, and stops it with the command whatever ends it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from gridcore.checks import InputError, default_store_path, input_file, store_folder, utc_time
from tasks.errors import error_line, unwrap

_debug = False


def set_debug(on: bool) -> None:
    """Show tracebacks and Prefect's full console logs (``--debug`` or GRIDFLOW_DEBUG=1)."""
    global _debug
    _debug = on or os.environ.get("GRIDFLOW_DEBUG", "") not in {"", "0", "false"}


def debug() -> bool:
    """Whether ``--debug`` is on."""
    return _debug


# -- errors ---------------------------------------------------------------------------------------


class GridflowGroup(TyperGroup):
    """The root command group: any error of a command becomes one line on stderr and exit status 1."""

    def invoke(self, ctx: typer.Context) -> Any:
        """Run the command; report an error as ``gridflow: <message>`` (the traceback under --debug)."""
        try:
            with follow_stderr():
                return super().invoke(ctx)
        except (typer.Exit, typer.Abort, BrokenPipeError):
            raise  # typer's own handling: exit codes, Ctrl-C, a closed pipe (``| head``)
        except Exception as exc:  # noqa: BLE001 (every error of every command ends here)
            if type(exc).__name__ == "NoArgsIsHelpError":
                raise  # a group without its command: typer prints the group's help
            report(exc)
            raise typer.Exit(1) from None
        finally:
            restore_environment()  # what the command set for itself (see set_for_command)


def report(exc: BaseException) -> None:
    """Print the error: one line on stderr, or its traceback and the line under ``--debug``."""
    if _debug:
        traceback.print_exception(exc, file=sys.stderr)
    typer.echo(f"gridflow: {error_line(exc, _debug)}", err=True)


class _OneLineConsole(logging.Filter):
    """Prefect's console log without tracebacks and without its own report of a failed run.

    The failure is printed once, as one line, by :func:`report`; the server (and its UI) still receives
    every log line with its traceback. Not installed under ``--debug``. (No Dask dashboard line to hide:
    :class:`tasks.runner.GridflowCluster` names a dashboard only when there is one.)
    """

    def __init__(self) -> None:
        super().__init__("gridflow-one-line")
        import prefect

        self.prefect_dir = str(Path(prefect.__file__).parent)

    def filter(self, record: logging.LogRecord) -> bool:
        if _debug:
            return True
        if record.pathname.startswith(self.prefect_dir):
            if record.levelno >= logging.ERROR or record.exc_info:
                return False
            if str(record.msg).startswith("Finished in state") and (
                "Failed" in record.getMessage() or "Crashed" in record.getMessage()
            ):
                return False
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


@contextmanager
def follow_stderr() -> Iterator[None]:
    """Point Prefect's console handlers at the current ``sys.stderr`` while a command runs.

    They keep the stream that was ``sys.stderr`` when Prefect set its logging up. A program that runs
    commands in its own process (a test's CliRunner, a notebook) swaps ``sys.stderr`` per command and
    closes it afterwards; a log line of the command then went to the program's own stream, and a late
    one of an earlier command to a closed file, whose logging errors recursed until Python's recursion
    limit ended the next command. When the command ends, the handlers writing to its stream get their
    former stream back (``sys.__stderr__`` for those set up during the command).
    """
    ours = sys.stderr
    former = {h: h.stream for h in _console_handlers()}
    _point(former, ours)
    try:
        yield
    finally:
        for handler in _console_handlers():
            if handler.stream is ours:
                _point([handler], former.get(handler, sys.__stderr__))


def _console_handlers() -> list[logging.StreamHandler]:
    """Prefect's console handlers on the root, ``prefect``, ``uvicorn`` and ``fastapi`` loggers."""
    if "prefect.logging.handlers" not in sys.modules:
        return []
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in ("prefect", "uvicorn", "fastapi"))]
    return [h for h in {h for lg in loggers for h in lg.handlers} if isinstance(h, PrefectConsoleHandler)]


def _point(handlers: Iterable[logging.StreamHandler], stream: object) -> None:
    """Set each handler's stream and its rich console's file (not setStream: it flushes the old one)."""
    for handler in handlers:
        with handler.lock or nullcontext():
            handler.stream = stream
            handler.console.file = stream  # type: ignore[attr-defined]


def quiet_prefect_console() -> None:
    """Attach :class:`_OneLineConsole` to Prefect's console handlers (once Prefect is imported)."""
    for handler in _console_handlers():
        if not any(isinstance(f, _OneLineConsole) for f in handler.filters):
            handler.addFilter(_OneLineConsole())


def fail(message: str) -> None:
    """Exit 1 with ``gridflow: <message>`` on stderr."""
    typer.echo(f"gridflow: {message}", err=True)
    raise typer.Exit(1)


# -- option checks (run while the arguments are parsed, before Prefect) -----------------------------


def _name(param: typer.CallbackParam) -> str:
    if param.param_type_name == "argument" or not param.opts:
        return str(param.name or "value").upper()
    return param.opts[0]


def check_time(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """Option callback: an ISO 8601 time with offset (the option's name in the message)."""
    if value is not None and not ctx.resilient_parsing:
        utc_time(value, _name(param))
    return value


def check_input_file(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Option callback: an input file that exists and can be read."""
    if value is not None and not ctx.resilient_parsing:
        input_file(value, _name(param))
    return value


def check_store(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Option callback: the store (given, GRIDFLOW_STORE or the default) is a writable folder or creatable."""
    if ctx.resilient_parsing:
        return value
    if value is not None:
        store_folder(value, _name(param))
    elif os.environ.get("GRIDFLOW_STORE"):
        store_folder(default_store_path(), "GRIDFLOW_STORE")
    else:
        store_folder(default_store_path(), "the default store")
    return value


def check_read_store(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Option callback: a store only read: a folder (or nothing yet), never a file."""
    from gridcore.checks import InputError

    target = Path(value) if value is not None else Path(default_store_path())
    if not ctx.resilient_parsing and target.exists() and not target.is_dir():
        raise InputError(
            f"{_name(param) if value is not None else 'store'} {target}: is a file, not a folder"
        )
    return value


def check_given_store(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Option callback: a store that is written only when given: checked only then."""
    if value is not None and not ctx.resilient_parsing:
        store_folder(value, _name(param))
    return value


def time_option(help: str, *names: str) -> Any:  # noqa: A002 (typer's keyword)
    """A ``typer.Option`` of an ISO 8601 time with offset, checked while parsing."""
    return typer.Option(*names, help=help, callback=check_time)


StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store folder [env GRIDFLOW_STORE; default ./gridflow-store].",
        callback=check_store,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def check_grid(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """Option callback: ``--grid`` (or GRIDFLOW_GRID) is a SimBench code's shape or a case file."""
    if not ctx.resilient_parsing:
        from gridcore.network.grid_spec import GRID_ENV, parse_grid

        if value is not None:
            parse_grid(value, _name(param))
        elif os.environ.get(GRID_ENV, "").strip():
            parse_grid(None)
    return value


#: ``--grid``: the grid a command runs on (SimBench code or case file; GRIDFLOW_GRID; the default grid).
GridOpt = Annotated[
    str | None,
    typer.Option(
        "--grid",
        help="Grid: a SimBench code (e.g. 1-MV-semiurb--0-sw, 1-LV-rural2--2-sw, 1-MVLV-rural-all-0-sw) or a "
        "pandapower .json / MATPOWER .m file [env GRIDFLOW_GRID; default 1-MV-semiurb--0-sw].",
        callback=check_grid,
    ),
]


def use_grid(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """Option callback of the pipeline's commands: ``--grid CODE`` is GRIDFLOW_GRID=CODE for the command.

    Set with :func:`set_for_command`: the former value is back once the command ends.

    The flows, the meter fleet, the forecasts and the batteries all build on
    :func:`gridcore.network.grid.default_code`, so setting it here reaches every part of the run.
    """
    if ctx.resilient_parsing or value is None:
        return value
    from gridcore.network.grid_spec import GRID_ENV, parse_grid

    spec = parse_grid(value, _name(param))
    if spec.code is None:
        raise InputError(
            f"{_name(param)} {value}: a case file; the pipeline needs a SimBench code",
            field=_name(param),
        )
    set_for_command({GRID_ENV: spec.code})
    return value


#: ``--grid`` of the pipeline's commands (flows, fleet, forecasts, batteries): a SimBench code.
PipelineGridOpt = Annotated[
    str | None,
    typer.Option(
        "--grid",
        help="SimBench code of the grid the pipeline runs on (meter fleet, forecasts, batteries), e.g. "
        "1-LV-rural2--2-sw [env GRIDFLOW_GRID; default 1-MV-semiurb--0-sw]. Use one store per grid.",
        callback=use_grid,
    ),
]
#: ``--meters``: the size of the synthetic meter fleet.
MetersOpt = Annotated[int, typer.Option("--meters", help="Size of the meter fleet.", min=1)]


# -- Prefect ---------------------------------------------------------------------------------------


def start_prefect(as_json: bool) -> None:
    """Start the command's temporary Prefect API (unless PREFECT_API_URL is set) with short logs.

    Call it once the arguments are checked and before the command imports Prefect (see
    :mod:`cli.server`): Prefect's and Dask's console logs are warnings only under ``--json``, INFO
    otherwise; SIGTERM and SIGHUP end the command cleanly and stop the server with it.
    """
    from cli.server import start_temporary_api, stop_on_signals

    settings = {
        "PREFECT_LOGGING_LEVEL": "WARNING" if as_json and not _debug else "INFO",
        "DASK_LOGGING__DISTRIBUTED": "warning",
        "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "warning",
        # gridcore's own log lines (a run waiting for a store lock, a grid cache rebuilt) reach the run's log
        "PREFECT_LOGGING_EXTRA_LOGGERS": "gridcore",
    }
    set_for_command({k: v for k, v in settings.items() if k not in os.environ})
    logging.getLogger("gridcore").setLevel(logging.INFO)
    start_temporary_api()
    stop_on_signals()


def set_for_command(values: dict[str, str]) -> None:
    """Set environment variables for the running command only: restored when its context closes.

    Prefect and Dask read their settings from the environment, so the command sets them there; when the
    command ends (:class:`GridflowGroup` calls :func:`restore_environment`, also after an error or
    SIGTERM's SystemExit) every variable gets its former value back, or is removed, so a command run
    in-process (tests, ``CliRunner``) leaves the environment as it found it. The temporary API's address
    is removed with the API (:func:`cli.server.stop_temporary_api`).
    """
    for key, value in values.items():
        _saved_env.setdefault(key, os.environ.get(key))
        os.environ[key] = value


def restore_environment() -> None:
    """Give every variable set by :func:`set_for_command` its former value back (or remove it)."""
    while _saved_env:
        key, value = _saved_env.popitem()
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_saved_env: dict[str, str | None] = {}


def api_ready() -> None:
    """Wait for the temporary API to answer; quiet Prefect's console (see :class:`_OneLineConsole`)."""
    from cli.server import wait_for_api

    wait_for_api()
    quiet_prefect_console()


def run(call: Callable[[], dict[str, object]], as_json: bool, headline: str) -> None:
    """Run a command's work once the API is up and print its figures (errors go to GridflowGroup)."""
    api_ready()
    emit(call(), as_json, headline)


def emit(figures: dict[str, object], as_json: bool, headline: str) -> None:
    """Print figures: one JSON object on stdout, or a table."""
    if as_json:
        sys.stdout.write(json.dumps(figures, default=str) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=headline, show_header=False)
    for key, value in figures.items():
        table.add_row(key, json.dumps(value, default=str) if isinstance(value, dict | list) else str(value))
    Console().print(table)


__all__ = [
    "GridOpt",
    "GridflowGroup",
    "InputError",
    "JsonOpt",
    "MetersOpt",
    "PipelineGridOpt",
    "StoreOpt",
    "api_ready",
    "check_given_store",
    "check_grid",
    "check_input_file",
    "check_read_store",
    "check_store",
    "check_time",
    "debug",
    "emit",
    "error_line",
    "fail",
    "report",
    "restore_environment",
    "run",
    "set_for_command",
    "set_debug",
    "start_prefect",
    "time_option",
    "unwrap",
    "use_grid",
]
