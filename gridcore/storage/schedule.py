"""Battery schedules as linear programs, built from arrays and solved with OR-Tools.

Each battery sits at a *site*: a connection point with its own renewable production and demand (a home with
rooftop PV, the rest of a low-voltage area, a PV or wind plant) and an import and an export limit at the
connection. Hour by hour the site's energy balance must hold::

    pv - curtail + import + discharge = load + charge + export

and the state of charge follows the charge and discharge efficiencies::

    soc[t] = soc[t-1] + eta_charge * charge[t] - discharge[t] / eta_discharge        (1 h steps)

with power limits on charge and discharge, SoC bounds, and the SoC at the end of the horizon at least its
starting value (the schedule does not borrow energy from the next horizon). The cost to minimise is::

    sum_t price_import[t] * import[t] - price_export[t] * export[t]
          + throughput_cost * (charge[t] + discharge[t]) + curtailment_cost * curtail[t]
    + demand_charge * max_t import[t]

The demand charge (a capacity price on the horizon's peak import, EUR/MW; column
``demand_charge_eur_per_mw``, none by default) makes a battery flatten its site's import rather than empty
itself at the start of a cheap hour; across a fleet that is what keeps the evening ramp and the rebound
after a peak tariff small.

The throughput cost is the degradation cost per MWh moved through the battery; the curtailment cost is a
small tie-break that makes the schedule use renewable energy when it is otherwise indifferent (documented in
:data:`CURTAILMENT_COST_EUR_PER_MWH`).

Every per-battery LP has the same sparsity pattern, so the constraint matrix is assembled once per batch in
CSR form with numpy and handed to OR-Tools' model builder with ``fill_model_from_sparse_data``: no Python loop
over variables. The same function builds one joint block-diagonal model of a whole fleet, whose optimum must
equal the sum of the per-battery optima (a test checks it).

Variables per battery, in this order, each a block of ``T`` hours: ``charge``, ``discharge``, ``soc``,
``import``, ``export``, ``curtail`` (all MW, SoC MWh). Prices in EUR/MWh.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gridcore.errors import InputError

#: Names of the variable blocks of one battery's LP, in order.
BLOCKS = ("charge_mw", "discharge_mw", "soc_mwh", "import_mw", "export_mw", "curtail_mw")
#: Value given to one MWh of renewable energy that is not curtailed when nothing else decides [EUR/MWh].
#: Small against any tariff, so it only breaks ties (e.g. a full battery at the end of the horizon).
CURTAILMENT_COST_EUR_PER_MWH = 1.0
#: Solvers tried in this order when ``solver="auto"``.
SOLVERS = ("glop", "highs")
#: Fleet table columns the scheduler needs.
UNIT_COLUMNS = (
    "power_mw",
    "energy_mwh",
    "soc_min_frac",
    "soc_max_frac",
    "soc_init_frac",
    "eta_charge",
    "eta_discharge",
    "import_limit_mw",
    "export_limit_mw",
)


class ScheduleError(InputError):
    """Inputs a schedule cannot be built from (missing columns, bad shapes, NaN)."""


@dataclass(frozen=True)
class UnitLimits:
    """The fleet table's technical columns as arrays, one value per battery.

    Attributes
    ----------
    power_mw, energy_mwh : np.ndarray
        Charge/discharge limit [MW], usable capacity [MWh].
    soc_min_mwh, soc_max_mwh, soc_init_mwh : np.ndarray
        SoC bounds and initial SoC [MWh].
    eta_charge, eta_discharge : np.ndarray
        One-way efficiencies [-].
    import_limit_mw, export_limit_mw : np.ndarray
        Connection limits of the site [MW].
    """

    power_mw: np.ndarray
    energy_mwh: np.ndarray
    soc_min_mwh: np.ndarray
    soc_max_mwh: np.ndarray
    soc_init_mwh: np.ndarray
    eta_charge: np.ndarray
    eta_discharge: np.ndarray
    import_limit_mw: np.ndarray
    export_limit_mw: np.ndarray

    @classmethod
    def of(cls, units: pd.DataFrame) -> UnitLimits:
        """Arrays of a fleet table (columns :data:`UNIT_COLUMNS`)."""
        col = {c: units[c].to_numpy(dtype=float) for c in UNIT_COLUMNS}
        e = col["energy_mwh"]
        return cls(
            col["power_mw"],
            e,
            col["soc_min_frac"] * e,
            col["soc_max_frac"] * e,
            col["soc_init_frac"] * e,
            col["eta_charge"],
            col["eta_discharge"],
            col["import_limit_mw"],
            col["export_limit_mw"],
        )


@dataclass
class SiteInputs:
    """Hourly inputs of the sites of a set of batteries.

    Attributes
    ----------
    units : pd.DataFrame
        One row per battery (index: battery id) with the columns of :data:`UNIT_COLUMNS`: ``power_mw`` [MW]
        charge and discharge limit, ``energy_mwh`` [MWh] usable capacity, ``soc_min_frac``, ``soc_max_frac``,
        ``soc_init_frac`` [fraction of ``energy_mwh``], ``eta_charge``, ``eta_discharge`` [-],
        ``import_limit_mw``, ``export_limit_mw`` [MW] at the site's connection; optional
        ``throughput_cost_eur_per_mwh``.
    pv_mw : np.ndarray
        Renewable power available at each site [MW], shape (units, hours).
    load_mw : np.ndarray
        Demand at each site [MW], shape (units, hours).
    price_import : np.ndarray
        Price paid for imported energy [EUR/MWh], shape (hours,) or (units, hours).
    price_export : np.ndarray
        Price received for exported energy [EUR/MWh], shape (hours,) or (units, hours).
    time : pd.DatetimeIndex
        Hour starts (UTC), length hours.
    """

    units: pd.DataFrame
    pv_mw: np.ndarray
    load_mw: np.ndarray
    price_import: np.ndarray
    price_export: np.ndarray
    time: pd.DatetimeIndex

    def __post_init__(self) -> None:
        missing = [c for c in UNIT_COLUMNS if c not in self.units.columns]
        if missing:
            raise ScheduleError(f"fleet table lacks column(s) {missing}")
        n, t = len(self.units), len(self.time)
        for name in ("pv_mw", "load_mw"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.shape != (n, t):
                raise ScheduleError(f"{name} has shape {arr.shape}, expected (units, hours) = {(n, t)}")
            bad = ~np.isfinite(arr) | (arr < 0)
            if bad.any():
                i, j = np.argwhere(bad)[0]
                raise ScheduleError(
                    f"{name} is NaN or negative for battery {self.units.index[i]} at {self.time[j]} "
                    f"({int(bad.sum())} values)"
                )
            setattr(self, name, arr)
        for name in ("price_import", "price_export"):
            arr = np.broadcast_to(np.asarray(getattr(self, name), dtype=float), (n, t))
            if not np.isfinite(arr).all():
                raise ScheduleError(f"{name} has NaN values")
            setattr(self, name, arr)
        values = self.units[list(UNIT_COLUMNS)].to_numpy(dtype=float)
        if not np.isfinite(values).all():
            raise ScheduleError(
                "fleet table has NaN in " + ", ".join(np.array(UNIT_COLUMNS)[~np.isfinite(values).all(0)])
            )

    @property
    def limits(self) -> UnitLimits:
        """The units' technical limits as arrays."""
        return UnitLimits.of(self.units)

    @property
    def hours(self) -> int:
        """Horizon length [h]."""
        return len(self.time)

    def subset(self, rows: Sequence[int] | np.ndarray | slice) -> SiteInputs:
        """The inputs of some batteries (by position)."""
        return SiteInputs(
            self.units.iloc[rows],
            self.pv_mw[rows],
            self.load_mw[rows],
            self.price_import[rows],
            self.price_export[rows],
            self.time,
        )


