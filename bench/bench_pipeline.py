"""Benchmark: the hourly pipeline at 100,000-meter scale, from the gridcore path to the whole CLI.

Run by hand: ``uv run python bench/bench_pipeline.py [--skip-cli] [--skip-backfill] [--meters 100000]``.

Figures (one line each: label, seconds, ratio where one applies), also written to
``bench/out/pipeline.json``:

1. one hour (about 400,000 readings): ``validate_readings`` + ``feeder_load`` against the floor, a bare
   pandas group-by of the same valid readings (meter -> bus -> feeder, then feeder x timestamp, sum of
   kWh), no validation. Target: ratio < 5. Synthetic generation is timed separately, never included.
2. one day (24 hours concatenated, about 9.6 million readings): the same, once over the whole day, with
   the peak resident memory of the step (Linux ``VmHWM`` after resetting it through
   ``/proc/self/clear_refs``; the lifetime ``ru_maxrss`` of the process is recorded too).
3. the hourly flow itself (Prefect + Dask), twice in one fresh child process with a temporary Prefect API:
   the flow's own ``seconds`` and the wall time of the call.
4. the whole CLI, cold: ``uv run gridflow run hourly --json``, three runs each on a fresh store.
5. a day of backfill through the CLI under ``/usr/bin/time -v`` (wall time, maximum resident set size of
   the largest process; the summed RSS of the process tree is sampled too). Targets: < 3 min, < 6 GiB.
6. rerun idempotency: one hour of the backfilled day rerun through the CLI; ``feeder_load`` and
   ``feeder_load_hourly`` must be identical before and after (``xr.testing.assert_identical``).

Timings of in-process steps are the best of several runs after one warm-up (the warm-up, which pays for
lazy imports, is reported as "first call"). ``--skip-cli`` skips 3, 4 and 6; ``--skip-backfill`` skips 5
and 6.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
HOUR = "2016-07-01T14:00Z"
DAY_START = "2016-07-01T00:00Z"
DAY_END = "2016-07-02T00:00Z"
RERUN_HOUR = "2016-07-01T05:00Z"
GIB = 1024**3

figures: dict[str, Any] = {}


# -- reporting --------------------------------------------------------------------------------------


def record(key: str, label: str, seconds: float | None, ratio: float | None = None, **extra: Any) -> None:
    """Print one figure on one line and keep it for the JSON file."""
    sec = f"{seconds:10.3f} s" if seconds is not None else " " * 12
    rat = f"  ratio {ratio:7.2f} x" if ratio is not None else ""
    more = "  " + "  ".join(f"{k}={_fmt(v)}" for k, v in extra.items()) if extra else ""
    print(f"{label:<62} {sec}{rat}{more}", flush=True)
    figures[key] = {
        "git": _head(),
        "label": label,
        "seconds": seconds,
        "ratio": ratio,
        **extra,
        "at": time.strftime("%H:%M:%S"),
    }
    save()


def _head() -> str:
    """Short commit of the tree when a figure is recorded (other sessions may commit during a run)."""
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip()


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def save() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pipeline.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Best and median wall time of ``repeat`` calls [s], and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), out


def cpu_snapshot() -> tuple[float, float]:
    """System-wide busy CPU seconds (``/proc/stat``); CPU seconds of this process and its reaped children."""
    v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    busy = sum(v) - v[3] - v[4]  # all but idle and iowait
    own = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        own += r.ru_utime + r.ru_stime
    return busy / os.sysconf("SC_CLK_TCK"), own


def foreign_cpu(since: tuple[float, float]) -> float:
    """CPU seconds other processes (not this benchmark or its children) used since a snapshot.

    On a shared 2-core machine anything well above 0 means the figure was measured under contention.
    """
    busy, own = cpu_snapshot()
    return round(max((busy - since[0]) - (own - since[1]), 0.0), 1)


def proc_status(field: str) -> int:
    """A ``/proc/self/status`` memory field [bytes]."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def reset_peak_rss() -> bool:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux 4.0+)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# -- 1 and 2: the gridcore path without Prefect ---------------------------------------------------


