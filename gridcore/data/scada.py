"""Grid sensors (SCADA) of the default grid: the registry and a synthetic 15-minute feed.

The registry follows what an MV substation measures: active and reactive power and current at the head of
every feeder, active and reactive power of each HV/MV transformer, the busbar voltage, and the state of
every switch. Values come from the same SimBench profiles as the meters, by power balance: a feeder's
head flow is the sum of its loads minus its generation (line losses, about 1-2 % in MV, are neglected), a
current is ``|S| / (sqrt(3) * V)`` with ``V`` the nominal voltage of the head line's bus (20 kV on an MV grid,
0.4 kV on an LV grid). Voltages along the feeders need a power flow and come with the grid
model (power flow issue); the busbar voltage here is the substation's regulated set point with noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridcore.data.contracts import Contract, ValidationResult, valid_on_grid, validate
from gridcore.data.synthetic import FaultRates, quarter_hours
from gridcore.network.feeders import BUSBAR, FeederMap
from gridcore.network.grid import GridModel

#: Regulated busbar voltage of the HV/MV substation [p.u.].
BUSBAR_VM_PU = 1.0


def head_kv(grid: GridModel, line: int) -> float:
    """Nominal voltage at the head of a feeder: that of its head line's from bus [kV].

    Parameters
    ----------
    grid : GridModel
    line : int
        Head line id.

    Returns
    -------
    float
        Line-to-line voltage [kV].
    """
    return float(grid.bus.at[grid.line.at[line, "from_bus"], "vn_kv"])


def sensor_registry(grid: GridModel, feeders: FeederMap) -> pd.DataFrame:
    """The SCADA points of a grid.

    Parameters
    ----------
    grid : GridModel
    feeders : FeederMap

    Returns
    -------
    pd.DataFrame
        Index ``sensor_id``; ``quantity`` (``p_mw``, ``q_mvar``, ``i_ka``, ``vm_pu``, ``closed``),
        ``element_type``, ``element``, ``feeder``, ``value_min``, ``value_max`` (physical bounds).
    """
    rows = []
    for feeder, line in feeders.head_line.items():
        max_i = float(grid.line.at[line, "max_i_ka"])
        s_max = np.sqrt(3) * head_kv(grid, line) * 3 * max_i
        rows += [
            (f"P:{feeder}", "p_mw", "line", line, feeder, -s_max, s_max),
            (f"Q:{feeder}", "q_mvar", "line", line, feeder, -s_max, s_max),
            (f"I:{feeder}", "i_ka", "line", line, feeder, 0.0, 3 * max_i),
        ]
    for trafo, name in grid.trafo["name"].items():
        s = 3 * float(grid.trafo.at[trafo, "sn_mva"])
        rows += [
            (f"P:{name}", "p_mw", "trafo", trafo, BUSBAR, -s, s),
            (f"Q:{name}", "q_mvar", "trafo", trafo, BUSBAR, -s, s),
        ]
    for bus in sorted(set(grid.trafo["lv_bus"])):
        rows.append((f"V:{grid.bus.at[bus, 'name']}", "vm_pu", "bus", bus, BUSBAR, 0.5, 1.5))
    for sw in grid.switch.index:
        rows.append((f"S:{sw}", "closed", "switch", sw, "", 0.0, 1.0))
    reg = pd.DataFrame(
        rows, columns=["sensor_id", "quantity", "element_type", "element", "feeder", "value_min", "value_max"]
    )
    return reg.set_index("sensor_id")


def sensor_contract(registry: pd.DataFrame) -> Contract:
    """The ``sensor_readings`` contract for a registry."""
    return Contract(
        suite="sensor_readings",
        id_column="sensor_id",
        value_column="value",
        registry=registry,
        known_column="sensor_known",
        bound_columns=("value_min", "value_max"),
    )


def sensor_readings(
    grid: GridModel,
    feeders: FeederMap,
    registry: pd.DataFrame,
    hour: pd.Timestamp,
    seed: int = 1,
    noise: float = 0.005,
    faults: FaultRates | None = None,
) -> pd.DataFrame:
    """The SCADA feed for one hour: every sensor at the four quarter hours.

    Parameters
    ----------
    grid : GridModel
    feeders : FeederMap
    registry : pd.DataFrame
        From :func:`sensor_registry`.
    hour : pd.Timestamp
        UTC start of the hour.
    seed : int
        Random seed.
    noise : float
        Relative measurement noise (RMS) of analog values [-].
    faults : FaultRates, optional
        Only ``missing`` and ``spike`` apply; a tenth of the meter defaults when omitted.

    Returns
    -------
    pd.DataFrame
        ``sensor_id``, ``timestamp`` (UTC sample time, the quarter-hour start), ``value`` (in the
        sensor's quantity).
    """
    faults = FaultRates(missing=0.0002, spike=0.0001) if faults is None else faults
    hour = pd.Timestamp(hour).tz_convert("UTC").floor("h")
    starts = quarter_hours(hour, hour + pd.Timedelta(hours=1))
    rng = np.random.default_rng([seed, int(hour.value // 3_600_000_000_000), 7])
    idx = grid.profile_index(starts)
    load_feeder = grid.load["bus"].map(feeders.bus_feeder).to_numpy()
    sgen_feeder = grid.sgen["bus"].map(feeders.bus_feeder).to_numpy()
    p = {
        f: grid.load_p_mw[idx][:, load_feeder == f].sum(1) - grid.sgen_p_mw[idx][:, sgen_feeder == f].sum(1)
        for f in feeders.feeders
    }
    q = {f: grid.load_q_mvar[idx][:, load_feeder == f].sum(1) for f in feeders.feeders}
    total_p = sum(p.values())
    total_q = sum(q.values())
    n_trafo = max(len(grid.trafo), 1)
    vm = BUSBAR_VM_PU + 0.002 * rng.standard_normal(len(starts))
    values = np.empty((len(registry), len(starts)))
    columns = (registry[c] for c in ("quantity", "element_type", "element", "feeder"))
    for i, (quantity, etype, element, feeder) in enumerate(zip(*columns, strict=True)):
        if etype == "line":
            s = np.hypot(p[feeder], q[feeder])
            kv = head_kv(grid, int(element))
            values[i] = {"p_mw": p[feeder], "q_mvar": q[feeder], "i_ka": s / (np.sqrt(3) * kv * vm)}[quantity]
        elif etype == "trafo":
            values[i] = (total_p if quantity == "p_mw" else total_q) / n_trafo
        elif etype == "bus":
            values[i] = vm
        else:
            closed = grid.switch.at[registry.at[registry.index[i], "element"], "closed"]
            values[i] = float(bool(closed))
    analog = registry["quantity"].to_numpy() != "closed"
    values[analog] *= 1.0 + noise * rng.standard_normal((int(analog.sum()), len(starts)))
    flat = values.reshape(-1)
    flat[rng.random(flat.size) < faults.missing] = np.nan
    spike = (rng.random(flat.size) < faults.spike) & np.repeat(analog, len(starts))
    flat[spike] = np.repeat(registry["value_max"].to_numpy(), len(starts))[spike] * 10 + 1
    return pd.DataFrame(
        {
            "sensor_id": pd.Categorical.from_codes(
                np.repeat(np.arange(len(registry)), len(starts)), categories=registry.index
            ),
            "timestamp": pd.to_datetime(np.tile(starts.as_unit("ns").asi8, len(registry)), utc=True),
            "value": flat,
        }
    )


def validate_sensors(
    raw: pd.DataFrame,
    registry: pd.DataFrame,
    now: pd.Timestamp,
    as_of: pd.Timestamp | None = None,
    source: str = "scada",
) -> ValidationResult:
    """Validate sensor readings against the ``sensor_readings`` suite."""
    return validate(raw, sensor_contract(registry), now, as_of, source)


def sensor_dataset(result: ValidationResult, registry: pd.DataFrame, starts: pd.DatetimeIndex) -> xr.Dataset:
    """Valid sensor readings as a sensor x time dataset (NaN where none), with each sensor's quantity.

    Parameters
    ----------
    result : ValidationResult
    registry : pd.DataFrame
    starts : pd.DatetimeIndex
        UTC quarter-hour times.

    Returns
    -------
    xr.Dataset
        ``value`` (sensor, time), coordinate ``quantity`` per sensor (units: MW, MVAr, kA, p.u., 0/1).
    """
    out = valid_on_grid(result, "value", len(registry), starts)
    return xr.Dataset(
        {
            "value": (
                ("sensor", "time"),
                out,
                {"units": "see quantity: p_mw MW, q_mvar MVAr, i_ka kA, vm_pu p.u., closed 0/1"},
            )
        },
        coords={
            "sensor": registry.index.to_numpy().astype(str),
            "quantity": ("sensor", registry["quantity"].to_numpy().astype(str)),
            "time": starts.tz_convert(None).as_unit("ns"),
        },
    )
