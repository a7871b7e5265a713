"""Which grid a command runs on: a SimBench code or a case file, given by ``--grid`` or GRIDFLOW_GRID.

A grid spec is either a SimBench code (any of the ``simbench`` package's codes: MV such as
``1-MV-semiurb--2-sw``, LV such as ``1-LV-rural2--2-sw``, combined levels such as ``1-MVLV-rural-all-0-sw``)
or the path of a case file, a pandapower ``.json`` network or a MATPOWER ``.m`` case (read by
:func:`gridcore.network.cases.read_case`). With no spec, GRIDFLOW_GRID, else the default grid
(:data:`gridcore.network.grid.DEFAULT_GRID`).

:func:`parse_grid` only looks at the text (and whether the file exists), in microseconds, so the command
line checks ``--grid`` before loading anything; :func:`resolve_grid` loads the pandapower network and,
where the grid has yearly profiles (every SimBench code, and a pandapower file of a SimBench network that
kept its ``profiles``), the :class:`~gridcore.network.grid.GridModel`; :func:`grid_model` loads only the
latter (for a SimBench code from the cache, without pandapower).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gridcore.errors import InputError

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet

    from gridcore.network.grid import GridModel

#: The default grid (as :data:`gridcore.network.grid.DEFAULT_GRID`; here so parsing imports no pandas).
DEFAULT_GRID = "1-MV-semiurb--0-sw"
#: Environment variable naming the grid when ``--grid`` is not given.
GRID_ENV = "GRIDFLOW_GRID"
#: The shape of a SimBench code: version, voltage levels, type, LV grid, scenario, switches.
_CODE = re.compile(r"^1-[A-Za-z_]+-[A-Za-z0-9_]+-[A-Za-z0-9.]*-[0-2]-(sw|no_sw)$")
_CASE_SUFFIXES = (".json", ".m")


@dataclass(frozen=True)
class GridSpec:
    """A grid named by a SimBench code or a case file (nothing loaded yet).

    Attributes
    ----------
    code : str, optional
        SimBench code, when the grid is one.
    path : Path, optional
        Case file, when the grid is one.
    """

    code: str | None = None
    path: Path | None = None

    @property
    def label(self) -> str:
        """The grid's name in outputs: the SimBench code or the file's path."""
        return self.code if self.code is not None else str(self.path)

    @property
    def is_simbench(self) -> bool:
        """Whether the grid is a SimBench code (with profiles and study cases)."""
        return self.code is not None


@dataclass(frozen=True)
class Grid:
    """A resolved grid: its pandapower network and, where it has profiles, its :class:`GridModel`.

    Attributes
    ----------
    spec : GridSpec
    net : pandapowerNet
        A fresh network (the caller may change it).
    model : GridModel, optional
        Tables and yearly profiles; None for a case file without profiles.
    """

    spec: GridSpec
    net: pandapowerNet
    model: GridModel | None

    @property
    def label(self) -> str:
        """The grid's name in outputs."""
        return self.spec.label


def parse_grid(spec: str | Path | GridSpec | None = None, field: str = "--grid") -> GridSpec:
    """Read a grid spec: a SimBench code or a case file; GRIDFLOW_GRID or the default grid when None.

    Parameters
    ----------
    spec : str or Path or GridSpec, optional
        SimBench code (``1-LV-rural2--2-sw``) or path of a ``.json`` / ``.m`` case file.
    field : str
        Name of the option in error messages.

    Returns
    -------
    GridSpec

    Raises
    ------
    InputError
        When the text is neither a SimBench code's shape nor an existing case file.
    """
    if isinstance(spec, GridSpec):
        return spec
    if spec is None or str(spec).strip() == "":
        env = os.environ.get(GRID_ENV, "").strip()
        if env:
            return parse_grid(env, GRID_ENV)
        return GridSpec(code=DEFAULT_GRID)
    text = str(spec).strip()
    path = Path(text)
    if path.suffix.lower() in _CASE_SUFFIXES or path.exists():
        if not path.is_file():
            raise InputError(f"{field} {text}: no such case file", field=field)
        if path.suffix.lower() not in _CASE_SUFFIXES:
            raise InputError(
                f"{field} {text}: unsupported case format; give a pandapower .json or a MATPOWER .m file",
                field=field,
            )
        return GridSpec(path=path)
    if not _CODE.match(text):
        raise InputError(
            f"{field} {text!r}: neither a SimBench code (e.g. {DEFAULT_GRID}, 1-LV-rural2--2-sw) "
            "nor a .json / .m case file",
            field=field,
        )
    return GridSpec(code=text)


