"""Rows that many requests make, written in bulk instead of one by one (the
partners' pull log, the screens' heartbeats).

A WriteBuffer holds what requests add, each entry with the name of the
database it belongs to (so that an entry of a test database, or of a
database settings no longer point at, is never written elsewhere). It is
written when it holds `batch()` entries or its oldest is `seconds()` old:
then at once by a thread of its own (the request that found it so does not
wait for the write), or by a timer thread started with the first entry, so
that a lone entry is written within those seconds even when no other
request follows; and at process exit. One such thread writes at a time.
While the database is unreachable entries wait, up to MAX_BUFFERED (beyond
that the oldest are dropped and logged), and a write is tried again every
`seconds()`.
Threads are off when `background()` is False (the test settings: a write
landing in a later test would go into that test's database): the request
that finds the buffer due writes it (inside a view's transaction, once that
commits, when `after_commit`)."""

import atexit
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, connection, connections, transaction

logger = logging.getLogger(__name__)

MAX_BUFFERED = 20_000


class WriteBuffer:
    def __init__(
        self,
        name: str,
        write: Callable[[list[Any]], None],
        *,
        batch: Callable[[], int],
        seconds: Callable[[], float],
        background: Callable[[], bool],
        after_commit: bool = True,
    ) -> None:
        self.name = name
        self.write = write  # writes the entries of the current database
        self.batch, self.seconds, self.background = batch, seconds, background
        self.after_commit = after_commit
        self._lock = threading.Lock()
        self._entries: list[tuple[str, Any]] = []
        self._oldest = 0.0  # time.monotonic() of the first entry buffered
        self._dropped = 0
        self._timer: threading.Timer | None = None
        self._writing = threading.Lock()  # one background write at a time
        self._retry_at = 0.0  # time.monotonic() before which none is tried

    def add(self, entry: Any) -> None:
        """Buffer an entry of the current database; written at once when due."""
        if not self._buffer(connection.settings_dict["NAME"], entry):
            self._schedule()
        elif self.background():
            self._write_soon()
        elif self.after_commit and connection.in_atomic_block:
            transaction.on_commit(self.flush)
        else:
            self.flush()

    def _buffer(self, database: str, entry: Any) -> bool:
        """True when the buffer is due to be written."""
        with self._lock:
            if not self._entries:
                self._oldest = time.monotonic()
            self._entries.append((database, entry))
            if len(self._entries) > MAX_BUFFERED:
                excess = len(self._entries) - MAX_BUFFERED
                del self._entries[:excess]
                self._dropped += excess
        return self._due()

    def drain(self) -> list[tuple[str, Any]]:
        """Everything buffered (logging what was dropped meanwhile)."""
        with self._lock:
            entries, self._entries = self._entries, []
            dropped, self._dropped = self._dropped, 0
        if dropped:
            logger.warning("%s: %d entries dropped (buffer full)", self.name, dropped)
        return entries

    def _put_back(self, entries: list[tuple[str, Any]]) -> None:
        with self._lock:
            self._entries[:0] = entries
            self._oldest = time.monotonic()

    def flush(self) -> int:
        """Write what is buffered for the current database; returns how many
        entries were written (0 while the database is unreachable: they
        wait for the next flush)."""
        database = connection.settings_dict["NAME"]
        entries = [entry for name, entry in self.drain() if name == database]
        if not entries:
            return 0
        try:
            self.write(entries)
        except DatabaseError:
            logger.exception("%s: could not write %d entries", self.name, len(entries))
            self._put_back([(database, entry) for entry in entries])
            self._retry_at = time.monotonic() + self.seconds()
            return 0
        return len(entries)

    def _schedule(self, delay: float | None = None) -> None:
        """At most one pending write, `delay` (seconds()) after it was asked
        for; the timer's own thread may set the next one."""
        if not self.background():
            return
        with self._lock:
            timer = self._timer
            if timer and timer.is_alive() and timer is not threading.current_thread():
                return
            delay = self.seconds() if delay is None else delay
            self._timer = threading.Timer(delay, self._write_soon)
            self._timer.daemon = True
            self._timer.start()

    def _write_soon(self) -> None:
        """A write in a daemon thread with database connections of its own,
        unless one is running (it writes again while the buffer is due) or a
        failed one asked to wait (the timer tries again)."""
        if (wait := self._retry_at - time.monotonic()) > 0:
            self._schedule(wait)
        elif self._writing.acquire(blocking=False):
            threading.Thread(target=self._write_in_thread, daemon=True).start()

    def _write_in_thread(self) -> None:
        try:
            while self.flush() and self._due():
                pass
        finally:
            self._writing.release()
            connections.close_all()  # this thread's connections only
        if self._entries:  # what came meanwhile, or what failed
            self._schedule()

    def _due(self) -> bool:
        with self._lock:
            age = time.monotonic() - self._oldest
            return bool(self._entries) and (
                len(self._entries) >= self.batch() or age >= self.seconds()
            )

    def flush_at_exit(self) -> None:
        atexit.register(self.flush)
