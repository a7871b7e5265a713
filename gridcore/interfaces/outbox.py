"""The durable outbox of load-control commands: ``<store>/outbox.sqlite``.

Every command goes through the outbox before it reaches a transport, and its state is kept there, so a
command survives a dead link, a killed process and a rerun:

============== =====================================================================================
``queued``     in the outbox, never handed to a transport (the link was down, or not yet its turn)
``sent``       handed to the transport at least once, no acknowledgement yet; sent again (with the same
               ``command_id``) when its back-off time comes, ``attempts`` counting
``acknowledged`` the device said it has it (final)
``failed``     no acknowledgement after the last attempt, or the device rejected it (final)
``expired``    ``not_after`` passed before an acknowledgement came (final)
============== =====================================================================================

A command id is stored once: enqueuing it again changes nothing (the plan can be executed twice, and a
device that receives a command twice acts once, see :mod:`gridcore.interfaces.loadsim`). An
acknowledgement is taken in any state but ``acknowledged`` (the device's word is the truth: a late
acknowledgement turns ``failed`` or ``expired`` into ``acknowledged``).

The re-send delay doubles with each attempt: ``base_s``, ``2 base_s``, ``4 base_s``, ... up to ``max_s``
(:class:`Backoff`). SQLite in WAL mode keeps the table consistent across processes and a killed writer.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridcore.interfaces.commands import Command

__all__ = ["OPEN", "STATES", "Backoff", "Outbox", "outbox_path"]

#: Every state, in the order of a command's life.
STATES = ("queued", "sent", "acknowledged", "failed", "expired")
#: The states still waiting for an acknowledgement.
OPEN = ("queued", "sent")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    command_id TEXT PRIMARY KEY,
    device TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    not_after REAL NOT NULL,
    enqueued_at REAL NOT NULL,
    first_sent_at REAL,
    last_sent_at REAL,
    acked_at REAL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS commands_due ON commands (state, next_attempt);
"""


@dataclass(frozen=True)
class Backoff:
    """Re-send policy of unacknowledged commands.

    Parameters
    ----------
    base_s : float
        Wait after the first send before sending again [s].
    factor : float
        Growth of the wait with each attempt.
    max_s : float
        Longest wait between two sends [s].
    max_attempts : int
        Sends before a command without acknowledgement is ``failed``.
    """

    base_s: float = 1.0
    factor: float = 2.0
    max_s: float = 30.0
    max_attempts: int = 5

    def delay(self, attempts: int) -> float:
        """Wait after the ``attempts``-th send before the next one [s]."""
        return min(self.max_s, self.base_s * self.factor ** max(attempts - 1, 0))


def outbox_path(store: str | Path) -> Path:
    """The outbox file of a store: ``<store>/outbox.sqlite``."""
    return Path(store) / "outbox.sqlite"


