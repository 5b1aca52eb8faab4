"""How the running server reaches the warehouse without locking anyone else out.

DuckDB lets one process write a file at a time, and a process may not hold read-only
and read-write connections to one file together. So every piece of warehouse work the
server does runs on a connection opened for that piece and closed after it, under a
process-wide lock that readers share and a writer holds alone (``access.lock`` for
reading, ``access.write`` and the cleaner for writing); between requests the file is
free for a cron ``cxlens run``, an import or ``cxlens token create``. Readers share:
one page fitting a churn model does not hold up another page's cached answer.

Answers are cached under the warehouse's version: the size and modification time of
the file and of its write-ahead log. Any write, by this server or by another process,
changes the version, so the next request computes afresh and no restart is needed.

Writes that arrive over the API or a survey form land in the raw tables at once (all
or nothing, in their request); rebuilding the cleaned tables is coalesced: a cleaner
thread runs one clean for however many writes arrived while the last one ran.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from cxlens.settings import Settings
from cxlens.store import Warehouse

log = logging.getLogger(__name__)

T = TypeVar("T")
CACHE_ENTRIES = 256
# How long the cleaner waits after a write for more writes to join the same clean, and
# the least time between the end of one clean and the start of the next, so that writes
# arriving during a long clean get the lock before the next clean takes it again.
SETTLE_SECONDS = 0.3
CLEAN_GAP_SECONDS = 2.0


class SharedLock:
    """A lock many readers hold together and one writer holds alone; both re-entrant.

    A thread that already reads may read again (a cached answer computing through
    another cached answer), and a writer may read; a reader may not start writing.
    Writers waiting keep new readers out, so a clean is not starved by page views.
    """

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._readers = 0
        self._writer: int | None = None
        self._writes = 0  # the writer's re-entries
        self._waiting_writers = 0
        self._local = threading.local()

    def __enter__(self) -> SharedLock:
        self.acquire_shared()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release_shared()

    def acquire_shared(self) -> None:
        depth = getattr(self._local, "depth", 0)
        if depth or self._writer == threading.get_ident():
            self._local.depth = depth + 1
            return
        with self._state:
            self._state.wait_for(lambda: self._writer is None and not self._waiting_writers)
            self._readers += 1
        self._local.depth = 1

    def release_shared(self) -> None:
        self._local.depth -= 1
        if self._local.depth or self._writer == threading.get_ident():
            return
        with self._state:
            self._readers -= 1
            self._state.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        me = threading.get_ident()
        if getattr(self._local, "depth", 0) and self._writer != me:
            raise RuntimeError("a warehouse reader cannot start writing; finish reading first")
        with self._state:
            if self._writer == me:
                self._writes += 1
            else:
                self._waiting_writers += 1
                self._state.wait_for(lambda: self._writer is None and self._readers == 0)
                self._waiting_writers -= 1
                self._writer, self._writes = me, 1
        try:
            yield
        finally:
            with self._state:
                self._writes -= 1
                if not self._writes:
                    self._writer = None
                    self._state.notify_all()


class Access:
    """The server's one way into the warehouse: serialised, short-lived, cached."""

    def __init__(self, warehouse: Warehouse, settings: Settings) -> None:
        self.warehouse = warehouse
        self.settings = settings
        self.lock = SharedLock()  # ``with access.lock:`` to read; writes go through write()
        self._computing: dict[Any, threading.Lock] = {}
        self._computing_guard = threading.Lock()
        self._cache: OrderedDict[Any, tuple[tuple, Any]] = OrderedDict()
        self._changes = threading.Condition()
        self._written = 0  # writes so far
        self._cleaned = 0  # writes the cleaned tables hold
        self._stopping = False
        self._cleaner: threading.Thread | None = None
        self.clean_error: str | None = None
        self._warmers: list[Callable[[], object]] = []

    def version(self) -> tuple:
        """What changes whenever anyone writes the warehouse file."""
        path = self.warehouse.path
        parts = []
        for file in (path, Path(f"{path}.wal")):
            try:
                stat = file.stat()
            except FileNotFoundError:
                parts.append(None)
                continue
            parts.append((stat.st_mtime_ns, stat.st_size))
        return tuple(parts)

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work``, a read that opens and closes its own read-only connections, under
        the shared lock (a write goes through ``write``: DuckDB refuses a read-write
        connection beside read-only ones in one process)."""
        with self.lock:
            return work()

    def cached(self, key: Any, work: Callable[[], T]) -> T:
        """``work()``'s answer, reused until the warehouse changes.

        Two requests asking for the same missing answer compute it once: the second
        waits for the first.
        """
        with self._computing_guard:
            computing = self._computing.setdefault(key, threading.Lock())
        with self.lock, computing:  # the shared lock first: a waiting writer holds up no one
            version = self.version()
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:
                self._cache.move_to_end(key)
                return hit[1]
            value = work()
            with self._computing_guard:
                self._cache[key] = (version, value)
                while len(self._cache) > CACHE_ENTRIES:
                    evicted, _ = self._cache.popitem(last=False)
                    self._computing.pop(evicted, None)
            return value

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A read-only DuckDB connection for one request, under the lock."""
        with self.lock, self.warehouse.connect(read_only=True) as con:
            yield con

    def write(self, work: Callable[[], T]) -> T:
        """Run a write alone, then ask the cleaner to rebuild the cleaned tables."""
        with self.lock.exclusive():
            value = work()
        self.mark_dirty()
        return value

    def add_warmer(self, warmer: Callable[[], object]) -> None:
        """Compute ``warmer`` (a cached view, typically) at start and after each clean."""
        self._warmers.append(warmer)

    def warm(self) -> None:
        """Fill the cache with the views most visitors open first, so they answer at once."""
        for warmer in self._warmers:
            try:
                warmer()
            except Exception:  # noqa: BLE001 - a view that cannot be computed is not fatal
                log.warning("warming a cached view failed", exc_info=True)

    def warm_in_background(self) -> None:
        threading.Thread(target=self.warm, name="cxlens-warm", daemon=True).start()

    def mark_dirty(self) -> None:
        """Note a write the cleaned tables do not hold yet; the cleaner picks it up."""
        with self._changes:
            self._written += 1
            self._changes.notify_all()
        self._start_cleaner()

    def settled(self, timeout: float = 60.0) -> bool:
        """Wait until every write so far is in the cleaned tables; False on timeout."""
        with self._changes:
            wanted = self._written
            return self._changes.wait_for(lambda: self._cleaned >= wanted, timeout)

    @property
    def pending(self) -> bool:
        with self._changes:
            return self._cleaned < self._written

    def stop(self) -> None:
        with self._changes:
            self._stopping = True
            self._changes.notify_all()
        if self._cleaner is not None:
            self._cleaner.join(timeout=120)

    def _start_cleaner(self) -> None:
        with self._changes:
            if self._cleaner is None or not self._cleaner.is_alive():
                self._cleaner = threading.Thread(
                    target=self._clean_loop, name="cxlens-cleaner", daemon=True
                )
                self._cleaner.start()

    def _clean_loop(self) -> None:
        from cxlens.clean import clean_warehouse

        while True:
            with self._changes:
                self._changes.wait_for(lambda: self._stopping or self._written > self._cleaned)
                if self._stopping:
                    return
            time.sleep(SETTLE_SECONDS)  # let writes arriving together share one clean

            with self._changes:
                target = self._written
            try:
                with self.lock.exclusive():
                    clean_warehouse(self.warehouse, self.settings)
                self.clean_error = None
            except Exception as error:  # noqa: BLE001 - the server must keep serving
                self.clean_error = str(error)
                log.exception("cleaning after API writes failed")

            with self._changes:
                self._cleaned = max(self._cleaned, target)
                self._changes.notify_all()
            self.warm()
            time.sleep(CLEAN_GAP_SECONDS)
