"""The default system is assembled once per process, also when tasks on several threads ask at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from gridcore import system as system_module


def test_threads_asking_at_once_share_one_assembly(monkeypatch) -> None:
    loads: list[str] = []

    def slow_load_grid(code: str) -> str:
        loads.append(code)
        time.sleep(0.2)  # long enough for every thread to arrive while the first assembles
        return f"grid {code} #{len(loads)}"

    monkeypatch.setattr(system_module, "load_grid", slow_load_grid)
    monkeypatch.setattr(system_module, "derive_feeders", lambda grid: f"feeders of {grid}")
    monkeypatch.setattr(system_module, "build_fleet", lambda grid, n, seed: f"{n} meters on {grid}")
    start = threading.Barrier(4)

    def ask(_: int) -> system_module.System:
        start.wait()
        return system_module.default_system(7, -1, "test-grid-for-threads")

    with ThreadPoolExecutor(4) as pool:
        systems = list(pool.map(ask, range(4)))
    assert loads == ["test-grid-for-threads"]
    assert all(s is systems[0] for s in systems) and systems[0].grid == "grid test-grid-for-threads #1"
    assert system_module.default_system(7, -1, "test-grid-for-threads") is systems[0]
