"""Reading a power-flow case file, its format chosen by the file's extension."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gridcore.errors import InputError
from gridcore.network.cases.matpower import read_matpower
from gridcore.network.cases.pandapower_json import read_pandapower_json

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


def read_case(path: str | Path) -> pandapowerNet:
    """Read a power-flow case: a MATPOWER ``.m`` file or a pandapower ``.json`` network.

    Parameters
    ----------
    path : str or Path
        ``*.m`` (MATPOWER case format version 2) or ``*.json`` (``pandapower.to_json``).

    Returns
    -------
    pandapowerNet
        With ``net.bus["case_bus_id"]``: the bus id as in the file (MATPOWER bus number; for a pandapower
        network, its bus index).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not a case of a supported format, naming the table, row and field at fault.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"case file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".m":
        return read_matpower(path)
    if suffix == ".json":
        return read_pandapower_json(path)
    raise InputError(
        f"{path.name}: unsupported case format {suffix or '(no extension)'!r}; "
        "give a MATPOWER .m file or a pandapower .json network"
    )
