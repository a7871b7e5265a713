"""Benchmark: reading a meter-data CSV file of one million rows, row-level checks included.

Run by hand: ``uv run python bench/bench_meter_file.py [--rows 1000000]``.

Writes a file of ``--rows`` readings whose timestamps mix ``Z``, ``+02:00``, ``-0500`` and naive (UTC)
forms, with one long and one short row, and times

(i) gridflow: :func:`gridcore.interfaces.ami.read_meter_file` (lines, fields, malformed rows with their
    line numbers) and :func:`gridcore.data.validation.parse_utc` (each row with its own offset),
(ii) the peer: ``pandas.read_csv(dtype=str)`` and ``pandas.to_datetime(format="ISO8601", utc=True)``, the
     reader before, which refuses the file for its long row (timed here without it) and applies one
     row's offset to the naive rows after it.

Prints the figures and the ratio; best of three each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridcore.data.validation import parse_utc
from gridcore.interfaces.ami import read_meter_file


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Shortest wall time of ``repeat`` calls [s], and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def write_file(path: Path, rows: int, malformed: bool) -> None:
    """A meter-data CSV of ``rows`` readings with mixed timestamp forms."""
    rng = np.random.default_rng(1)
    when = pd.Timestamp("2016-10-29T00:00") + pd.to_timedelta(rng.integers(0, 4 * 96, rows) * 15, unit="min")
    local = np.asarray(when.strftime("%Y-%m-%dT%H:%M:%S"), dtype=object)
    suffix = np.array(["Z", "+02:00", "", "-0500"], dtype=object)[rng.integers(0, 4, rows)]
    meter = np.char.add("M", np.char.zfill(rng.integers(1, 100_000, rows).astype(str), 6))
    kwh = np.round(rng.random(rows), 3).astype(str)
    lines = pd.Series(meter.astype(object)) + "," + (local + suffix) + "," + kwh.astype(object)
    if malformed:
        lines.iloc[rows // 3] += ",extra"
        lines.iloc[2 * rows // 3] = lines.iloc[2 * rows // 3].rsplit(",", 1)[0]
    path.write_text("meter_id,timestamp,kwh\n" + "\n".join(lines) + "\n")


def main() -> None:
    """Time both readers and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        messy, clean = Path(tmp) / "messy.csv", Path(tmp) / "clean.csv"
        write_file(messy, rows, malformed=True)
        write_file(clean, rows, malformed=False)
        t_read, frame = best_of(lambda: read_meter_file(messy))
        t_parse, ts = best_of(lambda: parse_utc(frame["timestamp"]))
        t_peer_read, peer = best_of(
            lambda: pd.read_csv(clean, dtype=str, keep_default_na=False, na_values=[""])
        )
        t_peer_parse, _ = best_of(
            lambda: pd.to_datetime(peer["timestamp"], utc=True, errors="coerce", format="ISO8601")
        )
    ours, theirs = t_read + t_parse, t_peer_read + t_peer_parse
    malformed = int(frame["malformed_row"].notna().sum())
    print(
        f"{rows:,} rows: read {t_read:.2f} s + timestamps {t_parse:.2f} s = {ours:.2f} s "
        f"({malformed} malformed rows kept, {int(ts.isna().sum())} unparseable)"
    )
    print(
        f"peer pandas read_csv {t_peer_read:.2f} s + to_datetime(ISO8601) {t_peer_parse:.2f} s "
        f"= {theirs:.2f} s"
    )
    print(f"ratio {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
