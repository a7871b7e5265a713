"""The house plan, checked on the source: no import cycle anywhere (lazy imports included) and the layers.

Layers, from the bottom: ``gridcore`` (the domain core) < ``tasks`` (Prefect tasks) < ``flows`` (Prefect
flows) < ``deployments`` < ``cli`` (the command line). A module imports only its own layer or those below;
``gridcore`` imports neither Prefect nor any command-line library. Every import statement counts, also one
inside a function: a lazy import still ties the modules together at run time.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gridcore", "tasks", "flows", "deployments", "cli")
RANK = {name: i for i, name in enumerate(PACKAGES)}
FORBIDDEN_IN_CORE = {"prefect", "prefect_dask", "typer", "click", "rich"}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """Every module name an import statement of the file names (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for target in _imports(name, path):
            while target and target not in modules:  # `from a.b import name` -> a.b
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                graph.add_edge(name, target)
    return graph


def test_no_import_cycle_between_modules() -> None:
    cycles = [sorted(c) for c in nx.strongly_connected_components(_graph()) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_no_import_cycle_between_packages() -> None:
    packages = nx.DiGraph()
    for a, b in _graph().edges:
        pa, pb = a.rpartition(".")[0] or a, b.rpartition(".")[0] or b
        if pa != pb and not pa.startswith(pb + ".") and not pb.startswith(pa + "."):
            packages.add_edge(pa, pb)
    cycles = [sorted(c) for c in nx.strongly_connected_components(packages) if len(c) > 1]
    assert not cycles, f"package cycles: {cycles}"


def test_each_layer_imports_only_itself_and_the_layers_below() -> None:
    wrong = [f"{a} -> {b}" for a, b in _graph().edges if RANK[b.split(".")[0]] > RANK[a.split(".")[0]]]
    assert not wrong, f"imports of an upper layer: {wrong}"


def test_the_core_imports_no_orchestrator_and_no_command_line_library() -> None:
    modules = _modules()
    bad = [
        f"{name} imports {target}"
        for name, path in modules.items()
        if name.startswith("gridcore")
        for target in _imports(name, path)
        if target.split(".")[0] in FORBIDDEN_IN_CORE
    ]
    assert not bad, bad


@pytest.mark.parametrize("path", sorted((ROOT / "flows").glob("*.py")), ids=lambda p: p.name)
def test_flows_holds_flow_modules_only(path: Path) -> None:
    if path.name == "__init__.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    decorated = [
        f.name
        for f in tree.body
        if isinstance(f, ast.FunctionDef)
        for d in f.decorator_list
        if "flow" in ast.unparse(d).split("(")[0].rsplit(".", 1)[-1]
    ]
    assert decorated, f"{path.name} defines no flow"


def test_the_checker_finds_a_cycle(tmp_path, monkeypatch) -> None:
    """The check can fail: two modules importing each other lazily are found."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "gridcore" / "a.py").write_text("def f():\n    from gridcore import b\n")
    (tmp_path / "gridcore" / "b.py").write_text("from gridcore.a import f\n")
    (tmp_path / "gridcore" / "c.py").write_text("import cli.main\n")
    (tmp_path / "cli" / "main.py").write_text("")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="gridcore.a"):
        test_no_import_cycle_between_modules()
    with pytest.raises(AssertionError, match="gridcore.c -> cli.main"):
        test_each_layer_imports_only_itself_and_the_layers_below()


def _layout() -> str:
    """The code block of the README's "Layout" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Layout\n", 1)[1]
    return text.split("```", 2)[1]


def _entry(layout: str, folder: str) -> set[str]:
    """The words of one top-level entry of the layout (``flows/`` and its continuation lines)."""
    lines = layout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{folder}/"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i][:1] not in {" ", ""}), len(lines))
    text = " ".join(lines[start:end])
    for sign in ",()+:":
        text = text.replace(sign, " ")
    return set(text.split())


def test_the_readme_layout_names_every_package_flow_and_command_group() -> None:
    layout = _layout()
    # Tracked folders only: a run in the checkout leaves an ignored store (gridflow-store/) beside them.
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    top = {f.split("/", 1)[0] for f in tracked if "/" in f and not f.startswith((".", "_"))}
    missing = [f"{d}/" for d in sorted(top) if f"\n{d}/" not in "\n" + layout]
    subpackages = [p.parent.name for p in (ROOT / "gridcore").glob("*/__init__.py")]
    missing += [f"gridcore/{d}/" for d in sorted(subpackages) if f"  {d}/ " not in layout]
    modules = [p.stem for p in (ROOT / "gridcore").glob("*.py") if p.stem != "__init__"]
    missing += [f"gridcore/{m}.py" for m in sorted(modules) if f"{m}.py" not in layout]
    flows = [p.stem for p in (ROOT / "flows").glob("*.py") if p.stem != "__init__"]
    missing += [f"flows/{m}.py" for m in sorted(flows) if m not in _entry(layout, "flows")]
    groups = [p.stem for p in (ROOT / "cli").glob("*.py") if p.stem != "__init__"]
    groups += [f"{p.parent.name}/" for p in (ROOT / "cli").glob("*/__init__.py")]
    missing += [f"cli/{m}" for m in sorted(groups) if m not in _entry(layout, "cli")]
    assert not missing, f"README Layout does not name {missing}"
