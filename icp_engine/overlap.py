"""Overlap a run stage's database work with its Python work (issue 15).

Postgres is a process of its own: while it executes a chunk's writes (COPY + one ``UPDATE ...
FROM``), this process can classify, score or embed the next chunk on
the other core. A thread waiting on the database's socket releases the GIL, so one background
thread for the database is enough.

* :class:`WriteBehind` runs each chunk's write in one background thread, at most one write in
  flight: :meth:`WriteBehind.submit` first waits for the previous write (so the writes commit in
  submission order and an error surfaces at the next chunk), then runs that write's ``then``
  (progress report, counters) in the caller's thread. :meth:`WriteBehind.drain` waits for the
  last one. A killed process loses at most the chunks not yet committed, exactly as when each
  chunk is written before the next is computed: each write is still one transaction.

* :class:`BackgroundTransaction` runs statements in order in one background thread inside ONE
  transaction, committed when its ``with`` block ends without an error (rolled back otherwise):
  the export marks each chunk's leads ``exported`` while the next chunk is read and formatted, and
  an export that fails half-way marks none.

Reading the next chunk ahead in a second thread was tried and left out: the keyset reads are cheap,
and the extra pooled connection per process mattered more (the test suite's Postgres ran out of
connections).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from .db import Database

#: a SQLAlchemy ``Connection`` (only icp_engine/db imports SQLAlchemy: tests/test_layout.py)
Connection = Any

log = logging.getLogger(__name__)
T = TypeVar("T")


class WriteBehind:
    """One background thread for a stage's chunk writes (use as a context manager).

    ``submit(write, then)``: ``write()`` runs in the background thread (it opens its own
    transaction); ``then(result)`` runs in the caller's thread once the write committed, at the
    next :meth:`submit` or at :meth:`drain`. ``enabled=False`` runs each write and its ``then`` at
    once (the reference behaviour). Leaving the ``with`` block waits for the write in flight; when
    the block ends with an exception, a failure of that write is logged and the block's exception
    propagates.
    """

    def __init__(self, *, enabled: bool = True, name: str = "icp-write"):
        self.enabled = enabled
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) if enabled else None
        self._pending: tuple[Future[Any], Callable[[Any], None]] | None = None

    def submit(self, write: Callable[[], T], then: Callable[[T], None] = lambda _r: None) -> None:
        """Queue ``write`` after the previous one (whose ``then`` runs here first)."""
        if self._pool is None:
            then(write())
            return
        self.drain()
        self._pending = (self._pool.submit(write), then)

    def drain(self) -> None:
        """Wait for the write in flight (re-raising its error) and run its ``then``."""
        pending, self._pending = self._pending, None
        if pending is not None:
            fut, then = pending
            then(fut.result())

    def settle(self) -> None:
        """:meth:`drain` for a stage that is already failing or stopping: a failure of the write in
        flight is logged, not raised (the caller's own exception is the one to report)."""
        try:
            self.drain()
        except Exception:
            log.exception("a chunk write failed while the stage was stopping")

    def __enter__(self) -> WriteBehind:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self.drain()
            else:
                self.settle()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)



class BackgroundTransaction:
    """Statements run in order in one background thread, all in one transaction (a context manager).

    ``submit(fn)`` queues ``fn(conn)``; the first one opens the transaction (``db.begin()``).
    Leaving the ``with`` block waits for the queued statements and commits them; when the block
    ends with an exception, or a statement failed, everything is rolled back: the block's exception
    propagates, else the statement's. After a failed statement the later ones are skipped and the
    failure is raised at the next :meth:`submit`.
    """

    def __init__(self, db: Database, *, name: str = "icp-tx"):
        self._db = db
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._tx: Any = None  # the db.begin() context manager, entered in the background thread
        self._conn: Connection | None = None
        self._error: BaseException | None = None
        self._last: Future[None] | None = None

    def _run(self, fn: Callable[[Connection], None]) -> None:
        if self._error is not None:
            return
        try:
            if self._conn is None:
                self._tx = self._db.begin()
                self._conn = self._tx.__enter__()
            fn(self._conn)
        except BaseException as exc:  # noqa: BLE001 - kept and raised in the caller's thread
            self._error = exc

    def _finish(self, commit: bool) -> None:
        tx, self._tx, self._conn = self._tx, None, None
        if tx is None:
            return
        if commit and self._error is None:
            tx.__exit__(None, None, None)
        else:
            err = self._error or RuntimeError("rolled back")
            tx.__exit__(type(err), err, err.__traceback__)

    def submit(self, fn: Callable[[Connection], None]) -> None:
        """Queue ``fn(conn)`` after the statements already queued."""
        if self._error is not None:
            raise self._error
        self._last = self._pool.submit(self._run, fn)

    def __enter__(self) -> BackgroundTransaction:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            done = self._pool.submit(self._finish, exc_type is None)
            try:
                done.result()
            except Exception:
                if exc_type is None:
                    raise
                log.exception("rolling back a background transaction failed")
        finally:
            self._pool.shutdown(wait=True)
        if exc_type is None and self._error is not None:
            raise self._error
