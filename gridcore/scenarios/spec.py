"""Scenario files: what a named operating scenario changes, read from TOML and checked key by key.

A scenario is a TOML file a user can copy and edit. The five shipped ones live in
``gridcore/scenarios/data/`` (read with :mod:`importlib.resources`); any other file runs the same way.
Every table is optional except the top keys ``name``, ``start`` and ``hours``::

    name = "heat-wave"
    description = "..."
    grid = "1-MV-semiurb--0-sw"      # SimBench code (a --grid on the command line wins)
    start = "2016-07-21T00:00Z"      # first hour, UTC
    hours = 48                       # hours simulated [h]

    [event]            # when the disturbance (supply limit, plant trip, outage, surge) is in force
    from_h = 16        # hours after start [h]
    hours = 6          # duration [h]

    [weather]
    temperature_shift_c = 4.0        # added to the observed temperature of the scenario's hours [°C]

    [demand]
    growth = 1.0                     # load scale to the study year [-]
    design_load_pct = 100.0          # instead of growth: the forecast peak on the observed weather is
                                     # this share of the grid's rated load (SimBench's high-load case) [%]
    surge_pct = 0.0                  # extra demand during the event, ramped in and out [%]

    [generation]
    pv_scale = 1.0                   # PV output scale [-]
    cloud_swing = 0.0                # depth of the hourly cloud dips, 0..1 [-]
    cloud_seed = 1
    outage_types = []                # generator types lost during the event (prefix: "Biomass", "Hydro")

    [supply]
    import_limit_mw = 20.0           # upstream import limit during the event [MW]

    [lines]
    derate_pct_per_c = 0.0           # line ratings reduced per °C above the reference [%/°C]
    reference_c = 25.0               # [°C]

    [maintenance]
    lines = [..]; trafos = [..]      # out of service during the event (pandapower index)
    switching = true                 # close tie switches to resupply what the outage cuts off

    [remedies]
    order = ["prices", "batteries", "shedding"]
    spare_critical = true            # never shed critical customers (what is left is reported unserved)

    [objectives]                     # named weights of the trade-off (>= 0)
    cost = 1.0
    renewables = 1.0
    customers = 1.0

An unknown table or key, a wrong type or a value out of range raises :class:`~gridcore.errors.InputError`
naming the key (``field``), e.g. ``supply.import_limit_mw``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from gridcore.errors import InputError

#: Remedy steps, in the default order.
REMEDIES = ("prices", "batteries", "shedding")
#: The package folder of the shipped scenario files.
_DATA = "gridcore.scenarios.data"

_TOP = {
    "name",
    "description",
    "grid",
    "start",
    "hours",
    "event",
    "weather",
    "demand",
    "generation",
    "supply",
    "lines",
    "maintenance",
    "remedies",
    "objectives",
}
_TABLES: dict[str, dict[str, type | tuple[type, ...]]] = {
    "event": {"from_h": int, "hours": int},
    "weather": {"temperature_shift_c": (int, float)},
    "demand": {"growth": (int, float), "design_load_pct": (int, float), "surge_pct": (int, float)},
    "generation": {
        "pv_scale": (int, float),
        "cloud_swing": (int, float),
        "cloud_seed": int,
        "outage_types": list,
    },
    "supply": {"import_limit_mw": (int, float)},
    "lines": {"derate_pct_per_c": (int, float), "reference_c": (int, float)},
    "maintenance": {"lines": list, "trafos": list, "switching": bool},
    "remedies": {"order": list, "spare_critical": bool},
    "objectives": {"cost": (int, float), "renewables": (int, float), "customers": (int, float)},
}


@dataclass(frozen=True)
class Objectives:
    """Named weights of the trade-off between cost, renewable use and customer impact [-].

    Attributes
    ----------
    cost : float
        Weight of money: scales the batteries' wear (throughput) cost, so a high weight moves them less.
    renewables : float
        Weight of renewable energy used: scales how far the batteries' price falls in hours of surplus
        generation, so a high weight stores more of it instead of curtailing.
    customers : float
        Weight of customers spared: scales the batteries' price rise in hours a constraint needs relief
        and their demand charge, so a high weight keeps more load from being shed.
    """

    cost: float = 1.0
    renewables: float = 1.0
    customers: float = 1.0

    def to_dict(self) -> dict[str, float]:
        """The weights as plain data."""
        return {"cost": self.cost, "renewables": self.renewables, "customers": self.customers}


@dataclass(frozen=True)
class ScenarioSpec:
    """A checked scenario (see the module docstring for every key and its unit).

    Attributes
    ----------
    name, description : str
    grid : str or None
        SimBench code; None: GRIDFLOW_GRID or the default grid.
    start : pd.Timestamp
        UTC first hour.
    hours : int
        Hours simulated [h].
    event_from_h, event_hours : int
        The disturbance's window, hours after ``start`` [h].
    temperature_shift_c : float
        [°C]
    growth, surge_pct : float
        Load scale [-]; extra demand during the event [%].
    design_load_pct : float or None
        Instead of ``growth``: the observed-weather forecast peak as a share of the rated load [%].
    pv_scale, cloud_swing : float
        [-]
    cloud_seed : int
    outage_types : tuple of str
        Generator type prefixes lost during the event.
    import_limit_mw : float or None
        [MW]
    derate_pct_per_c, reference_c : float
        [%/°C], [°C]
    maintenance_lines, maintenance_trafos : tuple of int
    switching : bool
    order : tuple of str
        Remedies in the order they are tried.
    spare_critical : bool
        Never shed a block with critical customers: what only they could cover is left unserved (and
        reported) instead. False: the priority file's rule (critical customers last).
    objectives : Objectives
    source : str
        The file read (``builtin:<name>`` for a shipped one).
    """

    name: str
    start: pd.Timestamp
    hours: int
    description: str = ""
    grid: str | None = None
    event_from_h: int = 0
    event_hours: int = 0
    temperature_shift_c: float = 0.0
    growth: float = 1.0
    design_load_pct: float | None = None
    surge_pct: float = 0.0
    pv_scale: float = 1.0
    cloud_swing: float = 0.0
    cloud_seed: int = 1
    outage_types: tuple[str, ...] = ()
    import_limit_mw: float | None = None
    derate_pct_per_c: float = 0.0
    reference_c: float = 25.0
    maintenance_lines: tuple[int, ...] = ()
    maintenance_trafos: tuple[int, ...] = ()
    switching: bool = True
    order: tuple[str, ...] = REMEDIES
    spare_critical: bool = True
    objectives: Objectives = field(default_factory=Objectives)
    source: str = "dict"

    @property
    def times(self) -> pd.DatetimeIndex:
        """UTC hour starts of the scenario."""
        return pd.date_range(self.start, periods=self.hours, freq="1h", name="time")

    @property
    def event_mask(self) -> pd.Series:
        """Whether each hour is inside the event's window (bool per hour of :attr:`times`)."""
        k = pd.RangeIndex(self.hours)
        inside = (k >= self.event_from_h) & (k < self.event_from_h + self.event_hours)
        return pd.Series(inside, index=self.times)