def throughput_costs(units: pd.DataFrame, default: float = 0.0) -> np.ndarray:
    """Degradation cost per MWh charged or discharged of each battery [EUR/MWh]."""
    if "throughput_cost_eur_per_mwh" in units.columns:
        return units["throughput_cost_eur_per_mwh"].to_numpy(dtype=float)
    return np.full(len(units), float(default))


def lp_arrays(site: SiteInputs, curtailment_cost: float = CURTAILMENT_COST_EUR_PER_MWH) -> dict[str, object]:
    """The LP of every battery in ``site`` as one block-diagonal set of arrays.

    Parameters
    ----------
    site : SiteInputs
        Batteries and their hourly site inputs.
    curtailment_cost : float
        Tie-break cost of curtailed renewable energy [EUR/MWh].

    Returns
    -------
    dict
        ``lb``, ``ub``, ``c`` (variable bounds and objective), ``clb``, ``cub`` (constraint bounds), ``A``
        (``scipy.sparse.csr_matrix``), ``nv`` and ``nc`` (variables and constraints per battery). Battery
        ``i``'s variables are ``[i * nv, (i + 1) * nv)``: the :data:`BLOCKS` of ``T`` hours, then, when a
        unit has a demand charge (:func:`demand_charges`), its peak import [MW]; its constraints
        ``[i * nc, (i + 1) * nc)``: balance rows, SoC rows, then the peak rows ``import[t] <= peak``.
    """
    n, t = len(site.units), site.hours
    u = site.units
    lim = site.limits
    p, smin, smax, s0 = lim.power_mw, lim.soc_min_mwh, lim.soc_max_mwh, lim.soc_init_mwh
    eta_c, eta_d = lim.eta_charge, lim.eta_discharge
    imp, exp = lim.import_limit_mw, lim.export_limit_mw
    deg = throughput_costs(u)

    # variable bounds, shape (units, 6, T)
    lb = np.zeros((n, 6, t))
    ub = np.empty((n, 6, t))
    ub[:, 0] = p[:, None]
    ub[:, 1] = p[:, None]
    lb[:, 2] = smin[:, None]
    ub[:, 2] = smax[:, None]
    lb[:, 2, -1] = np.maximum(s0, smin)  # end-of-horizon SoC at least the start
    ub[:, 3] = imp[:, None]
    ub[:, 4] = exp[:, None]
    ub[:, 5] = site.pv_mw
    cost = np.zeros((n, 6, t))
    cost[:, 0] = deg[:, None]
    cost[:, 1] = deg[:, None]
    cost[:, 3] = site.price_import
    cost[:, 4] = -site.price_export
    cost[:, 5] = curtailment_cost

    # constraints, shape (units, 2, T): balance (equality load - pv), SoC (equality s0 at t=0, else 0)
    rhs = np.zeros((n, 2, t))
    rhs[:, 0] = site.load_mw - site.pv_mw
    rhs[:, 1, 0] = s0

    # sparsity pattern of one battery (local indices), coefficients per battery
    hours = np.arange(t)
    var = {name: k * t + hours for k, name in enumerate(BLOCKS)}
    bal, soc = hours, t + hours
    rows = [bal, bal, bal, bal, bal, soc, soc, soc, soc[1:]]
    cols = [
        var["charge_mw"],
        var["discharge_mw"],
        var["import_mw"],
        var["export_mw"],
        var["curtail_mw"],
        var["soc_mwh"],
        var["charge_mw"],
        var["discharge_mw"],
        var["soc_mwh"][:-1],
    ]
    ones = np.ones(t)
    charge = demand_charges(u)
    peak = bool((charge > 0).any())
    if peak:  # one more variable (the horizon's peak import) and T rows: import[t] - peak <= 0
        rows += [2 * t + hours, 2 * t + hours]
        cols += [var["import_mw"], np.full(t, 6 * t)]
    row_local = np.concatenate(rows)
    col_local = np.concatenate(cols)
    nnz = row_local.size
    data = np.empty((n, nnz))
    data[:, :t] = -1.0  # charge
    data[:, t : 2 * t] = 1.0  # discharge
    data[:, 2 * t : 3 * t] = 1.0  # import
    data[:, 3 * t : 4 * t] = -1.0  # export
    data[:, 4 * t : 5 * t] = -1.0  # curtail
    data[:, 5 * t : 6 * t] = 1.0  # soc[t]
    data[:, 6 * t : 7 * t] = -eta_c[:, None] * ones
    data[:, 7 * t : 8 * t] = (1.0 / eta_d)[:, None] * ones
    data[:, 8 * t : 9 * t - 1] = -1.0  # soc[t-1]
    nv, nc = 6 * t, 2 * t
    lb, ub, cost, clb, cub = (
        lb.reshape(n, nv),
        ub.reshape(n, nv),
        cost.reshape(n, nv),
        rhs.reshape(n, nc),
        rhs.reshape(n, nc),
    )
    if peak:
        data[:, 9 * t - 1 : 10 * t - 1] = 1.0  # import[t]
        data[:, 10 * t - 1 :] = -1.0  # - peak
        lb = np.hstack([lb, np.zeros((n, 1))])
        ub = np.hstack([ub, imp[:, None]])
        cost = np.hstack([cost, charge[:, None]])
        clb = np.hstack([clb, np.full((n, t), -np.inf)])
        cub = np.hstack([cub, np.zeros((n, t))])
        nv, nc = nv + 1, nc + t
    offsets_r = (np.arange(n) * nc)[:, None]
    offsets_c = (np.arange(n) * nv)[:, None]
    A = sp.csr_matrix(
        (data.ravel(), ((row_local + offsets_r).ravel(), (col_local + offsets_c).ravel())),
        shape=(nc * n, nv * n),
    )
    return {
        "lb": lb.ravel(),
        "ub": ub.ravel(),
        "c": cost.ravel(),
        "clb": clb.ravel(),
        "cub": cub.ravel().copy(),
        "A": A,
        "nv": nv,
        "nc": nc,
    }


