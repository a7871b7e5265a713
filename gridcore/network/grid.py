"""The default grid: a SimBench medium-voltage network with its year of 15-minute profiles.

SimBench (Meinecke et al., 2020, https://simbench.de) publishes benchmark grids with a year (2016) of
15-minute load, PV and wind profiles. Building one from the ``simbench`` package takes several seconds,
so the first use writes a cache (pandapower JSON for the network, Parquet for the tables, NumPy for the
profiles); later loads read the cache and need neither ``simbench`` nor ``pandapower``.

The cache is safe to share between processes and threads. It is built once, under a file lock beside its
folder (``simbench-<code>-v2.lock``), into a temporary folder of its own that is renamed into place when
complete; a build that fails or is killed leaves that folder behind only until the next process takes the
lock. Its ``manifest.json``, written last, records the size and CRC-32 of every file; each load checks the
files it reads against it, and a damaged or missing file, or one that cannot be read, makes the cache
rebuild itself with one line in the log saying so. Readers of a complete cache take no lock.

The profile year is 2016 (366 days, 35,136 quarter hours). A timestamp of any other year maps onto the
same quarter hour of the year (day of year and time of day), so the defaults run for any date.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import shutil
import threading
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from gridcore.errors import GridCacheError, InputError
from gridcore.world import QUARTERS_PER_DAY, WORLD_START, day_rows, world_loads

#: SimBench code of the default grid: the semi-urban MV grid, switching-based variant.
DEFAULT_GRID = "1-MV-semiurb--0-sw"  # also in gridcore.network.grid_spec (parsed without pandas)
#: Quarter hours in the SimBench profile year (2016, a leap year).
STEPS_PER_YEAR = 35136
#: Profile resolution.
STEP = pd.Timedelta(minutes=15)
_CACHE_VERSION = "2"
#: Tables of a cache folder (``<name>.parquet``).
_TABLES = ("bus", "line", "trafo", "switch", "load", "sgen")
#: Files :func:`load_grid` reads, and :func:`pandapower_net`.
_MODEL_FILES = (*(f"{name}.parquet" for name in _TABLES), "profiles.npz", "meta.json")
_NET_FILES = ("net.json",)
#: Written last: size [bytes] and CRC-32 of every other file. A cache folder without it is incomplete.
_MANIFEST = "manifest.json"
#: How long a process waits for another one's build of the same cache [s] (a build takes ~10 s).
_LOCK_TIMEOUT_S = 600.0
#: What reading a damaged file raises (pyarrow's errors derive from ``OSError`` and ``ValueError``).
_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, EOFError, UserWarning, zipfile.BadZipFile)

_log = logging.getLogger(__name__)
#: World profiles built in this process, per grid (built once: ~1 s), and their lock.
_WORLDS: dict[tuple[str, str, float, float], tuple[np.ndarray, np.ndarray, np.ndarray, float]] = {}
_WORLD_LOCK = threading.Lock()
_T = TypeVar("_T")


def default_code() -> str:
    """The grid of the pipeline: the SimBench code in GRIDFLOW_GRID, else :data:`DEFAULT_GRID`.

    Raises
    ------
    InputError
        When GRIDFLOW_GRID names a case file: the pipeline's profiles and fleet need a SimBench grid (the
        commands that take a file read it through :mod:`gridcore.network.grid_spec`).
    """
    env = os.environ.get("GRIDFLOW_GRID", "").strip()
    if not env:
        return DEFAULT_GRID
    if Path(env).suffix.lower() in (".json", ".m") or os.sep in env:
        raise InputError(
            f"GRIDFLOW_GRID {env}: a case file; this part of the pipeline needs a SimBench code",
            field="GRIDFLOW_GRID",
        )
    return env


def cache_dir() -> Path:
    """Folder for cached grids: ``$GRIDFLOW_CACHE``, else ``$XDG_CACHE_HOME/gridflow`` (``~/.cache``)."""
    env = os.environ.get("GRIDFLOW_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gridflow"


@dataclass(frozen=True)
class GridModel:
    """The network tables and yearly profiles the pipeline needs, without a pandapower import.

    Attributes
    ----------
    code : str
        SimBench grid code.
    bus : pd.DataFrame
        Index bus id; ``name``, ``vn_kv`` [kV], ``x``, ``y`` (longitude, latitude) [deg].
    line : pd.DataFrame
        Index line id; ``name``, ``from_bus``, ``to_bus``, ``length_km`` [km], ``max_i_ka`` [kA],
        ``in_service``.
    trafo : pd.DataFrame
        Index trafo id; ``name``, ``hv_bus``, ``lv_bus``, ``sn_mva`` [MVA].
    switch : pd.DataFrame
        Index switch id; ``name``, ``bus``, ``element``, ``et`` (``l`` line, ``t`` trafo, ``b`` bus),
        ``closed``.
    load : pd.DataFrame
        Index load id; ``name``, ``bus``, ``profile``, ``p_mw`` [MW] (nominal).
    sgen : pd.DataFrame
        Index sgen id; ``name``, ``bus``, ``type``, ``p_mw`` [MW] (installed).
    load_p_mw, load_q_mvar, sgen_p_mw : np.ndarray
        Profiles, quarter hour x element [MW], [MVAr], in the order of ``load`` / ``sgen``: SimBench's
        year (2016), or the weather-driven world's two years (2015-2016, :mod:`gridcore.world`).
    profile_start : pd.Timestamp
        UTC start of the profiles.
    demand : str
        ``world`` (loads follow real weather-driven load, :mod:`gridcore.world`) or ``simbench`` (the
        standard profiles as published).
    world_scale : float
        World MW per MW of the real source load (NaN for ``simbench``) [-].
    """

    code: str
    bus: pd.DataFrame
    line: pd.DataFrame
    trafo: pd.DataFrame
    switch: pd.DataFrame
    load: pd.DataFrame
    sgen: pd.DataFrame
    load_p_mw: np.ndarray
    load_q_mvar: np.ndarray
    sgen_p_mw: np.ndarray
    profile_start: pd.Timestamp
    demand: str = "simbench"
    world_scale: float = float("nan")

    @property
    def fingerprint(self) -> str:
        """Short hash of the topology and nominal loads, recorded with every product."""
        h = hashlib.sha256()
        for table in (self.bus, self.line, self.trafo, self.switch, self.load):
            h.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
        return h.hexdigest()[:12]

    def profile_index(self, times: pd.DatetimeIndex) -> np.ndarray:
        """Row of the profile arrays for each UTC quarter-hour start.

        A time inside the profiles takes its own row; any other the same time of day on the profile date
        of the same weekday nearest the same month and day (:func:`gridcore.world.day_rows`).

        Parameters
        ----------
        times : pd.DatetimeIndex
            tz-aware UTC interval starts on the 15-minute grid.

        Returns
        -------
        np.ndarray of int64
        """
        n = len(self.load_p_mw)
        rows = day_rows(times, self.profile_start, max(n // QUARTERS_PER_DAY, 1))
        return np.minimum(rows, n - 1)


def load_grid(code: str | None = None, cache: Path | None = None, demand: str = "world") -> GridModel:
    """Load a SimBench grid and its profiles, from the cache when present.

    Parameters
    ----------
    code : str, optional
        SimBench grid code, e.g. ``1-MV-semiurb--0-sw`` or ``1-LV-rural2--2-sw``; :func:`default_code`
        (GRIDFLOW_GRID, else the default grid) when omitted.
    cache : Path, optional
        Cache folder; :func:`cache_dir` by default.
    demand : str
        ``world``: the loads follow real weather-driven load (:mod:`gridcore.world`; needs SimBench's
        full year of profiles); ``simbench``: the published profiles.

    Returns
    -------
    GridModel

    Raises
    ------
    GridCacheError
        When the cache can neither be read nor rebuilt (e.g. ``simbench`` missing, disk full).
    """
    code = code or default_code()
    if demand not in {"world", "simbench"}:
        raise InputError(f"demand must be world or simbench, not {demand!r}", field="demand")
    grid = _from_cache(code, cache, _MODEL_FILES, lambda folder: _read_model(code, folder))
    return weather_world(grid) if demand == "world" else grid


def weather_world(grid: GridModel) -> GridModel:
    """The grid with the weather-driven world's profiles (:mod:`gridcore.world`).

    Parameters
    ----------
    grid : GridModel
        With SimBench's 2016 profiles (``STEPS_PER_YEAR`` quarter hours).

    Returns
    -------
    GridModel
        Profiles over 2015-2016; ``demand`` is ``world``.
    """
    if len(grid.load_p_mw) != STEPS_PER_YEAR:
        raise InputError(
            f"load_p_mw: the world needs {STEPS_PER_YEAR} quarter hours, got {len(grid.load_p_mw)}",
            field="load_p_mw",
        )
    key = (grid.code, grid.fingerprint, float(grid.load_p_mw[::97].sum()), float(grid.sgen_p_mw[::97].sum()))
    with _WORLD_LOCK:
        if key not in _WORLDS:
            _WORLDS[key] = world_loads(grid.load_p_mw, grid.load_q_mvar, grid.sgen_p_mw)
        p, q, sgen, scale = _WORLDS[key]
    return replace(
        grid,
        load_p_mw=p,
        load_q_mvar=q,
        sgen_p_mw=sgen,
        profile_start=WORLD_START,
        demand="world",
        world_scale=scale,
    )


def pandapower_net(code: str | None = None, cache: Path | None = None):  # noqa: ANN201
    """The cached pandapower network of a SimBench grid (imports pandapower).

    Parameters
    ----------
    code : str, optional
        SimBench grid code; :func:`default_code` when omitted.
    cache : Path, optional
        Cache folder.

    Returns
    -------
    pandapower.pandapowerNet

    Raises
    ------
    GridCacheError
        When the cache can neither be read nor rebuilt.
    """
    import pandapower as pp

    code = code or default_code()
    return _from_cache(code, cache, _NET_FILES, lambda folder: pp.from_json(str(folder / "net.json")))


def cache_folder(code: str | None = None, cache: Path | None = None) -> Path:
    """The cache folder of a grid: ``<cache>/simbench-<code>-v<version>``.

    Parameters
    ----------
    code : str, optional
        SimBench grid code; :func:`default_code` when omitted.
    cache : Path, optional
        Cache root; :func:`cache_dir` by default.

    Returns
    -------
    Path
    """
    return (cache or cache_dir()) / f"simbench-{code or default_code()}-v{_CACHE_VERSION}"


def _from_cache(code: str, cache: Path | None, files: tuple[str, ...], read: Callable[[Path], _T]) -> _T:
    """Read ``files`` of a grid's cache with ``read``, building or repairing the cache first if needed.

    Without a lock when the files match the manifest (the usual case). Otherwise, under the cache's lock:
    check again (another process may have just built it), rebuild, read.

    What was read is remembered per process with the files' signature (inode, size, modification time,
    :func:`_signature`): while they are the same files, a call gets a copy of it (0.01-0.02 s) instead of
    reading and checking them again (0.3 s for the default grid's model, 0.65 s for its pandapower network,
    several times per hourly run). A rebuilt, replaced or damaged file has another signature and is read
    and checked as before.
    """
    folder = cache_folder(code, cache)
    names = (*files, _MANIFEST)
    key = (str(folder), files)
    before = _signature(folder, names)
    if before is not None:
        with _MEMO_LOCK:
            hit = _MEMO.get(key)
        if hit is not None and hit[0] == before:
            if _leftovers(folder):
                _tidy(folder)
            return copy.deepcopy(hit[1])
    value = _read_cache(code, folder, files, read)
    if before is not None and _signature(folder, names) == before:  # nothing was swapped while it was read
        with _MEMO_LOCK:
            _MEMO[key] = (before, copy.deepcopy(value))
    return value


#: What :func:`_from_cache` read, by cache folder and files: (signature, value).
_MEMO: dict[tuple[str, tuple[str, ...]], tuple[tuple, object]] = {}
_MEMO_LOCK = threading.Lock()


def _signature(folder: Path, names: tuple[str, ...]) -> tuple | None:
    """Inode, size and modification time [ns] of each file; None when one is missing."""
    try:
        return tuple(
            (n, st.st_ino, st.st_size, st.st_mtime_ns) for n in names for st in [(folder / n).stat()]
        )
    except OSError:
        return None


def _read_cache(code: str, folder: Path, files: tuple[str, ...], read: Callable[[Path], _T]) -> _T:
    """:func:`_from_cache` without the memory: check, read, and build or repair when needed."""
    problem = _check(folder, files)
    if problem is None:
        try:
            value = read(folder)
        except _READ_ERRORS as err:
            problem = _read_problem(err)
        else:
            if _leftovers(folder):
                _tidy(folder)
            return value
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock(folder)
    try:
        lock.acquire()
    except Timeout:
        raise GridCacheError(
            f"grid cache {folder}: another process has held {lock.lock_file} for {lock.timeout:.0f} s; "
            "is a build stuck?"
        ) from None
    try:
        problem = _check(folder, files)
        if problem is None:
            try:
                return read(folder)
            except _READ_ERRORS as err:
                problem = _read_problem(err)
        if problem != "missing":
            _log.warning("gridflow: grid cache %s damaged (%s); rebuilding", folder, problem)
        _build_cache(code, folder)
        try:
            return read(folder)
        except _READ_ERRORS as err:
            raise GridCacheError(
                f"grid cache {folder}: unreadable after a rebuild ({_read_problem(err)})"
            ) from err
    finally:
        lock.release()


def _lock(folder: Path, timeout: float | None = None) -> FileLock:
    """The lock of a cache folder: ``<folder>.lock`` beside it (across processes and threads).

    ``timeout`` [s] is ``_LOCK_TIMEOUT_S`` by default; 0 tries once.
    """
    return FileLock(
        folder.with_name(folder.name + ".lock"), timeout=_LOCK_TIMEOUT_S if timeout is None else timeout
    )


def _check(folder: Path, files: tuple[str, ...]) -> str | None:
    """None when ``files`` match the folder's manifest, else what is wrong ("missing" for no folder)."""
    if not folder.is_dir():
        return "missing"
    try:
        manifest = json.loads((folder / _MANIFEST).read_text())["files"]
    except FileNotFoundError:
        return f"{_MANIFEST} missing"
    except (OSError, ValueError, KeyError, TypeError) as err:
        return f"{_MANIFEST} unreadable: {type(err).__name__}"
    for name in files:
        try:
            size, crc = manifest[name]["size"], manifest[name]["crc32"]
        except (KeyError, TypeError):
            return f"{name} not in {_MANIFEST}"
        try:
            actual_size = (folder / name).stat().st_size
            actual_crc = _crc32(folder / name) if actual_size == size else None
        except FileNotFoundError:
            return f"{name}: missing"
        except OSError as err:
            return f"{name}: {err.strerror or type(err).__name__}"
        if actual_size != size:
            return f"{name}: size {actual_size}, expected {size}"
        if actual_crc != crc:
            return f"{name}: CRC-32 {actual_crc}, expected {crc}"
    return None


