"""The results store: one xarray dataset per product, as Zarr, under one root folder.

Two kinds of product:

* **Time-keyed** (``feeder_load``, ``feeder_load_hourly``, ``readings``, ``sensors``, ``weather``): the
  ``time`` axis (UTC interval start) is made of whole calendar years, only those years that were written,
  in order (a store of 2016 and 2026 holds two years of axis, not eleven). A year is added when it is first
  written, before, between or after the others: the arrays' chunk files are hard-linked into a new copy
  under their new positions and the copy is swapped in, so adding a year costs a link per chunk, never a
  rewrite of the data. A run writes the region of its hours, so a rerun overwrites and never duplicates.
  ``complete`` (int8 per time step) says which steps hold a finished write: a write clears it for its
  region, writes the data, then sets it. A write that dies midway leaves ``complete == 0`` there;
  :meth:`Store.read` masks such steps, and a consumer reading with ``xr.open_zarr`` must check it
  (``ds.where(ds.complete == 1)``).
* **Run-keyed tables** (``quarantine``, ``quality``): rows tagged with the run that made them. A write
  replaces that run's rows and swaps the new version in by renaming a complete copy, so a reader sees the
  old or the new table, never a mix.

Every write holds the product's lock (:func:`locked`, a file lock beside the product, so it holds across
processes and threads): a layout, a region write, a read-merge-swap happen one at a time per product,
whoever runs them. Recovery after a killed writer (a half-swapped folder, a temporary copy) runs under the
same lock, so it never touches the work of a writer that is alive.

Time is stored as int64 seconds since 1970-01-01 (explicit encoding), naive in the file and UTC by
convention (attribute ``timezone: UTC``). Zarr format 2 is used for its wide reader support.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.errors import StoreError

__all__ = [
    "Store",
    "StoreError",
    "default_store",
    "issue_path",
    "issue_times",
    "locked",
    "open_issue",
    "write_whole",
]

#: Encoding of every time coordinate.
TIME_ENCODING = {"units": "seconds since 1970-01-01", "dtype": "int64", "calendar": "proleptic_gregorian"}
_ZARR = {"zarr_format": 2, "consolidated": True}


log = logging.getLogger(__name__)

#: Seconds a writer waits for a lock before saying so in the log (it then goes on waiting).
LOCK_NOTICE_S = 2.0

_locks: dict[str, object] = {}
_locks_guard = threading.Lock()


def lock_path(path: str | Path) -> Path:
    """The lock file of a store item: ``.<name>.lock`` beside it."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


@contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold the write lock of a store item (a product folder or a file) for the ``with`` block.

    The lock is a file lock (:mod:`filelock`), so it excludes writers in other processes and in other
    threads of this one; it is re-entrant within a thread. A writer that has to wait logs one line saying
    who it waits for (logger ``gridcore.store``) and then waits as long as it takes.

    Parameters
    ----------
    path : str or Path
        The item to lock (it need not exist yet).
    """
    from filelock import FileLock, Timeout

    file = lock_path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    key = str(file.resolve())
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = FileLock(key)
    try:
        lock.acquire(timeout=LOCK_NOTICE_S)
    except Timeout:
        t0 = time.monotonic()
        log.info("waiting for the write lock of %s (another run is writing it)", path)
        lock.acquire()
        log.info("got the write lock of %s after %.1f s", path, time.monotonic() - t0)
    try:
        yield
    finally:
        lock.release()


def _recover(path: Path) -> None:
    """Undo what a killed writer left of a swap of ``path``; call with the lock of ``path`` held.

    A swap renames the current folder to ``.<name>.<id>.old`` and a complete copy ``.<name>.<id>.new`` to
    the name. A writer killed between the two renames leaves no folder under the name: the retired copy is
    put back. Temporary copies are removed: with the lock held, their writers are dead.
    """
    retired = sorted(path.parent.glob(f".{path.name}.*.old"), key=lambda p: p.stat().st_mtime)
    if not path.exists() and retired:
        retired.pop().rename(path)
    for stale in [*retired, *path.parent.glob(f".{path.name}.*.new")]:
        shutil.rmtree(stale, ignore_errors=True)


def _swap_in(tmp: Path, path: Path) -> None:
    """Replace ``path`` by the complete copy ``tmp`` (lock of ``path`` held)."""
    retired = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
    if path.exists():
        path.rename(retired)
    tmp.rename(path)
    shutil.rmtree(retired, ignore_errors=True)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.new")


def default_store() -> Path:
    """The store root: ``$GRIDFLOW_STORE``, else ``./gridflow-store``."""
    return Path(os.environ.get("GRIDFLOW_STORE", "gridflow-store"))


class Store:
    """A folder of Zarr products.

    Parameters
    ----------
    root : str or Path
        The store folder; created on first write.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, product: str) -> Path:
        """Folder of a product: ``<root>/<product>.zarr``."""
        return self.root / f"{product}.zarr"

    def exists(self, product: str) -> bool:
        """Whether a product has been written."""
        return (self.path(product) / ".zmetadata").exists()

    @contextmanager
    def lock(self, product: str) -> Iterator[None]:
        """Hold the write lock of a product (see :func:`locked`); undoes a killed writer's leftovers."""
        path = self.path(product)
        with locked(path):
            _recover(path)
            yield

    def _check_writable(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"store {self.root} is a file, not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"store {self.root} cannot be created: {err.strerror or err}") from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StoreError(f"store {self.root} is not writable")

    # -- time-keyed products ---------------------------------------------------------------------

    def write_time_region(
        self,
        product: str,
        ds: xr.Dataset,
        freq: str,
        chunks: dict[str, int],
        attrs: dict[str, str | int | float] | None = None,
    ) -> None:
        """Write a contiguous run of time steps into a time-keyed product.

        The product's time axis holds the calendar years written, in order; a year not yet in it is added
        first (see the module notes). Non-time dimensions (feeder, meter) must match the product's. The
        whole write holds the product's lock.

        Parameters
        ----------
        product : str
            Product name.
        ds : xr.Dataset
            Data with a ``time`` dimension (UTC interval starts, naive ``datetime64``) on the product's
            ``freq`` grid, contiguous.
        freq : str
            Time step of the product (``15min``, ``1h``); a year's steps must be a whole number of the
            ``time`` chunk.
        chunks : dict of str to int
            Chunk length per dimension; writes are cheapest when aligned with ``time`` chunks.
        attrs : dict, optional
            Dataset attributes (provenance) set when the product is laid out.

        Raises
        ------
        StoreError
            When the store cannot be written, or ``ds``'s other dimensions differ from the product's.
        """
        times = pd.DatetimeIndex(ds["time"].values)
        expected = pd.date_range(times[0], periods=len(times), freq=freq)
        if not times.equals(expected):
            raise StoreError(f"{product}: a region write needs contiguous {freq} steps")
        self._check_writable()
        path = self.path(product)
        with self.lock(product):
            if not self.exists(product):
                self._layout(product, ds, _years(times[0], times[-1], freq), chunks, attrs or {})
            else:
                current = xr.open_zarr(path, consolidated=True)
                for dim in ds.dims:
                    if dim != "time" and not np.array_equal(current[dim].values, ds[dim].values):
                        raise StoreError(
                            f"{product}: dimension {dim} differs from the store's "
                            f"({current.sizes[dim]} in store, {ds.sizes[dim]} here); "
                            "write to a new store or migrate this one"
                        )
                axis = pd.DatetimeIndex(current["time"].values)
                current.close()
                missing = _years(times[0], times[-1], freq).difference(axis)
                if len(missing):
                    self._insert_years(product, axis, missing)
            axis = pd.DatetimeIndex(xr.open_zarr(path, consolidated=True)["time"].values)
            i0 = axis.get_loc(times[0])
            region = {"time": slice(i0, i0 + len(times))}
            data = ds.drop_vars([c for c in ds.coords if c != "time"]).drop_vars("time")
            flag = xr.Dataset({"complete": ("time", np.zeros(len(times), dtype=np.int8))})
            flag.to_zarr(path, region=region, zarr_format=2, consolidated=False)
            data.to_zarr(path, region=region, zarr_format=2, consolidated=False)
            flag["complete"][:] = 1
            flag.to_zarr(path, region=region, zarr_format=2, consolidated=False)

    def _layout(
        self,
        product: str,
        ds: xr.Dataset,
        axis: pd.DatetimeIndex,
        chunks: dict[str, int],
        attrs: dict[str, str | int | float],
    ) -> None:
        skeleton = _skeleton(ds, axis)
        skeleton.attrs = {**attrs, "timezone": "UTC", "time_label": "interval start"}
        encoding = _chunk_encoding(skeleton, chunks)
        encoding["time"] = {**TIME_ENCODING, "chunks": (len(axis),)}
        for name, var in skeleton.data_vars.items():
            if np.issubdtype(var.dtype, np.integer) and name != "complete":
                encoding[name]["_FillValue"] = -1
        path = self.path(product)
        tmp = _temporary(path)
        skeleton.to_zarr(tmp, compute=False, encoding=encoding, mode="w", **_ZARR)
        _swap_in(tmp, path)

    def _insert_years(self, product: str, axis: pd.DatetimeIndex, new: pd.DatetimeIndex) -> None:
        """Add the time steps ``new`` (whole years) to a product's axis, keeping it sorted.

        Builds a copy whose arrays have the longer axis: metadata rewritten, every chunk file hard-linked
        (copied where links are not possible) under its chunk's new position, the time coordinate
        rewritten; then swaps it in. Unwritten chunks stay absent, so the size on disk follows the steps
        written. Lock of the product held.
        """
        import zarr

        path = self.path(product)
        merged = axis.union(new)
        position = merged.get_indexer(axis)  # new index of each old step
        tmp = _temporary(path)
        tmp.mkdir()
        for name in (".zgroup", ".zattrs"):
            if (path / name).exists():
                shutil.copy2(path / name, tmp / name)
        for src in sorted(p for p in path.iterdir() if p.is_dir()):
            dst = tmp / src.name
            dst.mkdir()
            meta = json.loads((src / ".zarray").read_text())
            dims = json.loads((src / ".zattrs").read_text()).get("_ARRAY_DIMENSIONS", [])
            shutil.copy2(src / ".zattrs", dst / ".zattrs")
            if "time" not in dims:
                for f in src.iterdir():
                    if f.name != ".zattrs":
                        _link(f, dst / f.name)
                continue
            k = dims.index("time")
            sep = meta.get("dimension_separator") or "."
            if src.name == "time":  # the coordinate: one chunk, rewritten below
                meta["shape"] = [len(merged)]
                meta["chunks"] = [len(merged)]
                (dst / ".zarray").write_text(json.dumps(meta, indent=4))
                continue
            step = meta["chunks"][k]
            if len(axis) % step or len(merged) % step or np.any(position[::step] % step):
                raise StoreError(f"{product}/{src.name}: time chunks of {step} steps do not divide a year")
            meta["shape"][k] = len(merged)
            (dst / ".zarray").write_text(json.dumps(meta, indent=4))
            chunk_to = position[::step] // step
            for f in src.iterdir():
                if f.name.startswith("."):
                    continue
                parts = f.name.split(sep)
                parts[k] = str(chunk_to[int(parts[k])])
                _link(f, dst / sep.join(parts))
        seconds = (merged.as_unit("s").asi8).astype(np.int64)
        zarr.open_array(zarr.storage.LocalStore(tmp / "time"), mode="r+", zarr_format=2)[:] = seconds
        zarr.consolidate_metadata(zarr.storage.LocalStore(tmp), zarr_format=2)
        _swap_in(tmp, path)
        log.info("%s: time axis now holds %d year(s)", product, len(set(merged.year)))

    def read(self, product: str, complete_only: bool = True) -> xr.Dataset:
        """Open a product; for time-keyed products, mask steps whose write did not finish.

        Parameters
        ----------
        product : str
        complete_only : bool
            Mask (NaN) the time steps whose ``complete`` flag is not set.

        Returns
        -------
        xr.Dataset
        """
        ds = xr.open_zarr(self.path(product), consolidated=True)
        if complete_only and "complete" in ds:
            done = ds["complete"] == 1
            ds = ds.drop_vars("complete").where(done)
        return ds

    def open(self, product: str) -> xr.Dataset:
        """A product as stored, unmasked, without dask: variables are read when indexed, in this thread.

        For small reads (a table, a few steps), where a dask graph per read costs more than the read.
        """
        return xr.open_zarr(self.path(product), consolidated=True, chunks=None)

    def read_steps(self, product: str, starts: pd.DatetimeIndex, var: str, dim: str) -> np.ndarray | None:
        """``var`` of a time-keyed product at ``starts``, as ``dim`` x time; None when it has none of them.

        NaN where a step is absent or its write unfinished. Only the block of steps from the first to the
        last of ``starts`` is read (masking the whole axis first would build a task per chunk of it).
        """
        if not self.exists(product):
            return None
        ds = self.open(product)
        axis = pd.DatetimeIndex(ds["time"].values)
        where = axis.get_indexer(starts.tz_convert(None))
        have = where >= 0
        if not have.any():
            return None
        idx = where[have]
        done = np.ones(len(idx), dtype=bool)
        if "complete" in ds:
            done = ds["complete"].isel(time=idx).values == 1
        out = np.full((ds.sizes[dim], len(starts)), np.nan, dtype=np.float64)
        block = ds[var].isel(time=slice(int(idx.min()), int(idx.max()) + 1)).transpose(dim, "time").values
        cols = np.flatnonzero(have)
        out[:, cols[done]] = block[:, idx[done] - int(idx.min())]
        return out

    # -- run-keyed tables --------------------------------------------------------------------------

    def replace_run_rows(self, product: str, dim: str, table: xr.Dataset, runs: list[str]) -> None:
        """Replace the rows of ``runs`` in a run-keyed table and swap the new version in.

        The read, merge and swap hold the product's lock, so runs writing at once each keep their rows.

        Parameters
        ----------
        product : str
        dim : str
            The row dimension (``record`` for the quarantine, ``run`` for quality).
        table : xr.Dataset
            New rows along ``dim``, with a ``run_id`` variable or coordinate.
        runs : list of str
            Runs whose earlier rows are replaced.
        """
        self._check_writable()
        path = self.path(product)
        with self.lock(product):
            old = xr.open_zarr(path, consolidated=True).load() if path.exists() else None
            if old is not None:
                keep = ~np.isin(old["run_id"].values.astype(str), runs)
                merged = (
                    xr.concat([old.isel({dim: keep}), table], dim=dim, data_vars="all")
                    if keep.any()
                    else table
                )
                old.close()
            else:
                merged = table
            if dim in merged.coords and merged[dim].dtype.kind in "iu":
                merged = merged.assign_coords({dim: np.arange(merged.sizes[dim])})
            merged = _fixed_width_strings(merged)
            for var in merged.variables.values():
                var.encoding = {}  # drop the chunking read from the old table: one chunk per variable
            encoding = {
                name: dict(TIME_ENCODING) for name, var in merged.variables.items() if var.dtype.kind == "M"
            }
            tmp = _temporary(path)
            merged.to_zarr(tmp, mode="w", encoding=encoding, **_ZARR)
            _swap_in(tmp, path)


def issue_path(root: str | Path, product: str, issue: pd.Timestamp | str) -> Path:
    """Folder of one issue of a per-issue product: ``<root>/<product>/<issue:%Y%m%dT%H%MZ>.zarr`` (UTC)."""
    ts = pd.Timestamp(issue)
    ts = ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
    return Path(root) / product / f"{ts:%Y%m%dT%H%MZ}.zarr"


def issue_times(root: str | Path, product: str) -> list[pd.Timestamp]:
    """Issue times (UTC) of a per-issue product in the store, oldest first; temporary folders skipped."""
    folder = Path(root) / product
    out = []
    for p in folder.glob("*.zarr") if folder.exists() else []:
        if p.name.startswith("."):
            continue
        try:
            ts = pd.Timestamp(p.stem)
        except ValueError:
            continue
        out.append(ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC"))
    return sorted(out)


def open_issue(
    root: str | Path,
    product: str,
    issue: pd.Timestamp | str | None,
    what: str,
    load: bool = False,
    dask: bool = True,
) -> xr.Dataset:
    """One issue of a per-issue product (the latest when ``issue`` is None).

    With ``dask=False`` the variables are read when indexed, in the calling thread (for small reads
    of a few values, where a dask graph per read costs more than the read).

    Raises
    ------
    FileNotFoundError
        ``no <what> in <folder>`` (for that issue).
    """
    folder = Path(root) / product
    issues = issue_times(root, product)
    if issue is not None:
        wanted = issue_path(root, product, issue)
        issues = [t for t in issues if issue_path(root, product, t) == wanted]
    if not issues:
        raise FileNotFoundError(f"no {what} in {folder}" + (f" issued {issue}" if issue is not None else ""))
    path = issue_path(root, product, issues[-1])
    ds = xr.open_zarr(path) if dask else xr.open_zarr(path, chunks=None)
    return ds.load() if load else ds


def write_whole(ds: xr.Dataset, path: str | Path, encoding: dict[str, dict] | None = None) -> str:
    """Write a whole dataset to ``path`` (Zarr): to a temporary name first, then swapped into place.

    A reader sees the old dataset or the new one, never a partial write; a rerun replaces it. Time
    variables get :data:`TIME_ENCODING` unless ``encoding`` says otherwise.

    Returns
    -------
    str
        The path written.
    """
    path = Path(path)
    if path.parent.exists() and not path.parent.is_dir():  # mkdir would say only "File exists"
        raise StoreError(f"{path.parent} is a file where the store keeps a folder: cannot write {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    enc = {name: dict(TIME_ENCODING) for name, var in ds.variables.items() if var.dtype.kind == "M"}
    enc.update(encoding or {})
    with locked(path):
        _recover(path)
        tmp = _temporary(path)
        ds.to_zarr(tmp, mode="w", encoding=enc, **_ZARR)
        _swap_in(tmp, path)
    return str(path)


def _link(src: Path, dst: Path) -> None:
    """Hard-link a file (copy it where the file system has no hard links)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _years(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> pd.DatetimeIndex:
    """A time axis of whole calendar years covering ``[first, last]``."""
    start = pd.Timestamp(year=first.year, month=1, day=1)
    end = pd.Timestamp(year=last.year + 1, month=1, day=1)
    return pd.date_range(start, end, freq=freq, inclusive="left")


def _skeleton(ds: xr.Dataset, axis: pd.DatetimeIndex) -> xr.Dataset:
    """A lazily filled dataset shaped like ``ds`` over ``axis``, plus the ``complete`` flag.

    Each variable is one dask chunk (never computed: only the metadata is written), so laying out a
    year of 100,000 meters costs no task graph; the Zarr chunks come from the encoding.
    """
    import dask.array as da  # only to lay out a product (lazy: keeps the hourly command's start short)

    out = {}
    for name, var in ds.data_vars.items():
        shape = tuple(len(axis) if d == "time" else ds.sizes[d] for d in var.dims)
        fill = np.nan if np.issubdtype(var.dtype, np.floating) else -1
        out[name] = (var.dims, da.full(shape, fill, dtype=var.dtype, chunks=shape), var.attrs)
    out["complete"] = (
        ("time",),
        da.zeros(len(axis), dtype=np.int8, chunks=len(axis)),
        {"long_name": "1 where the write of this time step finished"},
    )
    coords = {
        name: (ds[name].dims, ds[name].values, ds[name].attrs)
        for name in ds.coords
        if "time" not in ds[name].dims
    }
    coords["time"] = axis.values
    return _fixed_width_strings(xr.Dataset(out, coords=coords))


def _chunk_encoding(ds: xr.Dataset, chunks: dict[str, int]) -> dict[str, dict]:
    """Zarr chunk encoding of each data variable: ``chunks`` per dimension, whole length otherwise."""
    return {
        name: {"chunks": tuple(min(chunks.get(d, ds.sizes[d]), ds.sizes[d]) for d in var.dims)}
        for name, var in ds.data_vars.items()
    }


def _fixed_width_strings(ds: xr.Dataset) -> xr.Dataset:
    """Object string variables and coordinates as fixed-width unicode (portable in Zarr)."""
    for name in list(ds.variables):
        if ds[name].dtype == object:
            values = ds[name].values.astype(str)
            if name in ds.coords:
                ds = ds.assign_coords({name: (ds[name].dims, values, ds[name].attrs)})
            else:
                ds[name] = (ds[name].dims, values, ds[name].attrs)
    return ds