def demand_charges(units: pd.DataFrame) -> np.ndarray:
    """Price of each site's peak import over the horizon [EUR/MW]; 0 (no demand charge) by default."""
    if "demand_charge_eur_per_mw" in units.columns:
        return units["demand_charge_eur_per_mw"].fillna(0.0).to_numpy(dtype=float)
    return np.zeros(len(units))


@dataclass
class BatchResult:
    """Schedules of a batch of batteries.

    Attributes
    ----------
    battery : pd.Index
        Battery ids.
    values : np.ndarray
        Shape (units, 6, hours): the blocks of :data:`BLOCKS` [MW, SoC MWh]; NaN for a unit not solved.
    objective : np.ndarray
        Optimal cost per unit [EUR]; NaN when not solved.
    status : list of str
        Solver status per unit (``OPTIMAL``, ``INFEASIBLE``, ...).
    seconds : float
        Wall time of building and solving the batch [s].
    solver : str
        Solver used.
    """

    battery: pd.Index
    values: np.ndarray
    objective: np.ndarray
    status: list[str]
    seconds: float
    solver: str
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def solved(self) -> np.ndarray:
        """Mask of units with an optimal schedule."""
        return np.array([s == "OPTIMAL" for s in self.status])


def _solver(name: str):  # noqa: ANN202
    from ortools.linear_solver.python import model_builder as mb

    names = SOLVERS if name == "auto" else (name,)
    for candidate in names:
        solver = mb.Solver(candidate)
        if solver.solver_is_supported():
            if candidate == "highs":
                solver.set_solver_specific_parameters("output_flag=false")
            elif candidate == "glop":
                # presolve finds little in these small LPs and costs ~8 % of the solve (measured, same optima)
                solver.set_solver_specific_parameters("use_preprocessing:false")
            return solver, candidate
    raise ScheduleError(f"no LP solver among {names} is available in this OR-Tools build")


