"""The Apify ledger: who may collect which recorded actor run (SQL: :mod:`icp_engine.db.apify_ledger`).

Every run the product starts is a row of ``apify_runs``, recorded before the start request. A
row belongs to an *owner* (``"<hostname>:<pid>:<8 hex>"``, :func:`icp_engine.processes.new_owner_id`).
An uncollected row may be taken over (compare-and-set on ``owner``) when its owner is gone:

* on this host, when the owner's pid no longer runs (a SIGKILLed worker), or is this very process
  but no provider of the process is working on the row;
* on another host, when the row is older than ``apify_run_timeout_s`` + 10 minutes.

Rows of a live owner are *blocked*: their leads are reported retryable, nothing is started for
them. Rows being worked on by a provider of this process are tracked in a process-wide set.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta, UTC
from typing import Any

from ..db import apify_ledger as sql
from ..processes import pid_alive

# Rows being worked on by a provider of this process (shared by all instances).
_ACTIVE_ROWS: set[int] = set()
_ACTIVE_LOCK = threading.Lock()


class ApifyLedger:
    """The ``apify_runs`` rows of one actor as seen by one owner.

    ``ApifyLedger(db, actor_id, owner, run_timeout_s)``: ``db`` is a
    :class:`~icp_engine.db.Database`; ``run_timeout_s`` the actor run timeout (seconds), which
    bounds how long a foreign owner on another host is trusted.
    """

    def __init__(self, db: Any, actor_id: str, owner: str, run_timeout_s: float):
        self.db = db
        self.actor_id = actor_id
        self.owner = owner
        self.run_timeout_s = float(run_timeout_s)

    def record_pending(self, run_id: int | None, urls: Sequence[str], lead_ids: Sequence[int]) -> tuple[int, datetime]:
        """Record (and commit) a run about to be started; returns ``(row id, created_at)``."""
        with self.db.begin() as conn:
            return sql.insert_pending(conn, run_id=run_id, actor_id=self.actor_id, urls=urls, lead_ids=lead_ids,
                                      owner=self.owner)

    def update(self, row_id: int, **values: Any) -> None:
        """Set columns of a row (committed at once); :data:`icp_engine.db.apify_ledger.NOW` = database time."""
        with self.db.begin() as conn:
            sql.update(conn, row_id, **values)

    def in_flight(self, lead_ids: Sequence[int] | None) -> list[Any]:
        """Uncollected rows that may still deliver, for these leads (or all)."""
        with self.db.begin() as conn:
            return sql.in_flight(conn, self.actor_id, lead_ids)

    def known_run_ids(self, apify_run_ids: Sequence[str]) -> set[str]:
        """Which Apify run ids already have a row (so a run found on Apify is adopted only once)."""
        with self.db.begin() as conn:
            return sql.known_apify_run_ids(conn, apify_run_ids)

    def unfinished_own_runs(self) -> list[str]:
        """Apify run ids of this owner's started, uncollected, unfinished runs (the only ones ever aborted)."""
        with self.db.begin() as conn:
            return sql.unfinished_of_owner(conn, self.owner)

    @contextmanager
    def working_on(self, row_id: int) -> Iterator[None]:
        """Mark a row as worked on by this process for the duration of the block."""
        with _ACTIVE_LOCK:
            _ACTIVE_ROWS.add(row_id)
        try:
            yield
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE_ROWS.discard(row_id)

    def owner_gone(self, owner: str, created_at: datetime | None) -> bool:
        """True when ``owner`` can no longer collect its row (see the module docstring)."""
        host, _, rest = owner.partition(":")
        pid_s = rest.split(":", 1)[0]
        if host == socket.gethostname() and pid_s.isdigit():
            pid = int(pid_s)
            if pid == os.getpid():
                return True  # same process, not in _ACTIVE_ROWS (checked by the caller): abandoned
            return not pid_alive(pid)
        if created_at is None:
            return True
        age = datetime.now(UTC) - created_at
        return age > timedelta(seconds=self.run_timeout_s + 600)

    def claim(self, lead_ids: Sequence[int] | None) -> tuple[list[Any], list[Any]]:
        """Take over uncollected rows (for ``lead_ids``, or all) whose owner is this one or gone.

        Returns ``(claimed, blocked)``; blocked rows belong to a live owner elsewhere (or are being
        worked on in this process).
        """
        claimed, blocked = [], []
        for row in self.in_flight(lead_ids):
            with _ACTIVE_LOCK:
                if row.id in _ACTIVE_ROWS:
                    blocked.append(row)
                    continue
            if row.owner != self.owner and not self.owner_gone(row.owner, row.created_at):
                blocked.append(row)
                continue
            with self.db.begin() as conn:
                took = sql.take_over(conn, row.id, row.owner, self.owner)
            if took:
                claimed.append(row)
        return claimed, blocked