def _crc32(path: Path) -> str:
    """CRC-32 of a file's bytes, 8 hex digits (~0.2 ms per MB)."""
    crc = 0
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            crc = zlib.crc32(block, crc)
    return f"{crc:08x}"


def _read_problem(err: BaseException) -> str:
    """One line on an error raised while reading the cache."""
    lines = str(err).strip().splitlines()
    return f"unreadable: {type(err).__name__}" + (f": {lines[0]}" if lines else "")


def _read_model(code: str, folder: Path) -> GridModel:
    """The :class:`GridModel` stored in a cache folder."""
    # without Arrow's thread pools: the tables are small, and a pool thread still alive when the process
    # exits can abort it after its work is done (SIGABRT, "terminate called without an active exception";
    # apache/arrow#34314; seen here once in ~30 runs of three processes at once under load)
    tables = {
        name: pd.read_parquet(folder / f"{name}.parquet", use_threads=False, pre_buffer=False)
        for name in _TABLES
    }
    with np.load(folder / "profiles.npz", allow_pickle=False) as arrays:
        profiles = {name: arrays[name] for name in ("load_p_mw", "load_q_mvar", "sgen_p_mw")}
    meta = json.loads((folder / "meta.json").read_text())
    return GridModel(code=code, **tables, **profiles, profile_start=pd.Timestamp(meta["profile_start"]))