def _variable_values(solver, model) -> np.ndarray:  # noqa: ANN001
    """All variable values as one array (the model builder's helper, else the public per-variable path)."""
    helper = getattr(solver, "_Solver__solve_helper", None)
    if helper is not None and hasattr(helper, "variable_values"):
        return np.asarray(helper.variable_values())
    return solver.values(model.get_variables()).to_numpy(dtype=float)  # pragma: no cover (older OR-Tools)


def solve_lp(arrays: dict[str, object], solver: str = "auto") -> tuple[str, float, np.ndarray]:
    """Solve one LP given as arrays (see :func:`lp_arrays`).

    Returns
    -------
    status : str
        ``OPTIMAL``, ``INFEASIBLE``, ``UNBOUNDED``, ...
    objective : float
        Optimal cost [EUR] (NaN unless optimal).
    x : np.ndarray
        Variable values (NaN unless optimal).
    """
    from ortools.linear_solver.python import model_builder as mb

    model = mb.Model()
    model.helper.fill_model_from_sparse_data(
        arrays["lb"], arrays["ub"], arrays["c"], arrays["clb"], arrays["cub"], arrays["A"]
    )
    engine, _ = _solver(solver)
    status = engine.solve(model)
    name = status.name
    if status != mb.SolveStatus.OPTIMAL:
        return name, float("nan"), np.full(len(arrays["lb"]), np.nan)
    return name, float(engine.objective_value), _variable_values(engine, model)


