"""The errors gridflow raises, by what they mean to the caller.

=================== ====================================================================================
:class:`GridflowError` the base of every error raised on purpose here.
:class:`InputError`    the input is wrong (a file, a column, a row, a time, a bus or meter id, a network
                       that does not converge): retrying gives the same answer; the message names the
                       field and the row or element. A ``ValueError``, so callers catching those still do.
:class:`StoreError`    the store cannot take the write (not a folder, not writable, a product of another
                       shape): the data is fine, the place is not.
:class:`GridCacheError` the grid cache could not be built or read.
=================== ====================================================================================

The command line catches :class:`GridflowError` in one place (one line on stderr, exit 1); Prefect's
retry policy never retries an :class:`InputError`.
"""

from __future__ import annotations


class GridflowError(Exception):
    """Base of the errors gridflow raises on purpose."""


class InputError(GridflowError, ValueError):
    """Bad input: the message names what and where.

    Parameters
    ----------
    message : str
        What is wrong, in a line.
    field : str, optional
        The column, option or attribute at fault (``kwh``, ``--at``, ``load_mw``).
    row : int, optional
        The row (or file line) at fault.
    element : str, optional
        The grid element or id at fault (``bus:41``, ``line:12``, a meter id).
    """

    def __init__(
        self, message: str, *, field: str | None = None, row: int | None = None, element: str | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.row = row
        self.element = element


class StoreError(GridflowError, RuntimeError):
    """A write the store cannot take: not a folder, not writable, or a product of another shape."""


class GridCacheError(GridflowError, RuntimeError):
    """The grid cache could not be built or read; the message names the cache folder and the cause."""