def _leftovers(folder: Path) -> list[Path]:
    """Build and swap folders of earlier builds of this cache (``<folder>.tmp-*``, ``<folder>.old-*``)."""
    return [*folder.parent.glob(f"{folder.name}.tmp-*"), *folder.parent.glob(f"{folder.name}.old-*")]


def _tidy(folder: Path) -> None:
    """Remove leftovers of interrupted builds, if no build runs now (the lock is free)."""
    try:
        with _lock(folder, timeout=0):
            _remove_leftovers(folder)
    except Timeout:
        return  # a build runs: it removes them itself


def _remove_leftovers(folder: Path) -> None:
    """Remove the folders :func:`_leftovers` finds (call with the cache's lock held)."""
    for path in _leftovers(folder):
        shutil.rmtree(path, ignore_errors=True)


def _build_cache(code: str, folder: Path) -> None:
    """Build the grid cache from the ``simbench`` package (several seconds, once; call under the lock).

    Leftovers of interrupted builds are removed first. The files go to a folder of this build's own
    (``<folder>.tmp-<uuid>``), the manifest last; the folder then replaces ``folder``. On any error the
    temporary folder is removed and a :class:`GridCacheError` names the cache and the cause.
    """
    _remove_leftovers(folder)
    tmp = folder.with_name(f"{folder.name}.tmp-{uuid.uuid4().hex}")
    tmp.mkdir(parents=True)
    try:
        _write_cache(code, tmp)
        _replace(folder, tmp)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, Exception):
            raise GridCacheError(f"cannot build grid cache {folder}: {type(err).__name__}: {err}") from err
        raise
    _log.info("gridflow: grid cache %s built", folder)


