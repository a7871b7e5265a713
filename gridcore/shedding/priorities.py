"""The priority framework: which customers are shed first, for how long, and at what cost.

A TOML file (the default ships as ``gridcore/shedding/default_priorities.toml``) gives, per customer class,
its shed order (1 is shed first), its value of lost load [EUR/MWh] and the longest outage one customer may
take within an event [h]; the order of critical kinds within the critical class; the rotation period, the
minimum restore interval and the commands' expiry; the §14a EnWG dimming floor of controllable devices;
the curtailment order of generation types; never-shed items and per-customer overrides. Every key is
checked: an error names the key (``classes.residential.shed_order``) and what is wrong with it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gridcore.errors import InputError

#: The shipped default file.
DEFAULT_PRIORITIES = Path(__file__).with_name("default_priorities.toml")
#: Customer classes of the meter fleet (:mod:`gridcore.data.fleet`), in its order.
CLASSES = ("residential", "commercial", "industrial", "critical")
CRITICAL_KINDS = ("hospital", "water", "telecom", "emergency_services")
_TOP_KEYS = {
    "classes",
    "rotation",
    "controllable",
    "curtailment",
    "batteries",
    "never_shed",
    "overrides",
    "sources",
}

_SUB_KEYS = {
    "rotation": {"period_h", "min_restore_interval_min", "command_expiry_min"},
    "controllable": {"dim_floor_kw", "profile_prefixes", "dim_cost_eur_per_mwh"},
    "curtailment": {"type_order", "cost_eur_per_mwh"},
    "batteries": {"discharge_first"},
    "never_shed": {"items"},
}


@dataclass(frozen=True)
class ClassRule:
    """How one customer class is treated.

    Attributes
    ----------
    shed_order : int
        1 is shed first; a larger number is shed later.
    voll_eur_per_mwh : float
        Value of lost load [EUR/MWh].
    max_outage_h : float
        Longest outage of one customer within an event [h].
    """

    shed_order: int
    voll_eur_per_mwh: float
    max_outage_h: float


@dataclass(frozen=True)
class Priorities:
    """A validated priority framework (see the module docstring and the default file).

    Attributes
    ----------
    classes : dict of str to ClassRule
        One rule per customer class.
    kind_order : tuple of str
        Critical kinds, shed first to shed last.
    rotation_period_h : float
        How long a rotating block stays out before another takes over [h].
    min_restore_interval_min : float
        Time between two restore steps [min].
    command_expiry_min : float
        A command not executed this long after its start is void [min].
    dim_floor_kw : float
        Power a dimmed controllable device keeps [kW] (4.2 kW by §14a EnWG).
    device_prefixes : tuple of str
        Load profile names (prefixes) that mark a controllable device.
    dim_cost_eur_per_mwh : float
        Cost of a dimmed MWh [EUR/MWh].
    curtail_type_order : tuple of str
        Generation types, curtailed first to last.
    curtail_cost_eur_per_mwh : float
        Cost of a curtailed MWh [EUR/MWh].
    batteries_first : bool
        Whether batteries with headroom discharge (charge on export) before anything else.
    never_shed : frozenset of str
        Meter ids, ``load:<id>`` or ``kind:<critical kind>`` never shed.
    overrides : dict of str to dict
        Per meter id: ``shed_order``, ``never_shed``, ``max_outage_h``.
    source : str
        The file read (or ``default``).
    """

    classes: dict[str, ClassRule]
    kind_order: tuple[str, ...] = CRITICAL_KINDS
    rotation_period_h: float = 2.0
    min_restore_interval_min: float = 5.0
    command_expiry_min: float = 10.0
    dim_floor_kw: float = 4.2
    device_prefixes: tuple[str, ...] = ("Air_", "Soil_", "HLS_", "APLS_")
    dim_cost_eur_per_mwh: float = 300.0
    curtail_type_order: tuple[str, ...] = ("PV", "Wind")
    curtail_cost_eur_per_mwh: float = 100.0
    batteries_first: bool = True
    never_shed: frozenset[str] = field(default_factory=frozenset)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "default"

    def order(self, customer_class: str) -> int:
        """Shed order of a class (1 first)."""
        return self.classes[customer_class].shed_order


def load_priorities(path: str | Path | None = None) -> Priorities:
    """Read and validate a priority file (the shipped default when ``path`` is None).

    Parameters
    ----------
    path : str or Path, optional
        TOML file.

    Returns
    -------
    Priorities

    Raises
    ------
    InputError
        Naming the key (``field``) that is missing, unknown or of a wrong type or value.
    """
    file = Path(path) if path is not None else DEFAULT_PRIORITIES
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"priority file {file}: not found", field="--priorities") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"priority file {file}: not TOML: {err}", field="--priorities") from None
    return parse_priorities(data, source="default" if path is None else str(file))


def parse_priorities(data: dict[str, Any], source: str = "dict") -> Priorities:
    """Validate a parsed priority file (see :func:`load_priorities`)."""
    where = f"priority file {source}"
    unknown = set(data) - _TOP_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(_TOP_KEYS))})", field=key)
    classes_in = _table(data, "classes", where, required=True)
    classes = {}
    for name in CLASSES:
        rule = _table(classes_in, name, where, prefix="classes.", required=True)
        key = f"classes.{name}"
        extra = set(rule) - {"shed_order", "voll_eur_per_mwh", "max_outage_h", "kind_order"}
        if extra or ("kind_order" in rule and name != "critical"):
            bad = sorted(extra or {"kind_order"})[0]
            raise InputError(f"{where}: unknown key {key}.{bad}", field=f"{key}.{bad}")
        classes[name] = ClassRule(
            shed_order=_int(rule, "shed_order", key, where, minimum=1),
            voll_eur_per_mwh=_number(rule, "voll_eur_per_mwh", key, where, minimum=0.0),
            max_outage_h=_number(rule, "max_outage_h", key, where, minimum=0.0),
        )
    extra_classes = set(classes_in) - set(CLASSES)
    if extra_classes:
        bad = sorted(extra_classes)[0]
        raise InputError(
            f"{where}: unknown class classes.{bad} (classes: {', '.join(CLASSES)})", field=f"classes.{bad}"
        )
    kind_order = tuple(classes_in["critical"].get("kind_order", CRITICAL_KINDS))
    if sorted(kind_order) != sorted(CRITICAL_KINDS):
        raise InputError(
            f"{where}: classes.critical.kind_order must list each of {', '.join(CRITICAL_KINDS)} once",
            field="classes.critical.kind_order",
        )
    rot = _table(data, "rotation", where)
    ctl = _table(data, "controllable", where)
    cur = _table(data, "curtailment", where)
    bat = _table(data, "batteries", where)
    never = _table(data, "never_shed", where)
    for name, table in (
        ("rotation", rot),
        ("controllable", ctl),
        ("curtailment", cur),
        ("batteries", bat),
        ("never_shed", never),
    ):
        bad = set(table) - _SUB_KEYS[name]
        if bad:
            key = f"{name}.{sorted(bad)[0]}"
            raise InputError(f"{where}: unknown key {key}", field=key)
    items = never.get("items", [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise InputError(f"{where}: never_shed.items must be a list of strings", field="never_shed.items")
    for item in items:
        if item.startswith("kind:") and item[5:] not in CRITICAL_KINDS:
            raise InputError(
                f"{where}: never_shed.items: unknown critical kind {item!r}", field="never_shed.items"
            )
    overrides = _table(data, "overrides", where)
    for meter, rule in overrides.items():
        key = f"overrides.{meter}"
        if not isinstance(rule, dict):
            raise InputError(f"{where}: {key} must be a table", field=key)
        bad = set(rule) - {"shed_order", "never_shed", "max_outage_h"}
        if bad:
            raise InputError(f"{where}: unknown key {key}.{sorted(bad)[0]}", field=f"{key}.{sorted(bad)[0]}")
        if "shed_order" in rule:
            _int(rule, "shed_order", key, where, minimum=1)
        if "max_outage_h" in rule:
            _number(rule, "max_outage_h", key, where, minimum=0.0)
        if "never_shed" in rule and not isinstance(rule["never_shed"], bool):
            raise InputError(f"{where}: {key}.never_shed must be true or false", field=f"{key}.never_shed")
    return Priorities(
        classes=classes,
        kind_order=kind_order,
        rotation_period_h=_number(rot, "period_h", "rotation", where, minimum=0.25, default=2.0),
        min_restore_interval_min=_number(
            rot, "min_restore_interval_min", "rotation", where, minimum=0.0, default=5.0
        ),
        command_expiry_min=_number(rot, "command_expiry_min", "rotation", where, minimum=0.1, default=10.0),
        dim_floor_kw=_number(ctl, "dim_floor_kw", "controllable", where, minimum=0.0, default=4.2),
        device_prefixes=tuple(
            _strings(ctl, "profile_prefixes", "controllable", where, ("Air_", "Soil_", "HLS_", "APLS_"))
        ),
        dim_cost_eur_per_mwh=_number(
            ctl, "dim_cost_eur_per_mwh", "controllable", where, minimum=0.0, default=300.0
        ),
        curtail_type_order=tuple(_strings(cur, "type_order", "curtailment", where, ("PV", "Wind"))),
        curtail_cost_eur_per_mwh=_number(
            cur, "cost_eur_per_mwh", "curtailment", where, minimum=0.0, default=100.0
        ),
        batteries_first=_bool(bat, "discharge_first", "batteries", where, default=True),
        never_shed=frozenset(items),
        overrides={str(k): dict(v) for k, v in overrides.items()},
        source=source,
    )


def _table(data: dict[str, Any], key: str, where: str, prefix: str = "", required: bool = False) -> dict:
    if key not in data:
        if required:
            raise InputError(f"{where}: missing table [{prefix}{key}]", field=f"{prefix}{key}")
        return {}
    value = data[key]
    if not isinstance(value, dict):
        raise InputError(f"{where}: {prefix}{key} must be a table", field=f"{prefix}{key}")
    return value


def _number(
    table: dict, key: str, parent: str, where: str, minimum: float, default: float | None = None
) -> float:
    name = f"{parent}.{key}"
    if key not in table:
        if default is None:
            raise InputError(f"{where}: missing key {name}", field=name)
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {name} must be a number, got {value!r}", field=name)
    if value < minimum:
        raise InputError(f"{where}: {name} must be at least {minimum}, got {value}", field=name)
    return float(value)


def _int(table: dict, key: str, parent: str, where: str, minimum: int) -> int:
    name = f"{parent}.{key}"
    if key not in table:
        raise InputError(f"{where}: missing key {name}", field=name)
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{where}: {name} must be an integer, got {value!r}", field=name)
    if value < minimum:
        raise InputError(f"{where}: {name} must be at least {minimum}, got {value}", field=name)
    return value


def _strings(table: dict, key: str, parent: str, where: str, default: tuple[str, ...]) -> list[str]:
    value = table.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: {parent}.{key} must be a list of strings", field=f"{parent}.{key}")
    return value


def _bool(table: dict, key: str, parent: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"{where}: {parent}.{key} must be true or false", field=f"{parent}.{key}")
    return value
