"""The results store: one xarray dataset per product, as Zarr, under one root folder.

Two kinds of product:

* **Time-keyed** (``feeder_load``, ``feeder_load_hourly``, ``readings``): the ``time`` axis (UTC interval
  start) covers whole calendar years, laid out when a year is first written; a run writes the region of
  its hours, so a rerun overwrites and never duplicates. ``complete`` (int8 per time step) says which steps
  hold a finished write: a write clears it for its region, writes the data, then sets it. A write that dies
  midway leaves ``complete == 0`` there; :meth:`Store.read` masks such steps, and a consumer reading with
  ``xr.open_zarr`` must check it (``ds.where(ds.complete == 1)``).
* **Run-keyed tables** (``quarantine``, ``quality``): rows tagged with the run that made them. A write
  replaces that run's rows and swaps the new version in by renaming a complete copy, so a reader sees the
  old or the new table, never a mix.

Time is stored as int64 seconds since 1970-01-01 (explicit encoding), naive in the file and UTC by
convention (attribute ``timezone: UTC``). Zarr format 2 is used for its wide reader support.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

#: Encoding of every time coordinate.
TIME_ENCODING = {"units": "seconds since 1970-01-01", "dtype": "int64", "calendar": "proleptic_gregorian"}
_ZARR = {"zarr_format": 2, "consolidated": True}


def default_store() -> Path:
    """The store root: ``$GRIDFLOW_STORE``, else ``./gridflow-store``."""
    return Path(os.environ.get("GRIDFLOW_STORE", "gridflow-store"))


class StoreError(RuntimeError):
    """A write that does not fit the product already in the store."""


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

        The product's time axis is laid out by calendar year on first use and extended forward year by
        year. Non-time dimensions (feeder, meter) must match the product's.

        Parameters
        ----------
        product : str
            Product name.
        ds : xr.Dataset
            Data with a ``time`` dimension (UTC interval starts, naive ``datetime64``) on the product's
            ``freq`` grid, contiguous.
        freq : str
            Time step of the product (``15min``, ``1h``).
        chunks : dict of str to int
            Chunk length per dimension; writes are cheapest when aligned with ``time`` chunks.
        attrs : dict, optional
            Dataset attributes (provenance) set when the product is laid out.

        Raises
        ------
        StoreError
            When ``ds`` falls before the product's first year, or its other dimensions differ.
        """
        times = pd.DatetimeIndex(ds["time"].values)
        expected = pd.date_range(times[0], periods=len(times), freq=freq)
        if not times.equals(expected):
            raise StoreError(f"{product}: a region write needs contiguous {freq} steps")
        path = self.path(product)
        if not self.exists(product):
            self._layout(product, ds, _years(times[0], times[-1], freq), chunks, attrs or {})
        else:
            current = xr.open_zarr(path, consolidated=True)
            axis = pd.DatetimeIndex(current["time"].values)
            for dim in ds.dims:
                if dim != "time" and not np.array_equal(current[dim].values, ds[dim].values):
                    raise StoreError(
                        f"{product}: dimension {dim} differs from the store's "
                        f"({current.sizes[dim]} in store, {ds.sizes[dim]} here); "
                        "write to a new store or migrate this one"
                    )
            if times[0] < axis[0]:
                raise StoreError(
                    f"{product}: {times[0]:%Y-%m-%dT%H:%MZ} is before the store's first year "
                    f"({axis[0]:%Y}); use a store for that period"
                )
            if times[-1] > axis[-1]:
                self._extend(product, ds, _years(axis[-1] + pd.Timedelta(freq), times[-1], freq))
        axis = pd.DatetimeIndex(xr.open_zarr(path, consolidated=True)["time"].values)
        i0 = axis.get_loc(times[0])
        region = {"time": slice(i0, i0 + len(times))}
        data = ds.drop_vars([c for c in ds.coords if c != "time"]).drop_vars("time")
        flag = xr.Dataset({"complete": ("time", np.zeros(len(times), dtype=np.int8))})
        flag.to_zarr(path, region=region, **_ZARR)
        data.to_zarr(path, region=region, **_ZARR)
        flag["complete"][:] = 1
        flag.to_zarr(path, region=region, **_ZARR)

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
        skeleton.to_zarr(self.path(product), compute=False, encoding=encoding, mode="w", **_ZARR)

    def _extend(self, product: str, ds: xr.Dataset, axis: pd.DatetimeIndex) -> None:
        """Append whole years to the time axis (the arrays keep the product's chunking)."""
        _skeleton(ds, axis).to_zarr(self.path(product), append_dim="time", compute=False, **_ZARR)

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

    # -- run-keyed tables --------------------------------------------------------------------------

    def replace_run_rows(self, product: str, dim: str, table: xr.Dataset, runs: list[str]) -> None:
        """Replace the rows of ``runs`` in a run-keyed table and swap the new version in.

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
        path = self.path(product)
        old = self._recover(product)
        if old is not None:
            keep = ~np.isin(old["run_id"].values.astype(str), runs)
            merged = (
                xr.concat([old.isel({dim: keep}), table], dim=dim, data_vars="all") if keep.any() else table
            )
        else:
            merged = table
        if dim in merged.coords and merged[dim].dtype.kind in "iu":
            merged = merged.assign_coords({dim: np.arange(merged.sizes[dim])})
        merged = _fixed_width_strings(merged)
        for var in merged.variables.values():
            var.encoding = {}  # drop the chunking read from the old table: one chunk per variable
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.new")
        encoding = {
            name: dict(TIME_ENCODING) for name, var in merged.variables.items() if var.dtype.kind == "M"
        }
        merged.to_zarr(tmp, mode="w", encoding=encoding, **_ZARR)
        if old is not None:
            old.close()
        retired = path.with_name(f"{path.name}.old")
        if path.exists():
            shutil.rmtree(retired, ignore_errors=True)
            path.rename(retired)
        tmp.rename(path)
        shutil.rmtree(retired, ignore_errors=True)

    def _recover(self, product: str) -> xr.Dataset | None:
        """The current table, loaded; restores the retired copy if a swap died midway."""
        path = self.path(product)
        retired = path.with_name(f"{path.name}.old")
        if not path.exists() and retired.exists():
            retired.rename(path)
        for stale in path.parent.glob(f"{path.name}.*.new"):
            shutil.rmtree(stale, ignore_errors=True)
        if not path.exists():
            return None
        return xr.open_zarr(path, consolidated=True).load()


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
    root: str | Path, product: str, issue: pd.Timestamp | str | None, what: str, load: bool = False
) -> xr.Dataset:
    """One issue of a per-issue product (the latest when ``issue`` is None).

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
    ds = xr.open_zarr(issue_path(root, product, issues[-1]))
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
    path.parent.mkdir(parents=True, exist_ok=True)
    enc = {name: dict(TIME_ENCODING) for name, var in ds.variables.items() if var.dtype.kind == "M"}
    enc.update(encoding or {})
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.new")
    ds.to_zarr(tmp, mode="w", encoding=enc, **_ZARR)
    retired = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.old")
    if path.exists():
        path.rename(retired)
    tmp.rename(path)
    shutil.rmtree(retired, ignore_errors=True)
    return str(path)


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