def gridcore_parts(meters: int, repeat_hour: int, repeat_day: int) -> None:
    t0 = time.perf_counter()
    import numpy as np
    import pandas as pd

    from gridcore.data.aggregate import feeder_load
    from gridcore.data.meters import validate_readings
    from gridcore.data.synthetic import meter_readings
    from gridcore.system import default_system

    record("import", "import pandas, gridcore (not counted)", time.perf_counter() - t0)
    t0 = time.perf_counter()
    system = default_system(meters)
    record("system", f"default_system({meters:,}): grid + fleet (not counted)", time.perf_counter() - t0)
    fleet, bus_feeder, feeders = system.fleet, system.feeders.bus_feeder, system.feeders.feeders

    def path(raw: pd.DataFrame, now: pd.Timestamp, starts: pd.DatetimeIndex) -> tuple[Any, Any]:
        """What the flow does per hour: validate, then aggregate the valid readings to feeders."""
        result = validate_readings(raw, fleet, now, now)
        return result, feeder_load(result.valid, fleet, bus_feeder, feeders, starts)

    def floor(valid_raw: pd.DataFrame) -> pd.Series:
        """Bare pandas: meter -> bus -> feeder code, group by feeder and timestamp, sum kWh."""
        feeder_of_bus = bus_feeder.map({f: i for i, f in enumerate(feeders)})
        feeder_of_meter = fleet["bus"].map(feeder_of_bus).fillna(-1).to_numpy(dtype=np.int64)
        feeder = feeder_of_meter[valid_raw["meter_id"].cat.codes.to_numpy()]
        return valid_raw["kwh"].groupby([feeder, valid_raw["timestamp"]]).sum()

    def floor_names(valid_raw: pd.DataFrame) -> pd.Series:
        """The same with feeder names (object strings) as the group key."""
        feeder = fleet["bus"].map(bus_feeder).to_numpy()[valid_raw["meter_id"].cat.codes.to_numpy()]
        return valid_raw["kwh"].groupby([feeder, valid_raw["timestamp"]]).sum()

    def valid_rows(raw: pd.DataFrame, result: Any) -> pd.DataFrame:
        """The raw rows validation kept (same rows as ``result.valid``), in the raw layout."""
        ok = np.ones(len(raw), dtype=bool)
        ok[result.quarantine["row"].to_numpy()] = False
        out = raw[ok]
        assert len(out) == result.readings_valid
        return out

    def check(floor_sum: pd.Series, ds: Any) -> float:
        """Largest difference between the floor and ``p_mw_measured`` [kWh] (sanity check)."""
        from gridcore.data.synthetic import KWH_PER_MW_QUARTER

        measured = ds["p_mw_measured"].values * KWH_PER_MW_QUARTER  # feeder x time
        f_code = floor_sum.index.get_level_values(0).to_numpy()
        ends = floor_sum.index.get_level_values(1).tz_convert(None).as_unit("ns")
        t_pos = pd.Index(ds["time"].values).get_indexer(ends - pd.Timedelta(minutes=15))
        got = np.zeros_like(measured)
        keep = (f_code >= 0) & (t_pos >= 0)
        np.add.at(got, (f_code[keep], t_pos[keep]), floor_sum.to_numpy()[keep])
        return float(np.abs(got - measured).max())

    # ---- 1: one hour
    snap = cpu_snapshot()
    hour = pd.Timestamp(HOUR)
    now = hour + pd.Timedelta(hours=1)
    starts = pd.date_range(hour, periods=4, freq="15min")
    t0 = time.perf_counter()
    raw = meter_readings(system.grid, fleet, hour, seed=system.seed)
    t_gen_first = time.perf_counter() - t0
    t_gen, _, raw = best_of(lambda: meter_readings(system.grid, fleet, hour, seed=system.seed), repeat_hour)
    n = len(raw)
    record("hour.generate", f"hour: generate {n:,} readings (excluded)", t_gen, first_call=t_gen_first)
    t0 = time.perf_counter()
    path(raw, now, starts)
    t_first = time.perf_counter() - t0
    t_val, t_val_med, result = best_of(lambda: validate_readings(raw, fleet, now, now), repeat_hour)
    t_agg, t_agg_med, ds = best_of(
        lambda v=result.valid: feeder_load(v, fleet, bus_feeder, feeders, starts), repeat_hour
    )
    t_path, t_path_med, _ = best_of(lambda: path(raw, now, starts), repeat_hour)
    valid_raw = valid_rows(raw, result)
    floor(valid_raw)
    t_floor, t_floor_med, fsum = best_of(lambda: floor(valid_raw), repeat_hour)
    t_floor_n, _, _ = best_of(lambda: floor_names(valid_raw), repeat_hour)
    diff = check(fsum, ds)
    record("hour.validate", "hour: validate_readings", t_val, median=t_val_med, rows=n)
    record("hour.feeder_load", "hour: feeder_load", t_agg, median=t_agg_med, rows=result.readings_valid)
    record(
        "hour.path",
        "hour: validate_readings + feeder_load",
        t_path,
        t_path / t_floor,
        median=t_path_med,
        first_call=t_first,
        rows_in=n,
        rows_valid=result.readings_valid,
        target_ratio=5.0,
        met=t_path / t_floor < 5.0,
        foreign_cpu_s=foreign_cpu(snap),
    )
    record("hour.floor", "hour: floor (pandas groupby feeder code x timestamp)", t_floor, median=t_floor_med)
    record("hour.floor_names", "hour: floor variant, feeder names as key", t_floor_n, t_path / t_floor_n)
    record("hour.check", "hour: |floor - p_mw_measured| max [kWh]", None, max_abs_diff_kwh=diff)

    # ---- 2: one day
    del raw, valid_raw, result, ds
    snap = cpu_snapshot()
    day = pd.Timestamp(DAY_START)
    day_now = pd.Timestamp(DAY_END)
    day_starts = pd.date_range(day, periods=96, freq="15min")
    t0 = time.perf_counter()
    hours = [
        meter_readings(system.grid, fleet, day + pd.Timedelta(hours=h), seed=system.seed) for h in range(24)
    ]
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = pd.concat(hours, ignore_index=True)
    t_concat = time.perf_counter() - t0
    del hours
    n = len(raw)
    record(
        "day.generate",
        f"day: generate 24 hours, {n:,} readings (excluded)",
        t_gen + t_concat,
        concat=t_concat,
    )

    rss_before = proc_status("VmRSS")
    reset_ok = reset_peak_rss()
    t0 = time.perf_counter()
    result, ds = path(raw, day_now, day_starts)
    t_path1 = time.perf_counter() - t0
    hwm = proc_status("VmHWM")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    del result, ds
    times = [t_path1]
    for _ in range(repeat_day - 1):
        t, _, out = best_of(lambda: path(raw, day_now, day_starts), 1)
        times.append(t)
        del out
    t_path = min(times)
    result = validate_readings(raw, fleet, day_now, day_now)
    valid_raw = valid_rows(raw, result)
    rows_valid = result.readings_valid
    del result
    floor(valid_raw)
    t_floor, t_floor_med, _ = best_of(lambda: floor(valid_raw), max(repeat_day, 2))
    record(
        "day.path",
        "day: validate_readings + feeder_load",
        t_path,
        t_path / t_floor,
        runs=[round(t, 3) for t in times],
        rows_in=n,
        rows_valid=rows_valid,
        target_ratio=5.0,
        met=t_path / t_floor < 5.0,
        foreign_cpu_s=foreign_cpu(snap),
    )
    record("day.floor", "day: floor (pandas groupby feeder code x timestamp)", t_floor, median=t_floor_med)
    record(
        "day.memory",
        "day: peak RSS of validate+aggregate step [GiB] (VmHWM)",
        None,
        peak_rss_gib=round(hwm / GIB, 3) if reset_ok else None,
        rss_before_gib=round(rss_before / GIB, 3),
        step_increase_gib=round((hwm - rss_before) / GIB, 3) if reset_ok else None,
        ru_maxrss_gib=round(maxrss / GIB, 3),
        method="/proc/self/status VmHWM after clear_refs=5 (ru_maxrss reset with it)"
        if reset_ok
        else "resource.getrusage ru_maxrss (process lifetime peak)",
        input_frame_gib=round(raw.memory_usage(deep=True).sum() / GIB, 3),
    )


