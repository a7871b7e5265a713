"""The ``gridflow`` command line: one module per command group; shared options and errors in cli.common.

Nothing outside this package imports it; it calls :mod:`flows` and :mod:`gridcore`.
"""

import os
import sys

# Bytecode: where PYTHONDONTWRITEBYTECODE is set, every command would compile pandas, xarray, Prefect... from
# source again (3-8 s). gridflow writes the .pyc files of the modules it imports into their usual
# __pycache__ folders once, as Python does by default; GRIDFLOW_NO_BYTECODE=1 keeps the environment's choice.
if not os.environ.get("GRIDFLOW_NO_BYTECODE"):
    sys.dont_write_bytecode = False