def _write_cache(code: str, tmp: Path) -> None:
    """Write a grid's cache files into ``tmp``, the manifest last."""
    import pandapower as pp
    import simbench as sb

    net = sb.get_simbench_net(code)
    for name, table in grid_tables(net).items():
        table.to_parquet(tmp / f"{name}.parquet")
    pp.to_json(net, str(tmp / "net.json"))
    np.savez(tmp / "profiles.npz", **grid_profiles(net))
    (tmp / "meta.json").write_text(
        json.dumps({"code": code, "profile_start": "2016-01-01T00:00:00+00:00", "source": "simbench"})
    )
    files = {
        path.name: {"size": path.stat().st_size, "crc32": _crc32(path)} for path in sorted(tmp.iterdir())
    }
    (tmp / _MANIFEST).write_text(json.dumps({"code": code, "files": files}, indent=1))


def grid_tables(net) -> dict[str, pd.DataFrame]:  # noqa: ANN001 (a pandapowerNet)
    """The tables of a :class:`GridModel` taken from a pandapower network with SimBench's columns.

    Parameters
    ----------
    net : pandapower.pandapowerNet
        Buses with ``geo`` (GeoJSON points) and ``subnet`` where known; missing columns become NaN / "".

    Returns
    -------
    dict of pd.DataFrame
        ``bus``, ``line``, ``trafo``, ``switch``, ``load``, ``sgen``, as in :class:`GridModel`.
    """
    geo_col = net.bus["geo"] if "geo" in net.bus else pd.Series(None, index=net.bus.index, dtype=object)
    geo = geo_col.map(lambda g: json.loads(g)["coordinates"] if isinstance(g, str) else [np.nan, np.nan])
    subnet = net.bus["subnet"].astype(str) if "subnet" in net.bus else pd.Series("", index=net.bus.index)
    bus = net.bus[["name", "vn_kv"]].assign(x=[c[0] for c in geo], y=[c[1] for c in geo], subnet=subnet)
    load = net.load.assign(profile=net.load.get("profile", ""))
    sgen = net.sgen.assign(type=net.sgen["type"].astype(str))
    return {
        "bus": bus,
        "line": net.line[["name", "from_bus", "to_bus", "length_km", "max_i_ka", "in_service"]],
        "trafo": net.trafo[["name", "hv_bus", "lv_bus", "sn_mva"]],
        "switch": net.switch[["name", "bus", "element", "et", "closed"]].assign(
            name=net.switch["name"].fillna("").astype(str)
        ),
        "load": load[["name", "bus", "profile", "p_mw"]],
        "sgen": sgen[["name", "bus", "type", "p_mw"]],
    }