def schedule_batch(
    site: SiteInputs, solver: str = "auto", curtailment_cost: float = CURTAILMENT_COST_EUR_PER_MWH
) -> BatchResult:
    """One LP per battery, solved in turn; an infeasible unit is reported and the others go on.

    Parameters
    ----------
    site : SiteInputs
        The batteries of the batch.
    solver : str
        ``glop``, ``highs`` or ``auto`` (first available of :data:`SOLVERS`).
    curtailment_cost : float
        Tie-break cost of curtailed renewable energy [EUR/MWh].

    Returns
    -------
    BatchResult
    """
    t0 = time.perf_counter()
    n, t = len(site.units), site.hours
    arrays = lp_arrays(site, curtailment_cost)
    from ortools.linear_solver.python import model_builder as mb

    engine, used = _solver(solver)
    A = arrays["A"]
    nv, nc = arrays["nv"], arrays["nc"]
    # every battery's block has the same sparsity pattern: take it once, then only each block's values
    ptr = A.indptr
    indices = A.indices[ptr[0] : ptr[nc]].copy()
    indptr = ptr[: nc + 1] - ptr[0]
    values = np.full((n, 6, t), np.nan)
    objective = np.full(n, np.nan)
    status: list[str] = []
    reasons: dict[str, str] = {}
    for i in range(n):
        vs, cs = slice(i * nv, (i + 1) * nv), slice(i * nc, (i + 1) * nc)
        model = mb.Model()
        model.helper.fill_model_from_sparse_data(
            arrays["lb"][vs],
            arrays["ub"][vs],
            arrays["c"][vs],
            arrays["clb"][cs],
            arrays["cub"][cs],
            sp.csr_matrix((A.data[ptr[i * nc] : ptr[(i + 1) * nc]], indices, indptr), shape=(nc, nv)),
        )
        result = engine.solve(model)
        status.append(result.name)
        if result == mb.SolveStatus.OPTIMAL:
            values[i] = _variable_values(engine, model)[: 6 * t].reshape(6, t)
            objective[i] = engine.objective_value
        else:
            reasons[str(site.units.index[i])] = _reason(site, i, result.name)
    return BatchResult(site.units.index, values, objective, status, time.perf_counter() - t0, used, reasons)


