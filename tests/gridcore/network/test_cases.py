"""Reading a case file runs none of its code: pandapower JSON names only pandapower's types, MATPOWER is text.

pandapower's loader imports the module each ``_module``/``_class`` pair of a JSON file names. A crafted
file naming a module of its choosing (here one that writes a marker file when imported) must be refused
before that import; a genuine pandapower network, controllers included, still loads.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandapower as pp
import pandas as pd
import pytest

from gridcore.network.cases import read_case

DATA = Path(__file__).parents[2] / "data"
CASE9 = DATA / "power_flow" / "matpower_case9" / "case9.m"
SIMBENCH_LV = DATA / "simbench" / "1-LV-rural1--0-sw" / "net.json"


@pytest.fixture(scope="module")
def case9_json() -> dict:
    """A genuine pandapower JSON (MATPOWER's case9 through gridflow's reader), parsed."""
    return json.loads(pp.to_json(read_case(CASE9)))


@pytest.fixture
def marker_module(tmp_path, monkeypatch) -> tuple[str, Path]:
    """An importable module that writes a marker file when imported (and has a class to name)."""
    marker = tmp_path / "imported"
    folder = tmp_path / "modules"
    folder.mkdir()
    name = f"gridflow_marker_{tmp_path.name.replace('-', '_')}"
    (folder / f"{name}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n\n"
        "class Payload(dict):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(folder))
    return name, marker


def _write(tmp_path: Path, doc: dict, name: str = "crafted.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _with_extra(doc: dict, key: str, value: object) -> dict:
    doc = copy.deepcopy(doc)
    doc["_object"][key] = value
    return doc


def test_a_case_naming_a_module_of_its_choosing_is_refused_before_any_import(
    tmp_path, case9_json, marker_module
) -> None:
    module, marker = marker_module
    crafted = _with_extra(case9_json, "payload", {"_module": module, "_class": "Payload", "_object": {}})
    path = _write(tmp_path, crafted)
    with pytest.raises(ValueError) as err:
        read_case(path)
    assert not marker.exists()  # pandapower alone would import the module, then refuse its class
    assert str(err.value).startswith("crafted.json: refused: it names the Python class 'Payload'")
    assert f"module '{module}'" in str(err.value) and "\n" not in str(err.value)


def test_a_module_named_deep_inside_a_table_is_refused_too(tmp_path, case9_json, marker_module) -> None:
    """Object cells of a table are decoded by pandapower after the table's own JSON text is parsed."""
    module, marker = marker_module
    crafted = copy.deepcopy(case9_json)
    table = json.loads(crafted["_object"]["bus"]["_object"])
    table["columns"].append("payload")
    evil = {"_module": module, "_class": "Payload", "_object": "{}"}
    table["data"] = [[*row, evil] for row in table["data"]]
    crafted["_object"]["bus"]["_object"] = json.dumps(table)
    with pytest.raises(ValueError, match=f"refused: .*'{module}'"):
        read_case(_write(tmp_path, crafted))
    assert not marker.exists()


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        (
            {"_module": "os", "_class": "system", "_object": "touch {marker}"},
            "not pandapower, pandas or numpy",
        ),
        (
            {"_module": "subprocess", "_class": "Popen", "_object": ["touch", "{marker}"]},
            "not pandapower, pandas or numpy",
        ),
        ({"_module": "os", "_class": "function", "_object": "system"}, "a function reference"),
        ({"_module": "builtins", "_class": "eval", "_object": "print(1)"}, "not a builtin pandapower writes"),
        ({"_module": "pandas", "_class": "read_pickle", "_object": "{marker}"}, "not a network, controller"),
        ({"_module": "numpy", "_class": "load", "_object": "{marker}"}, "not a network, controller"),
        ({"_module": "pandapower.nowhere", "_class": "Thing", "_object": {}}, "no such class"),
        (
            {"_module": "pandapower; import os", "_class": "x", "_object": {}},
            "not pandapower, pandas or numpy",
        ),
        ({"_module": ["os"], "_class": "system", "_object": {}}, "not a name"),
    ],
    ids=[
        "os",
        "subprocess",
        "function",
        "builtins-eval",
        "pandas-pickle",
        "numpy-load",
        "no-class",
        "odd",
        "list",
    ],
)
def test_foreign_types_are_refused_naming_the_file_and_module(tmp_path, case9_json, entry, why) -> None:
    marker = tmp_path / "marker"
    entry = json.loads(json.dumps(entry).replace("{marker}", str(marker)))
    with pytest.raises(ValueError, match=r"^crafted\.json: refused: ") as err:
        read_case(_write(tmp_path, _with_extra(case9_json, "payload", entry)))
    assert why in str(err.value)
    assert not marker.exists()


