"""The default grid: a SimBench medium-voltage network with its year of 15-minute profiles.

SimBench (Meinecke et al., 2020, https://simbench.de) publishes benchmark grids with a year (2016) of
15-minute load, PV and wind profiles. Building one from the ``simbench`` package takes several seconds,
so the first use writes a cache (pandapower JSON for the network, Parquet for the profiles and tables);
later loads read the cache and need neither ``simbench`` nor ``pandapower``.

The profile year is 2016 (366 days, 35,136 quarter hours). A timestamp of any other year maps onto the
same quarter hour of the year (day of year and time of day), so the defaults run for any date.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: SimBench code of the default grid: the semi-urban MV grid, switching-based variant.
DEFAULT_GRID = "1-MV-semiurb--0-sw"
#: Quarter hours in the SimBench profile year (2016, a leap year).
STEPS_PER_YEAR = 35136
#: Profile resolution.
STEP = pd.Timedelta(minutes=15)
_CACHE_VERSION = "1"


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
        Profiles, quarter hour x element [MW], [MVAr], in the order of ``load`` / ``sgen``.
    profile_start : pd.Timestamp
        UTC start of the profile year.
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

    @property
    def fingerprint(self) -> str:
        """Short hash of the topology and nominal loads, recorded with every product."""
        h = hashlib.sha256()
        for table in (self.bus, self.line, self.trafo, self.switch, self.load):
            h.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
        return h.hexdigest()[:12]

    def profile_index(self, times: pd.DatetimeIndex) -> np.ndarray:
        """Row of the profile arrays for each UTC quarter-hour start (same day of year and time).

        Parameters
        ----------
        times : pd.DatetimeIndex
            tz-aware UTC interval starts on the 15-minute grid.

        Returns
        -------
        np.ndarray of int64
        """
        year_start = times.normalize() - pd.to_timedelta(times.dayofyear - 1, unit="D")
        steps = ((times - year_start) // STEP).to_numpy().astype(np.int64)
        return np.minimum(steps, STEPS_PER_YEAR - 1)


def load_grid(code: str = DEFAULT_GRID, cache: Path | None = None) -> GridModel:
    """Load a SimBench grid and its profiles, from the cache when present.

    Parameters
    ----------
    code : str
        SimBench grid code, e.g. ``1-MV-semiurb--0-sw`` (default) or ``1-MV-rural--0-sw``.
    cache : Path, optional
        Cache folder; :func:`cache_dir` by default.

    Returns
    -------
    GridModel
    """
    folder = (cache or cache_dir()) / f"simbench-{code}-v{_CACHE_VERSION}"
    if not (folder / "done").exists():
        _build_cache(code, folder)
    tables = {
        name: pd.read_parquet(folder / f"{name}.parquet")
        for name in ("bus", "line", "trafo", "switch", "load", "sgen")
    }
    arrays = np.load(folder / "profiles.npz")
    meta = json.loads((folder / "meta.json").read_text())
    return GridModel(
        code=code,
        **tables,
        load_p_mw=arrays["load_p_mw"],
        load_q_mvar=arrays["load_q_mvar"],
        sgen_p_mw=arrays["sgen_p_mw"],
        profile_start=pd.Timestamp(meta["profile_start"]),
    )


def pandapower_net(code: str = DEFAULT_GRID, cache: Path | None = None):  # noqa: ANN201
    """The cached pandapower network of a SimBench grid (imports pandapower).

    Parameters
    ----------
    code : str
        SimBench grid code.
    cache : Path, optional
        Cache folder.

    Returns
    -------
    pandapower.pandapowerNet
    """
    import pandapower as pp

    folder = (cache or cache_dir()) / f"simbench-{code}-v{_CACHE_VERSION}"
    if not (folder / "done").exists():
        _build_cache(code, folder)
    return pp.from_json(str(folder / "net.json"))


def _build_cache(code: str, folder: Path) -> None:
    """Build the grid cache from the ``simbench`` package (several seconds, once)."""
    import pandapower as pp
    import simbench as sb

    net = sb.get_simbench_net(code)
    profiles = sb.get_absolute_values(net, profiles_instead_of_study_cases=True)
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    geo = net.bus["geo"].map(
        lambda g: json.loads(g)["coordinates"] if isinstance(g, str) else [np.nan, np.nan]
    )
    bus = net.bus[["name", "vn_kv"]].assign(
        x=[c[0] for c in geo], y=[c[1] for c in geo], subnet=net.bus["subnet"].astype(str)
    )
    tables = {
        "bus": bus,
        "line": net.line[["name", "from_bus", "to_bus", "length_km", "max_i_ka", "in_service"]],
        "trafo": net.trafo[["name", "hv_bus", "lv_bus", "sn_mva"]],
        "switch": net.switch[["name", "bus", "element", "et", "closed"]].assign(
            name=net.switch["name"].fillna("").astype(str)
        ),
        "load": net.load[["name", "bus", "profile", "p_mw"]],
        "sgen": net.sgen[["name", "bus", "type", "p_mw"]].assign(type=net.sgen["type"].astype(str)),
    }
    for name, table in tables.items():
        table.to_parquet(tmp / f"{name}.parquet")
    np.savez(
        tmp / "profiles.npz",
        load_p_mw=profiles[("load", "p_mw")].to_numpy(dtype=np.float64),
        load_q_mvar=profiles[("load", "q_mvar")].to_numpy(dtype=np.float64),
        sgen_p_mw=profiles[("sgen", "p_mw")].to_numpy(dtype=np.float64),
    )
    pp.to_json(net, str(tmp / "net.json"))
    (tmp / "meta.json").write_text(
        json.dumps({"code": code, "profile_start": "2016-01-01T00:00:00+00:00", "source": "simbench"})
    )
    (tmp / "done").write_text("ok")
    if folder.exists():
        import shutil

        shutil.rmtree(tmp)
        return
    tmp.rename(folder)
