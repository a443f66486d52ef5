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

Reading the next chunk ahead in a second thread was tried and left out: the keyset reads are cheap,
and the extra pooled connection per process mattered more (the test suite's Postgres ran out of
connections).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

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