def resolve_grid(spec: str | Path | GridSpec | None = None, field: str = "--grid") -> Grid:
    """Load a grid: its pandapower network and, where it has profiles, its :class:`GridModel`.

    Parameters
    ----------
    spec : str or Path or GridSpec, optional
        As for :func:`parse_grid`.
    field : str
        Name of the option in error messages.

    Returns
    -------
    Grid

    Raises
    ------
    InputError
        For an unknown SimBench code or an unreadable case file.
    """
    from gridcore.network.grid import load_grid, pandapower_net

    gs = parse_grid(spec, field)
    if gs.code is not None:
        _check_code(gs.code, field)
        return Grid(gs, pandapower_net(gs.code), load_grid(gs.code))
    from gridcore.network.cases import read_case

    assert gs.path is not None
    try:
        net = read_case(gs.path)
    except (FileNotFoundError, ValueError) as err:
        raise InputError(str(err), field=field) from err  # the message names the file, row and field
    from gridcore.network.grid import STEPS_PER_YEAR, weather_world

    model = _model_from_net(gs.label, net)
    if model is not None and len(model.load_p_mw) == STEPS_PER_YEAR:
        model = weather_world(model)  # a SimBench net's file lives in the same default world as its code
    return Grid(gs, net, model)


def grid_model(spec: str | Path | GridSpec | None = None, field: str = "--grid") -> GridModel:
    """The :class:`GridModel` (tables and yearly profiles) of a grid, for commands that need profiles.

    Parameters
    ----------
    spec : str or Path or GridSpec, optional
        As for :func:`parse_grid`.
    field : str
        Name of the option in error messages.

    Returns
    -------
    GridModel

    Raises
    ------
    InputError
        For an unknown code, or a case file without yearly profiles.
    """
    from gridcore.network.grid import load_grid

    gs = parse_grid(spec, field)
    if gs.code is not None:
        _check_code(gs.code, field)
        return load_grid(gs.code)
    model = resolve_grid(gs, field).model
    if model is None:
        raise InputError(
            f"{field} {gs.label}: the case has no yearly load profiles; this command needs a SimBench grid "
            "or a pandapower file of one (with its profiles)",
            field=field,
        )
    return model


def _check_code(code: str, field: str) -> None:
    """Raise :class:`InputError` for a code ``simbench`` does not know (checked only before a cache build)."""
    from gridcore.network.grid import cache_folder

    if cache_folder(code).is_dir():
        return
    import simbench as sb

    if code not in set(sb.collect_all_simbench_codes()):
        raise InputError(
            f"{field} {code!r}: not a SimBench code (e.g. {DEFAULT_GRID}, 1-MV-semiurb--2-sw, "
            "1-LV-rural2--2-sw, 1-MVLV-rural-all-0-sw)",
            field=field,
        )


def _model_from_net(label: str, net: pandapowerNet) -> GridModel | None:
    """A :class:`GridModel` of a case file's network when it carries SimBench profiles, else None."""
    profiles = net.get("profiles") if hasattr(net, "get") else None
    if not isinstance(profiles, dict) or not profiles or "profile" not in net.load:
        return None
    import pandas as pd

    from gridcore.network.grid import GridModel, grid_profiles, grid_tables

    try:
        arrays = grid_profiles(net)
    except (KeyError, ValueError, AttributeError):
        return None
    return GridModel(
        code=label,
        **grid_tables(net),
        **arrays,
        profile_start=pd.Timestamp("2016-01-01T00:00:00+00:00"),
    )
