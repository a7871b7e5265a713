"""pandapower JSON networks, read behind an allow-list of the Python types pandapower itself writes.

A pandapower JSON file names Python classes (``_module``/``_class``) that pandapower's loader imports.
Every one is checked first against the types pandapower itself writes (pandapower's network, controllers
and characteristics; pandas frames, series and indexes; numpy arrays and scalars; tuples, sets, complex
numbers; networkx graphs; shapely and geopandas geometry), and a file naming anything else is refused
before pandapower sees it.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridcore.errors import InputError
from gridcore.network.cases.ids import CASE_BUS_ID

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


def read_pandapower_json(path: str | Path) -> pandapowerNet:
    """Read a pandapower network saved with ``pandapower.to_json``.

    Parameters
    ----------
    path : str or Path
        The JSON file.

    Returns
    -------
    pandapowerNet
        With ``net.bus["case_bus_id"]`` equal to the bus index.

    Raises
    ------
    ValueError
        When the file is not a pandapower network, has no bus, or no slack (external grid or slack
        generator) in service.
    """
    import pandapower as pp

    path = Path(path)
    try:
        text = path.read_text()
        doc = json.loads(text)
    except (UnicodeDecodeError, RecursionError, ValueError) as err:
        raise InputError(
            f"{path.name}: not a pandapower JSON network ({type(err).__name__}: {err})"
        ) from None
    if not (
        isinstance(doc, dict)
        and doc.get("_module") == "pandapower.auxiliary"
        and doc.get("_class") == "pandapowerNet"
    ):
        raise InputError(
            f"{path.name}: not a pandapower JSON network (no pandapowerNet at its top; save the network "
            "with pandapower.to_json)"
        )
    _refuse_foreign_types(path.name, doc)
    try:
        net = pp.from_json_string(text)  # the text checked, not the file again
    except Exception as err:  # noqa: BLE001 (pandapower raises anything from JSON errors to KeyError)
        raise InputError(
            f"{path.name}: not a pandapower JSON network ({type(err).__name__}: {err})"
        ) from None
    if net.bus.empty:
        raise InputError(f"{path.name}: the network has no bus", field="bus")
    slack_gen = net.gen["slack"].astype(bool) if "slack" in net.gen else pd.Series(False, index=net.gen.index)
    has_slack = (
        net.ext_grid["in_service"].astype(bool).any()
        or (slack_gen & net.gen["in_service"].astype(bool)).any()
    )
    if not has_slack:
        raise InputError(
            f"{path.name}: no slack: no external grid or slack generator is in service", field="ext_grid"
        )
    net.bus[CASE_BUS_ID] = net.bus.index.to_numpy()
    return net


#: Top-level packages whose classes a pandapower JSON file may name (checked further by :func:`_foreign`).
_TRUSTED_PACKAGES = ("pandapower", "pandas", "numpy")
#: Types pandapower's loader decodes by name alone, without importing anything.
_DECODED_BY_NAME = {("networkx", "MultiGraph"), ("geopandas.geodataframe", "GeoDataFrame")}
_SHAPELY = {"Point", "LineString", "LinearRing", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"}
#: Builtins pandapower writes (its loader allows no others either).
_BUILTINS = {"complex", "tuple", "set", "frozenset"}


def _refuse_foreign_types(file: str, doc: object) -> None:
    """Raise naming the first ``_module``/``_class`` of a parsed pandapower JSON that is not pandapower's.

    pandapower's loader (``pp_hook``) turns every JSON object holding both keys into an instance of the class
    named, importing its module; objects whose ``_object`` is JSON text (frames, series, controllers, a
    network) are decoded again. This walks the same objects, the nested texts included, without importing
    anything but the modules of pandapower, pandas and numpy.
    """
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        stack.extend(item.values())
        if "_module" not in item or "_class" not in item:
            continue
        module, name = item["_module"], item["_class"]
        why = _foreign(module, name) if isinstance(module, str) and isinstance(name, str) else "not a name"
        if why:
            raise InputError(
                f"{file}: refused: it names the Python class {name!r} of module {module!r} ({why}); "
                "a case may hold only the types pandapower itself writes, and nothing else is imported",
                field="_class",
            )
        inner = item.get("_object")
        if isinstance(inner, str) and module.partition(".")[0] not in ("numpy", "builtins"):
            try:
                stack.append(json.loads(inner))
            except (RecursionError, ValueError):
                raise InputError(
                    f"{file}: refused: the {module}.{name} object holds text that is not JSON, "
                    "which pandapower's loader would read as a file name or a network",
                    field="_object",
                ) from None


@cache
def _foreign(module: str, name: str) -> str | None:
    """Why ``module.name`` is not a type pandapower writes into its JSON files; None when it is one."""
    if name in ("function", "method"):
        return "a function reference"
    if module == "builtins":
        return None if name in _BUILTINS else "not a builtin pandapower writes"
    if (module, name) in _DECODED_BY_NAME or (module == "shapely" and name in _SHAPELY):
        return None
    if module.partition(".")[0] not in _TRUSTED_PACKAGES or not re.fullmatch(r"\w+(\.\w+)*", module):
        return "not pandapower, pandas or numpy"
    if module == "numpy" and name == "array":
        return None
    try:
        value = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return "no such class"
    import pandapower as pp
    from pandapower.io_utils import JSONSerializableClass

    bases = (pp.pandapowerNet, JSONSerializableClass, pd.DataFrame, pd.Series, pd.Index, np.generic)
    if inspect.isclass(value) and issubclass(value, bases):
        return None
    return "not a network, controller, table or number type"