# -- 3: the hourly flow in a fresh child process ----------------------------------------------------


def flow_child(meters: int, out_path: str) -> None:
    """Run in a child process: temporary Prefect API, then the hourly flow twice."""
    t_start = time.perf_counter()
    from cli.server import start_temporary_api, stop_temporary_api, wait_for_api

    start_temporary_api()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    os.environ.setdefault("DASK_DISTRIBUTED__LOGGING__DISTRIBUTED", "warning")
    t0 = time.perf_counter()
    from flows.hourly import hourly

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    wait_for_api()
    t_wait = time.perf_counter() - t0
    store = tempfile.mkdtemp(prefix="bench-flow-")
    runs = []
    try:
        for _ in range(2):
            t0 = time.perf_counter()
            out = hourly(at=HOUR, store=store, meters=meters)
            runs.append(
                {
                    "wall": time.perf_counter() - t0,
                    "seconds": out["seconds"],
                    "readings_in": out.get("readings_in"),
                    "readings_valid": out.get("readings_valid"),
                }
            )
    finally:
        shutil.rmtree(store, ignore_errors=True)
        t0 = time.perf_counter()
        stop_temporary_api()
        t_stop = time.perf_counter() - t0
    Path(out_path).write_text(
        json.dumps(
            {
                "import_flows": t_import,
                "wait_api_after_import": t_wait,
                "stop_api": t_stop,
                "start_to_first_flow": runs[0]["wall"] + t_import + t_wait,
                "total": time.perf_counter() - t_start,
                "runs": runs,
            }
        )
    )