def test_a_table_that_is_a_file_name_is_refused(tmp_path, case9_json) -> None:
    """pandapower would read an absolute ``*.json`` path in a table's place as that file."""
    other = tmp_path / "other.json"
    other.write_text(pd.DataFrame({"a": [1]}).to_json(orient="split"))
    crafted = copy.deepcopy(case9_json)
    crafted["_object"]["bus"]["_object"] = str(other)
    with pytest.raises(
        ValueError, match="refused: the pandas.core.frame.DataFrame object holds text that is not"
    ):
        read_case(_write(tmp_path, crafted))


def test_a_checked_file_that_pandapower_cannot_load_is_one_line(tmp_path, case9_json) -> None:
    crafted = copy.deepcopy(case9_json)
    crafted["_object"]["bus"]["_object"] = '{"nonsense": 1}'
    with pytest.raises(ValueError, match=r"^crafted\.json: not a pandapower JSON network \(\w+Error: "):
        read_case(_write(tmp_path, crafted))


@pytest.mark.parametrize(
    "doc", [{"bus": {}}, {"_module": "os", "_class": "pandapowerNet", "_object": {}}], ids=["dict", "other"]
)
def test_json_without_a_pandapower_network_at_its_top_is_refused(tmp_path, doc) -> None:
    with pytest.raises(
        ValueError, match="crafted.json: not a pandapower JSON network \\(no pandapowerNet at its"
    ):
        read_case(_write(tmp_path, doc))


def test_genuine_pandapower_networks_still_load(tmp_path, case9_json) -> None:
    net = read_case(SIMBENCH_LV)
    assert len(net.bus) == 15 and (net.bus["case_bus_id"] == net.bus.index).all()
    assert len(read_case(_write(tmp_path, case9_json, "case9.json")).bus) == 9


def test_pandapowers_own_types_are_allowed(tmp_path) -> None:
    """A controller with its data source, numpy scalars, a tuple, a set, a complex number, an index."""
    from pandapower.control import ConstControl
    from pandapower.timeseries import DFData

    net = read_case(CASE9)
    ConstControl(net, "load", "p_mw", net.load.index, data_source=DFData(pd.DataFrame({"p": [1.0]})))
    doc = json.loads(pp.to_json(net))
    extras = {
        "scalar": {"_module": "numpy", "_class": "float64", "_object": "nan"},
        "pair": {"_module": "builtins", "_class": "tuple", "_object": [1, 2]},
        "bag": {"_module": "builtins", "_class": "set", "_object": [1]},
        "z": {"_module": "builtins", "_class": "complex", "_object": "(1+2j)"},
        "ids": {"_module": "pandas", "_class": "Index", "_object": [1, 2]},
        "flags": {"_module": "numpy", "_class": "array", "_object": [1, 2]},
        "graph": {
            "_module": "networkx",
            "_class": "MultiGraph",
            "_object": {"directed": False, "multigraph": True, "graph": [], "nodes": [], "adjacency": []},
        },
        "point": {
            "_module": "shapely",
            "_class": "Point",
            "_object": {"type": "Point", "coordinates": [1, 2]},
        },
    }
    for key, value in extras.items():
        doc["_object"][key] = value
    loaded = read_case(_write(tmp_path, doc, "controlled.json"))
    assert type(loaded.controller.at[0, "object"]).__name__ == "ConstControl"
    assert loaded["pair"] == (1, 2) and loaded["z"] == 1 + 2j


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("system('touch {marker}')", "cannot carry out the MATLAB statement"),
        ("x = eval('1')", "cannot evaluate"),
        ("x = __import__('os').system('touch {marker}')", "cannot evaluate"),
        ("mpc.bus(1, 3) = 1 / 0", "cannot evaluate '1 / 0' (float division by zero)"),
        ("mpc.bus(1, 3) = 10 ^ 400", "cannot evaluate '10 ^ 400'"),
    ],
    ids=["system", "eval", "dunder-import", "division-by-zero", "overflow"],
)
def test_matpower_code_is_never_run(tmp_path, code, message) -> None:
    marker = tmp_path / "marker"
    case = tmp_path / "code.m"
    case.write_text(CASE9.read_text() + "\n" + code.replace("{marker}", str(marker)) + ";\n")
    with pytest.raises(ValueError, match=r"^code\.m: line \d+: ") as err:
        read_case(case)
    assert message in str(err.value)
    assert not marker.exists()


def test_binary_matpower_and_pickled_cases_are_not_read(tmp_path) -> None:
    for name in ("case.mat", "net.p", "net.pkl"):
        (tmp_path / name).write_bytes(b"\x80\x04binary")
        with pytest.raises(ValueError, match=f"{name}: unsupported case format"):
            read_case(tmp_path / name)
