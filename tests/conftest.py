"""Shared fixtures: the default grid (built once into the cache), small fleets, temporary stores."""

from __future__ import annotations

import os
import sys

sys.dont_write_bytecode = False  # as the gridflow command does (flows/__init__.py): compile each module once
if os.environ.get("PYTEST_XDIST_WORKER"):
    # the suite's workers share the cores: one BLAS thread each, not two that spin-wait against the other
    # worker's (measured: ~5 % less CPU on a forecasting and grid subset); numpy is loaded already
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from gridcore.system import System, default_system  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _default_store_outside_the_checkout(tmp_path_factory):
    """Commands run without ``--store`` write to a session store, not to ``./gridflow-store``.

    Otherwise a store left in the checkout by a user's own runs (battery schedules, say) would change what
    such commands plan, and the tests would leave one behind.
    """
    if "GRIDFLOW_STORE" not in os.environ:
        os.environ["GRIDFLOW_STORE"] = str(tmp_path_factory.mktemp("default-store") / "gridflow-store")
    yield


@pytest.fixture(autouse=True)
def _environment_restored():
    """Undo what a test left in ``os.environ``.

    A command run in-process (typer's CliRunner) sets its defaults there (``PREFECT_LOGGING_LEVEL=WARNING``
    under ``--json``, Dask's log levels, ...), where they would outlive it: every later test, and every
    command a test starts as a process, would inherit them.
    """
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def system() -> System:
    """The default grid with a 2,000-meter fleet (fast, same code path as 100,000)."""
    return default_system(2_000)


@pytest.fixture
def hour() -> pd.Timestamp:
    return pd.Timestamp("2016-07-01T14:00Z")


@pytest.fixture(scope="session")
def prefect_harness():
    """Prefect's test harness, once per session; commands see its API through PREFECT_API_URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        os.environ["PREFECT_API_URL"] = PREFECT_API_URL.value()
        yield
        os.environ.pop("PREFECT_API_URL", None)


# -- load control: real MQTT brokers, device simulators, plans ------------------------------------


def _broker_params():
    from gridcore.interfaces.brokers import mosquitto_path

    mosquitto = pytest.mark.skipif(
        mosquitto_path() is None, reason="mosquitto is not installed (.ci/run installs it with apt-get)"
    )
    return ["amqtt", pytest.param("mosquitto", marks=mosquitto)]


@pytest.fixture(params=_broker_params())
def mqtt_broker(request, tmp_path):
    """A real MQTT broker process on 127.0.0.1 (amqtt, and mosquitto when installed)."""
    from gridcore.interfaces.brokers import start_broker

    broker = start_broker(request.param, workdir=tmp_path / "broker")
    yield broker
    broker.stop()


@pytest.fixture
def amqtt_broker(tmp_path):
    """An amqtt broker process on 127.0.0.1."""
    from gridcore.interfaces.brokers import start_broker

    broker = start_broker("amqtt", workdir=tmp_path / "broker")
    yield broker
    broker.stop()


def _make_commands(
    n: int, prefix: str = "load:", valid_s: float = 300.0, load_kw: float = 100.0
) -> list[dict]:
    """``n`` shed commands (plan JSON objects) to devices ``<prefix>0`` ..., valid ``valid_s`` from now."""
    import uuid

    now = pd.Timestamp.now(tz="UTC")
    iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    return [
        {
            "command_id": str(uuid.uuid4()),
            "device": f"{prefix}{i}",
            "action": "shed",
            "setpoint_kw": None,
            "start": iso(now),
            "end": iso(now + pd.Timedelta(hours=1)),
            "not_after": iso(now + pd.Timedelta(seconds=valid_s)),
            "load_kw": load_kw,
        }
        for i in range(n)
    ]


@pytest.fixture(name="make_commands")
def make_commands_fixture():
    """The function making a plan's commands (see :func:`_make_commands`)."""
    return _make_commands


@pytest.fixture
def simulator_process(tmp_path):
    """Start ``python -m gridcore.interfaces.loadsim`` processes; each is waited for and stopped after."""
    import subprocess

    procs = []

    def start(url: str, n: int, *args: str):
        journal = tmp_path / f"journal-{len(procs)}.jsonl"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gridcore.interfaces.loadsim",
                "--broker",
                url,
                "--devices",
                str(n),
                "--journal",
                str(journal),
                *args,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        line = proc.stdout.readline()
        assert line.startswith("ready"), line
        return proc, journal

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)
