"""The house rule: gridcore never imports the orchestrator."""

from __future__ import annotations

import subprocess
import sys


def test_gridcore_does_not_import_prefect() -> None:
    code = (
        "import sys, pkgutil, importlib, gridcore\n"
        "for m in pkgutil.walk_packages(gridcore.__path__, 'gridcore.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('prefect' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