def grid_profiles(net) -> dict[str, np.ndarray]:  # noqa: ANN001 (a pandapowerNet)
    """Absolute yearly profiles of a SimBench network (its ``profiles`` tables), quarter hour x element.

    Parameters
    ----------
    net : pandapower.pandapowerNet
        With SimBench's ``profiles`` and the ``profile`` column of loads and sgens.

    Returns
    -------
    dict of np.ndarray
        ``load_p_mw`` [MW], ``load_q_mvar`` [MVAr], ``sgen_p_mw`` [MW].
    """
    import simbench as sb

    profiles = sb.get_absolute_values(net, profiles_instead_of_study_cases=True)
    return {
        "load_p_mw": profiles[("load", "p_mw")].to_numpy(dtype=np.float64),
        "load_q_mvar": profiles[("load", "q_mvar")].to_numpy(dtype=np.float64),
        "sgen_p_mw": profiles[("sgen", "p_mw")].to_numpy(dtype=np.float64),
    }


def _replace(folder: Path, tmp: Path) -> None:
    """Put the complete folder ``tmp`` in the place of ``folder`` (a damaged one moves aside first)."""
    old = None
    if folder.exists():
        old = folder.with_name(f"{folder.name}.old-{uuid.uuid4().hex}")
        folder.rename(old)
    tmp.rename(folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