def _fail(where: str, key: str, message: str) -> InputError:
    return InputError(f"{where}: {key} {message}", field=key)


def _number(
    where: str, key: str, value: object, low: float | None = None, high: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, key, f"must be a number, got {value!r}")
    x = float(value)
    if (low is not None and x < low) or (high is not None and x > high):
        span = f"{'-inf' if low is None else low}..{'inf' if high is None else high}"
        raise _fail(where, key, f"= {value} is outside {span}")
    return x


def _ints(where: str, key: str, value: list) -> tuple[int, ...]:
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise _fail(where, key, f"must list element indices (integers >= 0), got {value!r}")
    return tuple(value)


def _check_types(data: dict[str, Any], where: str) -> None:
    unknown = set(data) - _TOP
    if unknown:
        key = sorted(unknown)[0]
        raise _fail(where, key, f"is not a scenario key (known: {', '.join(sorted(_TOP))})")
    for key in ("name", "start", "hours"):
        if key not in data:
            raise _fail(where, key, "is missing")
    for table, keys in _TABLES.items():
        if table not in data:
            continue
        if not isinstance(data[table], dict):
            raise _fail(where, table, "must be a table")
        for key, value in data[table].items():
            name = f"{table}.{key}"
            if key not in keys:
                raise _fail(where, name, f"is not a key of [{table}] (known: {', '.join(sorted(keys))})")
            if isinstance(value, bool) and keys[key] is not bool or not isinstance(value, keys[key]):
                raise _fail(where, name, f"has the wrong type: {value!r}")


