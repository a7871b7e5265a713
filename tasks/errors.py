"""One line for an error, whatever wrapped it: what the command line prints and a failure record keeps.

No Prefect import: Prefect's, Dask's and anyio's wrappers are recognised by their module names.
"""

from __future__ import annotations


def error_line(exc: BaseException, debug: bool = False) -> str:
    """One line for an error: its message, the wrappers of Prefect, Dask and anyio taken off.

    Errors of input, the store and the environment (ValueError, OSError, RuntimeError, usage errors)
    show their message; any other error (a bug) shows its type and a pointer to ``--debug``.
    """
    exc = unwrap(exc)
    if callable(getattr(exc, "format_message", None)):  # usage errors of typer / click
        text = exc.format_message()
    elif isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = f"{exc.filename}: {exc.strerror}"
    elif type(exc).__name__ in {"ParameterTypeError", "ParameterBindError"}:
        text = str(exc)
    elif _is_pydantic_error(exc):
        text = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors()  # type: ignore[attr-defined]
        )
    elif isinstance(exc, ValueError | OSError | RuntimeError):
        text = str(exc) or type(exc).__name__
    else:
        hint = "" if debug else " (run with --debug for the traceback)"
        text = f"internal error: {type(exc).__name__}: {exc}{hint}"
    return " ".join(line.strip() for line in text.splitlines() if line.strip()) or type(exc).__name__


def unwrap(exc: BaseException) -> BaseException:
    """The error under Prefect's, Dask's and anyio's wrappers (causes and exception groups)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]
        elif _is_wrapper(exc) and exc.__cause__ is not None:
            exc = exc.__cause__
        else:
            break
    return exc


def _is_wrapper(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.split(".")[0] in {"prefect", "prefect_dask", "distributed"} and not _is_pydantic_error(
        exc.__cause__
    )


def _is_pydantic_error(exc: BaseException | None) -> bool:
    return exc is not None and type(exc).__name__ == "ValidationError" and hasattr(exc, "errors")