def _reason(site: SiteInputs, i: int, status: str) -> str:
    """Why battery ``i``'s LP has no optimum, in words an operator can act on."""
    u = site.units.iloc[i]
    if not u["soc_min_frac"] <= u["soc_init_frac"] <= u["soc_max_frac"]:
        return (
            f"{status}: SoC bounds inconsistent (min {u['soc_min_frac']}, initial {u['soc_init_frac']}, "
            f"max {u['soc_max_frac']})"
        )
    short = site.load_mw[i] - site.pv_mw[i] - u["import_limit_mw"]
    if (short > 1e-9).any():
        j = int(np.argmax(short > 1e-9))
        usable = (u["soc_init_frac"] - u["soc_min_frac"]) * u["energy_mwh"]
        return (
            f"{status}: demand exceeds renewable + import limit {u['import_limit_mw']:.4g} MW by up to "
            f"{short.max():.4g} MW ({np.clip(short, 0, None).sum():.4g} MWh over the horizon, first at "
            f"{site.time[j].isoformat()}); battery power {u['power_mw']:.4g} MW, usable stored energy "
            f"{usable:.4g} MWh"
        )
    return f"{status}: the solver found no schedule within the limits"


def schedule_joint(
    site: SiteInputs, solver: str = "auto", curtailment_cost: float = CURTAILMENT_COST_EUR_PER_MWH
) -> tuple[str, float, np.ndarray, float]:
    """All batteries of ``site`` as one joint LP (the reference for the decomposition).

    Returns
    -------
    status : str
    objective : float
        Optimal total cost [EUR].
    values : np.ndarray
        Shape (units, 6, hours).
    seconds : float
    """
    t0 = time.perf_counter()
    arrays = lp_arrays(site, curtailment_cost)
    status, objective, x = solve_lp(arrays, solver)
    values = x.reshape(len(site.units), arrays["nv"])[:, : 6 * site.hours]
    return status, objective, values.reshape(len(site.units), 6, site.hours), time.perf_counter() - t0


def schedule_feeder(
    site: SiteInputs,
    other_net_mw: np.ndarray,
    limit_mw: float,
    solver: str = "auto",
    curtailment_cost: float = CURTAILMENT_COST_EUR_PER_MWH,
) -> tuple[str, float, np.ndarray, float]:
    """The batteries of one feeder as one LP that shares the feeder's limit.

    Adds to the per-battery LPs one row per hour: the power the feeder takes from the substation, the
    rest of the feeder's net demand plus what the battery sites import minus what they export, stays within
    ``[-limit_mw, limit_mw]`` (reverse flow and forward flow alike). Used only where the per-battery
    schedules break a feeder limit: their sum of optima is a lower bound of this LP's optimum.

    Parameters
    ----------
    site : SiteInputs
        The feeder's batteries.
    other_net_mw : np.ndarray
        Net demand of everything else on the feeder [MW], shape (hours,).
    limit_mw : float
        Thermal limit of the feeder's head [MW].

    Returns
    -------
    status : str
    objective : float
        Optimal total cost [EUR] (NaN unless optimal).
    values : np.ndarray
        Shape (units, 6, hours) (NaN unless optimal).
    seconds : float
    """
    t0 = time.perf_counter()
    n, t = len(site.units), site.hours
    other = np.asarray(other_net_mw, dtype=float)
    if other.shape != (t,) or not np.isfinite(other).all():
        raise ScheduleError(f"other_net_mw must be {t} finite values, got shape {other.shape}")
    arrays = lp_arrays(site, curtailment_cost)
    nv = arrays["nv"]
    hours = np.arange(t)
    base = (np.arange(n)[:, None] * nv + hours[None, :]).ravel()
    cols = np.concatenate([base + 3 * t, base + 4 * t])  # import, export of every unit and hour
    rows = np.tile(np.tile(hours, n), 2)
    data = np.concatenate([np.ones(n * t), -np.ones(n * t)])
    coupling = sp.csr_matrix((data, (rows, cols)), shape=(t, nv * n))
    joint = dict(arrays)
    joint["A"] = sp.vstack([arrays["A"], coupling]).tocsr()
    joint["clb"] = np.concatenate([arrays["clb"], -limit_mw - other])
    joint["cub"] = np.concatenate([arrays["cub"], limit_mw - other])
    status, objective, x = solve_lp(joint, solver)
    values = x.reshape(n, nv)[:, : 6 * t].reshape(n, 6, t)
    return status, objective, values, time.perf_counter() - t0
