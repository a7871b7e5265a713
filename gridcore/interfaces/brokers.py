"""Local MQTT brokers as real processes: amqtt (installed with gridflow) or mosquitto (when on the PATH).

Used by the tests, the benchmark and anyone who wants to try ``shed execute`` on one machine::

    broker = start_broker("amqtt")          # listens on 127.0.0.1, a free port
    ...  # broker.url == "mqtt://127.0.0.1:PORT"
    broker.kill()                           # a broker that dies, for fault tests
    broker.restart()                        # the same port again
    broker.stop()

The broker binds the loopback address only.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from gridcore.errors import InputError

__all__ = ["BROKERS", "Broker", "free_port", "mosquitto_path", "start_broker", "wait_port"]

#: The brokers :func:`start_broker` knows.
BROKERS = ("amqtt", "mosquitto")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float = 20.0, host: str = "127.0.0.1") -> None:
    """Wait until something listens on ``host:port``.

    Raises
    ------
    TimeoutError
        Nothing listened within ``timeout_s`` [s].
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s:.0f} s") from None
            time.sleep(0.05)


def mosquitto_path() -> str | None:
    """The mosquitto executable (on the PATH, or Debian's /usr/sbin), or None."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")
    return found


def _amqtt_command(config: Path) -> list[str]:
    script = Path(sys.executable).parent / "amqtt"
    if script.exists():
        return [str(script), "-c", str(config)]
    return [sys.executable, "-m", "amqtt.scripts.broker_script", "-c", str(config)]  # pragma: no cover


@dataclass
class Broker:
    """A broker process on 127.0.0.1.

    Attributes
    ----------
    kind : str
        ``amqtt`` or ``mosquitto``.
    port : int
        Its TCP port.
    workdir : Path
        Its configuration (and log) folder.
    """

    kind: str
    port: int
    workdir: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """``mqtt://127.0.0.1:PORT``."""
        return f"mqtt://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        if self.kind == "amqtt":
            config = self.workdir / "amqtt.yaml"
            config.write_text(
                "listeners:\n  default:\n    type: tcp\n"
                f"    bind: 127.0.0.1:{self.port}\n"
                "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
                "    allow_anonymous: true\n",
                encoding="utf-8",
            )
            return _amqtt_command(config)
        exe = mosquitto_path()
        if exe is None:
            raise FileNotFoundError("mosquitto is not installed (apt-get install mosquitto)")
        config = self.workdir / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 100000\nmax_inflight_messages 0\n",
            encoding="utf-8",
        )
        return [exe, "-c", str(config)]

    def start(self, timeout_s: float = 30.0) -> Broker:
        """Start the process and wait until it listens."""
        log = (self.workdir / f"{self.kind}.log").open("ab")
        self.process = subprocess.Popen(
            self._command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        try:
            wait_port(self.port, timeout_s)
        except TimeoutError:
            self.stop()
            raise
        return self

    def kill(self) -> None:
        """Kill the process at once (SIGKILL): a broker that dies."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 5 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:  # pragma: no cover (a broker that ignores SIGTERM)
                self.kill()

    def restart(self, timeout_s: float = 30.0) -> Broker:
        """Kill (if alive) and start again on the same port."""
        self.kill()
        return self.start(timeout_s)


def start_broker(kind: str = "amqtt", port: int | None = None, workdir: str | Path | None = None) -> Broker:
    """Start a broker on 127.0.0.1 and wait until it listens.

    Parameters
    ----------
    kind : str
        ``amqtt`` (Python, installed with gridflow) or ``mosquitto`` (needs the executable).
    port : int, optional
        TCP port; a free one by default.
    workdir : str or Path, optional
        Folder for its configuration and log; a new temporary folder by default.

    Returns
    -------
    Broker
        The running broker (call :meth:`Broker.stop`).

    Raises
    ------
    InputError
        An unknown ``kind``.
    FileNotFoundError
        mosquitto asked for and not installed.
    """
    if kind not in BROKERS:
        raise InputError(f"broker must be one of {', '.join(BROKERS)}, not {kind!r}", field="kind")
    folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix=f"gridflow-{kind}-"))
    folder.mkdir(parents=True, exist_ok=True)
    return Broker(kind, port or free_port(), folder).start()