def parse_scenario(data: dict[str, Any], source: str = "dict") -> ScenarioSpec:
    """Check a parsed scenario file and return its spec.

    Parameters
    ----------
    data : dict
        The parsed TOML.
    source : str
        Where it came from (named in errors).

    Returns
    -------
    ScenarioSpec

    Raises
    ------
    InputError
        Naming the key that is missing, unknown, of a wrong type or out of range.
    """
    where = f"scenario {source}"
    _check_types(data, where)
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise _fail(where, "name", "must be a non-empty string")
    try:
        start = pd.Timestamp(str(data["start"]))
    except ValueError:
        raise _fail(where, "start", f"{data['start']!r} is not an ISO 8601 time") from None
    if start.tzinfo is None:
        raise _fail(where, "start", f"{data['start']!r} has no UTC offset; write it with Z")
    start = start.tz_convert("UTC")
    if start != start.floor("h"):
        raise _fail(where, "start", f"{data['start']!r} is not on the hour")
    hours = data["hours"]
    if isinstance(hours, bool) or not isinstance(hours, int) or not 2 <= hours <= 168:
        raise _fail(where, "hours", f"must be a whole number of hours in 2..168, got {hours!r}")
    grid = data.get("grid")
    if grid is not None and (not isinstance(grid, str) or not grid.strip()):
        raise _fail(where, "grid", "must be a SimBench code")
    ev, we, de = data.get("event", {}), data.get("weather", {}), data.get("demand", {})
    ge, su, li = data.get("generation", {}), data.get("supply", {}), data.get("lines", {})
    ma, re, ob = data.get("maintenance", {}), data.get("remedies", {}), data.get("objectives", {})
    from_h = int(_number(where, "event.from_h", ev.get("from_h", 0), 0, hours - 1))
    ev_hours = int(_number(where, "event.hours", ev.get("hours", 0), 0, hours - from_h))
    order = tuple(re.get("order", REMEDIES))
    for k, step in enumerate(order):
        if step not in REMEDIES:
            raise _fail(where, f"remedies.order[{k}]", f"= {step!r} is not one of {', '.join(REMEDIES)}")
    if len(set(order)) != len(order):
        raise _fail(where, "remedies.order", f"names a remedy twice: {list(order)}")
    types = ge.get("outage_types", [])
    if not all(isinstance(t, str) and t for t in types):
        raise _fail(where, "generation.outage_types", f"must list generator types, got {types!r}")
    limit = su.get("import_limit_mw")
    design = de.get("design_load_pct")
    if design is not None and "growth" in de:
        raise _fail(where, "demand.design_load_pct", "and demand.growth both set; give one")
    return ScenarioSpec(
        name=name.strip(),
        description=str(data.get("description", "")),
        grid=grid.strip() if grid else None,
        start=start,
        hours=hours,
        event_from_h=from_h,
        event_hours=ev_hours,
        temperature_shift_c=_number(
            where, "weather.temperature_shift_c", we.get("temperature_shift_c", 0), -30, 30
        ),
        growth=_number(where, "demand.growth", de.get("growth", 1.0), 0.1, 5.0),
        design_load_pct=None
        if design is None
        else _number(where, "demand.design_load_pct", design, 1.0, 300.0),
        surge_pct=_number(where, "demand.surge_pct", de.get("surge_pct", 0.0), 0.0, 200.0),
        pv_scale=_number(where, "generation.pv_scale", ge.get("pv_scale", 1.0), 0.0, 10.0),
        cloud_swing=_number(where, "generation.cloud_swing", ge.get("cloud_swing", 0.0), 0.0, 1.0),
        cloud_seed=int(ge.get("cloud_seed", 1)),
        outage_types=tuple(types),
        import_limit_mw=None if limit is None else _number(where, "supply.import_limit_mw", limit, 0.0),
        derate_pct_per_c=_number(where, "lines.derate_pct_per_c", li.get("derate_pct_per_c", 0.0), 0.0, 5.0),
        reference_c=_number(where, "lines.reference_c", li.get("reference_c", 25.0), -20.0, 60.0),
        maintenance_lines=_ints(where, "maintenance.lines", ma.get("lines", [])),
        maintenance_trafos=_ints(where, "maintenance.trafos", ma.get("trafos", [])),
        switching=bool(ma.get("switching", True)),
        order=order,
        spare_critical=bool(re.get("spare_critical", True)),
        objectives=Objectives(
            **{
                k: _number(where, f"objectives.{k}", ob.get(k, 1.0), 0.0, 100.0)
                for k in ("cost", "renewables", "customers")
            }
        ),
        source=source,
    )


def builtin_files() -> dict[str, Path]:
    """The shipped scenario files by scenario name (the file's stem), sorted by name."""
    folder = resources.files(_DATA)
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    return {p.name.removesuffix(".toml"): Path(str(p)) for p in files}


def read_scenario(path: str | Path, source: str | None = None) -> ScenarioSpec:
    """Read and check a scenario file.

    Raises
    ------
    InputError
        When the file is missing, not TOML, or a key is wrong (naming it).
    """
    file = Path(path)
    label = source or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"scenario file {file}: not found", field="--file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"scenario file {file}: not TOML: {err}", field="--file") from None
    return parse_scenario(data, label)


def load_scenario(name_or_path: str | Path) -> ScenarioSpec:
    """A shipped scenario by name, or a scenario file by path (anything ending ``.toml``).

    Raises
    ------
    InputError
        For an unknown name (listing the known ones) or a bad file.
    """
    text = str(name_or_path)
    if text.endswith(".toml"):
        return read_scenario(text)
    files = builtin_files()
    if text not in files:
        raise InputError(f"unknown scenario {text!r}; known: {', '.join(files)}", field="NAME")
    return read_scenario(files[text], f"builtin:{text}")


def list_scenarios() -> list[dict[str, str]]:
    """The shipped scenarios: ``name``, ``description``, ``file`` (the path to copy and edit)."""
    out = []
    for name, path in builtin_files().items():
        spec = read_scenario(path, f"builtin:{name}")
        out.append({"name": spec.name, "description": spec.description, "file": str(path)})
    return out
