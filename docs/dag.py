"""Draw the hourly and daily flows' DAGs from their step definitions (``tasks.chain.HOURLY``, ``DAILY``).

    uv run python docs/dag.py [--out docs]

Writes ``dag-hourly.png`` and ``dag-daily.png`` (the README's "The DAG" section shows them). Run it again
after a change to the steps in ``tasks/chain.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    """Draw both DAGs and print the paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder")
    args = parser.parse_args()
    from gridcore.runreport import dag_figure
    from tasks.chain import DAILY, HOURLY

    args.out.mkdir(parents=True, exist_ok=True)
    for name, plan, title in (
        ("hourly", HOURLY, "Hourly flow, hour H, issue I = H + 1 h, 24 h ahead"),
        ("daily", DAILY, "Daily flow, day D, issue I = D + 1 day, 168 h ahead"),
    ):
        path = dag_figure(plan, args.out / f"dag-{name}.png", title)
        sys.stdout.write(f"{path}\n")


if __name__ == "__main__":
    main()