def flow_part(meters: int) -> None:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out_path = f.name
    snap = cpu_snapshot()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--flow-child", out_path, "--meters", str(meters)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        record("flow.error", "flow: child process failed", wall, returncode=proc.returncode)
        return
    res = json.loads(Path(out_path).read_text())
    os.unlink(out_path)
    record(
        "flow.setup",
        "flow: import flows.hourly (API booting meanwhile)",
        res["import_flows"],
        wait_api_after_import=res["wait_api_after_import"],
    )
    for i, name in enumerate(("first", "warm")):
        r = res["runs"][i]
        record(
            f"flow.{name}",
            f"flow: hourly() {name} call, wall (flow 'seconds' in extra)",
            r["wall"],
            flow_seconds=r["seconds"],
            readings_in=r["readings_in"],
        )
    record(
        "flow.child_total",
        "flow: child process wall, python start to exit",
        wall,
        stop_api=res["stop_api"],
        foreign_cpu_s=foreign_cpu(snap),
    )


# -- 4, 5, 6: the CLI ---------------------------------------------------------------------------------


def last_json(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON on stdout: {stdout[-500:]!r}")


def cli_part(runs: int) -> None:
    walls = []
    for i in range(runs):
        store = tempfile.mkdtemp(prefix="bench-cli-")
        snap = cpu_snapshot()
        try:
            t0 = time.perf_counter()
            proc = subprocess.run(
                ["uv", "run", "gridflow", "run", "hourly", "--at", HOUR, "--store", store, "--json"],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            wall = time.perf_counter() - t0
        finally:
            shutil.rmtree(store, ignore_errors=True)
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            record(
                f"cli.run{i + 1}", f"cli: run hourly cold #{i + 1} FAILED", wall, returncode=proc.returncode
            )
            continue
        out = last_json(proc.stdout)
        walls.append(wall)
        record(
            f"cli.run{i + 1}",
            f"cli: uv run gridflow run hourly, cold #{i + 1} (fresh store)",
            wall,
            flow_seconds=out.get("seconds"),
            command_seconds=out.get("command_seconds"),
            foreign_cpu_s=foreign_cpu(snap),
        )
    if walls:
        record("cli.median", f"cli: run hourly cold, median of {len(walls)}", statistics.median(walls))


class TreeRss:
    """Samples the summed RSS of a process and its descendants."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        import psutil

        self.proc = psutil.Process(pid)
        self.every = every
        self.peak = 0
        self.peak_procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                total = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                if total > self.peak:
                    self.peak, self.peak_procs = total, len(procs)
            except psutil.Error:
                pass
            self._stop.wait(self.every)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def parse_time_v(stderr: str) -> dict[str, float]:
    out: dict[str, float] = {}
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    if m:
        out["max_rss_bytes"] = int(m.group(1)) * 1024
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", stderr)
    if m:
        parts = [float(p) for p in m.group(1).split(":")]
        out["elapsed"] = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    for key, pattern in (
        ("user", r"User time \(seconds\): ([\d.]+)"),
        ("sys", r"System time \(seconds\): ([\d.]+)"),
    ):
        m = re.search(pattern, stderr)
        if m:
            out[key] = float(m.group(1))
    return out


def backfill_part(rerun: bool) -> None:
    store = tempfile.mkdtemp(prefix="bench-backfill-")
    try:
        cmd = [
            "/usr/bin/time",
            "-v",
            "uv",
            "run",
            "gridflow",
            "backfill",
            "hourly",
            "--start",
            DAY_START,
            "--end",
            DAY_END,
            "--store",
            store,
            "--json",
        ]
        snap = cpu_snapshot()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        sampler = TreeRss(proc.pid)
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - t0
        sampler.stop()
        tv = parse_time_v(stderr)
        if proc.returncode != 0:
            print(stderr[-4000:], file=sys.stderr)
            record("backfill.day", "backfill: a day FAILED", wall, returncode=proc.returncode)
            return
        out = last_json(stdout)
        max_rss = tv.get("max_rss_bytes", 0)
        record(
            "backfill.day",
            "backfill: uv run gridflow backfill hourly, one day",
            wall,
            flow_seconds=out.get("seconds"),
            hours=out.get("hours"),
            readings_in=out.get("readings_in"),
            readings_valid=out.get("readings_valid"),
            time_v_elapsed=tv.get("elapsed"),
            user_s=tv.get("user"),
            sys_s=tv.get("sys"),
            max_rss_gib=round(max_rss / GIB, 3),
            tree_rss_peak_gib=round(sampler.peak / GIB, 3),
            tree_procs_at_peak=sampler.peak_procs,
            target_seconds=180,
            target_gib=6,
            met_time=wall < 180,
            met_memory=max_rss < 6 * GIB and sampler.peak < 6 * GIB,
            foreign_cpu_s=foreign_cpu(snap),
        )
        if rerun:
            rerun_part(store)
    finally:
        shutil.rmtree(store, ignore_errors=True)


def rerun_part(store: str) -> None:
    import xarray as xr

    def newest_write() -> float:
        """Newest modification time of the feeder-load products' files (did the rerun write?)."""
        files = [
            f for p in ("feeder_load", "feeder_load_hourly") for f in (Path(store) / f"{p}.zarr").rglob("*")
        ]
        return max(f.stat().st_mtime for f in files if f.is_file())

    def snapshot() -> dict[str, xr.Dataset]:
        out = {}
        for product in ("feeder_load", "feeder_load_hourly"):
            with xr.open_zarr(Path(store) / f"{product}.zarr", consolidated=True) as ds:
                out[product] = ds.load()
        return out

    before = snapshot()
    written_before = newest_write()
    snap = cpu_snapshot()
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["uv", "run", "gridflow", "run", "hourly", "--at", RERUN_HOUR, "--store", store, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        record("rerun", "rerun: FAILED", wall, returncode=proc.returncode)
        return
    after = snapshot()
    verdict = {}
    for product in before:
        try:
            xr.testing.assert_identical(before[product], after[product])
            verdict[product] = "identical"
        except AssertionError as err:
            verdict[product] = f"DIFFERENT: {str(err)[:300]}"
    day = slice("2016-07-01T00:00", "2016-07-01T23:45")
    complete = {p: int(before[p]["complete"].sel(time=day).sum()) for p in before}
    record(
        "rerun",
        f"rerun: gridflow run hourly --at {RERUN_HOUR} on the backfilled store",
        wall,
        flow_seconds=last_json(proc.stdout).get("seconds"),
        identical=all(v == "identical" for v in verdict.values()),
        **verdict,
        complete_steps_of_day=complete,
        rerun_wrote=newest_write() > written_before,
        foreign_cpu_s=foreign_cpu(snap),
    )


# -- optional: the backfill path in-process, stage by stage, and its profile --------------------------


def profile_backfill(meters: int, n_hours: int, profile_hours: int) -> None:
    """The per-hour work of the backfill flow without Prefect or Dask, serially: task times and cProfile.

    Calls the bodies (``task.fn``) of the hourly tasks of ``tasks.hourly`` in the order the flow uses
    them (``ami_block`` per block of meters, ``grid_feeds``, ``persist_hour``) on a fresh store. The
    first hour also lays out the year-long Zarr products; it is reported apart from the rest.
    """
    import cProfile
    import io
    import pstats

    import pandas as pd

    from gridcore.data.synthetic import fleet_blocks
    from gridcore.system import DEFAULT_SEED, default_system
    from tasks.common import hour_run_id
    from tasks.hourly import ami_block, grid_feeds, persist_hour

    seed = DEFAULT_SEED
    default_system(meters, seed)
    blocks = range(len(fleet_blocks(meters)))
    store = tempfile.mkdtemp(prefix="bench-profile-")
    stages: dict[str, list[float]] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        out = fn()
        stages.setdefault(name, []).append(time.perf_counter() - t0)
        return out

    def one(hour: pd.Timestamp) -> None:
        results = timed(
            f"ami_block x{len(blocks)}", lambda: [ami_block.fn(hour, b, meters, seed) for b in blocks]
        )
        feeds = timed("grid_feeds", lambda: grid_feeds.fn(hour, meters, seed))
        timed(
            "persist_hour",
            lambda: persist_hour.fn(store, hour, results, feeds, hour_run_id(hour), meters, seed),
        )

    start = pd.Timestamp(DAY_START)
    try:
        t0 = time.perf_counter()
        one(start)
        first = time.perf_counter() - t0
        first_stages = {k: round(v[0], 3) for k, v in stages.items()}
        stages.clear()
        t0 = time.perf_counter()
        for h in range(1, n_hours):
            one(start + pd.Timedelta(hours=h))
        rest = (time.perf_counter() - t0) / max(n_hours - 1, 1)
        record(
            "profile.first_hour",
            "in-process backfill path: first hour (lays out the store)",
            first,
            **first_stages,
        )
        per_stage = {k: round(statistics.median(v), 3) for k, v in stages.items()}
        record(
            "profile.per_hour",
            f"in-process backfill path: per later hour (median of {n_hours - 1}), serial",
            rest,
            **per_stage,
            x24=round(first + 23 * rest, 1),
        )
        prof = cProfile.Profile()
        prof.enable()
        for h in range(n_hours, n_hours + profile_hours):
            one(start + pd.Timedelta(hours=h))
        prof.disable()
        prof.dump_stats(OUT / "backfill_path.prof")
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        (OUT / "backfill_path_profile.txt").write_text(buf.getvalue())
        wanted = (
            "land_hour",
            "land_sensors",
            "land_weather",
            "write_quality",
            "replace_run_rows",
            "write_time_region",
            "validate_readings",
            "meter_readings",
            "combine_results",
            "feeder_load",
        )
        cum: dict[str, float] = {}
        for (file, _, name), (_, _, _, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
            if name in wanted and str(ROOT) in file:
                cum[name] = cum.get(name, 0.0) + ct
        record(
            "profile.functions",
            f"cProfile of {profile_hours} hours: cumulative s per hour of the project's functions",
            None,
            **{k: round(v / profile_hours, 3) for k, v in sorted(cum.items(), key=lambda kv: -kv[1])},
        )
    finally:
        shutil.rmtree(store, ignore_errors=True)


def git_state() -> dict[str, str]:
    """Commit and dirty files of the tree being measured (other sessions may change it)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"head": git("rev-parse", "--short", "HEAD"), "dirty": git("status", "--porcelain", "-uno")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=100_000)
    parser.add_argument("--skip-cli", action="store_true", help="skip the flow, CLI and rerun figures")
    parser.add_argument("--skip-backfill", action="store_true", help="skip the backfill and rerun figures")
    parser.add_argument("--skip-gridcore", action="store_true", help="skip the in-process figures 1 and 2")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the hour steps (best kept)")
    parser.add_argument("--day-repeat", type=int, default=2, help="runs of the day step (best kept)")
    parser.add_argument("--cli-runs", type=int, default=3)
    parser.add_argument(
        "--profile-backfill",
        type=int,
        default=0,
        metavar="HOURS",
        help="also run HOURS of the backfill path in-process (stage times), then cProfile 2 more hours",
    )
    parser.add_argument("--flow-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flow_child:
        flow_child(args.meters, args.flow_child)
        return

    sys.path.insert(0, str(ROOT))
    if (OUT / "pipeline.json").exists():  # a partial run updates the figures it measures
        figures.update(json.loads((OUT / "pipeline.json").read_text()))
    t0 = time.perf_counter()
    figures["meta"] = {
        "meters": args.meters,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "git_start": git_state(),
    }
    if not args.skip_gridcore:
        gridcore_parts(args.meters, args.repeat, args.day_repeat)
    if not args.skip_cli:
        flow_part(args.meters)
        cli_part(args.cli_runs)
    if not args.skip_backfill:
        backfill_part(rerun=not args.skip_cli)
    if args.profile_backfill:
        profile_backfill(args.meters, args.profile_backfill, 2)
    figures["meta"]["git_end"] = git_state()
    if figures["meta"]["git_end"] != figures["meta"]["git_start"]:
        print("NOTE: the tree changed during the run (see meta.git_start / git_end)")
    figures["meta"]["bench_seconds"] = round(time.perf_counter() - t0, 1)
    save()
    print(f"\nwritten {OUT / 'pipeline.json'} ({figures['meta']['bench_seconds']} s)")


if __name__ == "__main__":
    main()