class Outbox:
    """The command table of one store (see the module's docstring).

    Parameters
    ----------
    path : str or Path
        The SQLite file (created with its folder on first use); usually :func:`outbox_path`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        cur = self._db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            cur.executemany(sql, rows)
            changed = cur.rowcount
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        return changed

    def enqueue(self, commands: Iterable[Command], now: float | None = None) -> int:
        """Add commands; a command id already in the outbox is left as it is.

        Parameters
        ----------
        commands : iterable of Command
            Commands to send.
        now : float, optional
            Current time [s since the epoch]; ``time.time()`` by default.

        Returns
        -------
        int
            Commands added (those not there before).
        """
        now = time.time() if now is None else now
        rows = [
            (c.command_id, c.device, c.action, json.dumps(c.to_json()), now, c.not_after.timestamp(), now)
            for c in commands
        ]
        before = self._count()
        self._write(
            "INSERT OR IGNORE INTO commands (command_id, device, action, payload, state, next_attempt, "
            "not_after, enqueued_at) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)",
            rows,
        )
        return self._count() - before

    def _count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM commands").fetchone()[0])

    def settle(self, backoff: Backoff, now: float | None = None) -> None:
        """Expire open commands past ``not_after``; fail sent ones whose last attempt went unanswered.

        Parameters
        ----------
        backoff : Backoff
            The policy (``max_attempts``).
        now : float, optional
            Current time [s since the epoch].
        """
        now = time.time() if now is None else now
        self._write(
            "UPDATE commands SET state = 'expired', reason = 'not acknowledged before not_after' "
            "WHERE state IN ('queued', 'sent') AND not_after <= ?",
            [(now,)],
        )
        self._write(
            "UPDATE commands SET state = 'failed', reason = ? "
            "WHERE state = 'sent' AND attempts >= ? AND next_attempt <= ?",
            [(f"no acknowledgement after {backoff.max_attempts} attempts", backoff.max_attempts, now)],
        )

    def due(self, now: float | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Open commands whose (next) send is due, oldest first.

        Parameters
        ----------
        now : float, optional
            Current time [s since the epoch].
        limit : int, optional
            At most this many.

        Returns
        -------
        list of dict
            The commands' JSON objects (as :meth:`Command.to_json`).
        """
        now = time.time() if now is None else now
        sql = (
            "SELECT payload FROM commands WHERE state IN ('queued', 'sent') AND next_attempt <= ? "
            "AND not_after > ? ORDER BY enqueued_at, rowid"
        )
        params: tuple[Any, ...] = (now, now)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return [json.loads(r[0]) for r in self._db.execute(sql, params)]

    def mark_sent(
        self,
        command_ids: Sequence[str],
        backoff: Backoff,
        now: float | None = None,
        sent_at: Sequence[float] | None = None,
    ) -> None:
        """Record a send of each command and schedule its next one by the back-off policy.

        Parameters
        ----------
        command_ids : sequence of str
            Commands just handed to a transport.
        backoff : Backoff
            The re-send policy.
        now : float, optional
            Current time [s since the epoch].
        sent_at : sequence of float, optional
            When each command was handed over [s since the epoch], in the order of ``command_ids``
            (``now`` for all by default): a device may acknowledge before the batch is marked.
        """
        now = time.time() if now is None else now
        if not command_ids:
            return
        times = list(sent_at) if sent_at is not None else [now] * len(command_ids)
        attempts = self._attempts(command_ids)
        self._write(
            "UPDATE commands SET state = 'sent', attempts = attempts + 1, "
            "first_sent_at = COALESCE(first_sent_at, ?), last_sent_at = ?, next_attempt = ? "
            "WHERE command_id = ? AND state IN ('queued', 'sent')",
            [
                (t, t, t + backoff.delay(attempts.get(i, 0) + 1), i)
                for i, t in zip(command_ids, times, strict=True)
            ],
        )

    def _attempts(self, command_ids: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for start in range(0, len(command_ids), 500):
            chunk = list(command_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT command_id, attempts FROM commands WHERE command_id IN ({marks})", chunk
            ):
                out[row[0]] = int(row[1])
        return out

    def acknowledge(self, acks: Iterable[dict[str, Any]], now: float | None = None) -> int:
        """Record acknowledgements ``{"command_id", "status": "ok"|"rejected", "reason"?, "note"?, "at"?}``.

        An acknowledged command keeps the device's ``note`` (what it did) as its reason.

        Parameters
        ----------
        acks : iterable of dict
            Acknowledgements as the devices sent them; ``at`` [s since the epoch] is the time received.
        now : float, optional
            Time received when an acknowledgement has no ``at`` [s since the epoch].

        Returns
        -------
        int
            Commands whose state changed (a second acknowledgement of a command changes nothing).
        """
        now = time.time() if now is None else now
        ok, rejected = [], []
        for ack in acks:
            at = float(ack.get("at", now))
            if ack.get("status", "ok") == "ok":
                ok.append((at, ack.get("note"), ack["command_id"]))
            else:
                reason = f"rejected by the device: {ack.get('reason', 'no reason given')}"
                rejected.append((at, reason, ack["command_id"]))
        changed = 0
        if ok:
            changed += self._write(
                "UPDATE commands SET state = 'acknowledged', acked_at = ?, reason = ? "
                "WHERE command_id = ? AND state != 'acknowledged'",
                ok,
            )
        if rejected:
            changed += self._write(
                "UPDATE commands SET state = 'failed', acked_at = ?, reason = ? "
                "WHERE command_id = ? AND state IN ('queued', 'sent')",
                rejected,
            )
        return changed

    def rows(self, command_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The stored state of commands (all of them by default), in the order given.

        Returns
        -------
        list of dict
            ``command_id``, ``device``, ``action``, ``state``, ``attempts``, ``first_sent_at``,
            ``acked_at`` [s since the epoch or None], ``reason``.
        """
        sql = (
            "SELECT command_id, device, action, state, attempts, first_sent_at, acked_at, reason "
            "FROM commands"
        )
        if command_ids is None:
            return [dict(r) for r in self._db.execute(sql + " ORDER BY enqueued_at, rowid")]
        found: dict[str, dict[str, Any]] = {}
        ids = list(command_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._db.execute(f"{sql} WHERE command_id IN ({marks})", chunk):
                found[r["command_id"]] = dict(r)
        return [found[i] for i in ids if i in found]

    def open_count(self, command_ids: Sequence[str] | None = None) -> int:
        """Commands still ``queued`` or ``sent`` (among ``command_ids``, or all)."""
        return sum(r["state"] in OPEN for r in self.rows(command_ids))

    def counts(self, command_ids: Sequence[str] | None = None) -> dict[str, int]:
        """Commands per state (every state listed, zeros included)."""
        out = dict.fromkeys(STATES, 0)
        for r in self.rows(command_ids):
            out[r["state"]] += 1
        return out

    def unreachable_devices(
        self, command_ids: Sequence[str] | None = None, include_open: bool = True
    ) -> list[str]:
        """Devices that did not acknowledge a command: what a planner must plan around.

        Parameters
        ----------
        command_ids : sequence of str, optional
            Look at these commands only (a plan's); all by default.
        include_open : bool
            Count commands still ``queued`` or ``sent`` as unreached (default), not only ``failed`` and
            ``expired`` ones.

        Returns
        -------
        list of str
            Device ids, sorted, each once.
        """
        bad = {"failed", "expired", *(OPEN if include_open else ())}
        return sorted({r["device"] for r in self.rows(command_ids) if r["state"] in bad})
