"""The query log: one row per settled search, written off the request path, in batches.

A request only puts a small immutable row on a bounded queue (`put_nowait`, never a wait); one
writer thread takes rows off it and inserts them into SQLite (WAL, a real file) in batches of up
to `batch` rows. With a writable file no row is lost, and `close()` (the app's lifespan, at
shutdown) writes what is still queued. When the file cannot be written (read-only, disk full,
missing directory) the batch is dropped, counted by reason and logged, and the searches go on.

What a row holds is decided here and only here (see `SearchRow`): the hour, the normalised query
with e-mail addresses and phone numbers masked, the language, the filters, member or not, the
result count, the top resource ids, `confident`, the confidence and the latency. There is no
field for the client address, a token, a cookie or the User-Agent, so none can be written.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from dataclasses import astuple, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from search_service.masking import hour_of, normalise

log = logging.getLogger("search_service.querylog")

SCHEMA = """
CREATE TABLE IF NOT EXISTS searches (
    id INTEGER PRIMARY KEY,
    hour TEXT NOT NULL,            -- UTC, rounded down to the hour: 2026-12-02T14:00Z
    query TEXT NOT NULL,           -- normalised; e-mails and phone numbers masked
    language TEXT,                 -- detected language of the query, or NULL
    filters TEXT NOT NULL,         -- JSON: kinds, year_from, year_to, mode, k
    member INTEGER NOT NULL,       -- 1 when a valid member token came with it; never the token
    result_count INTEGER NOT NULL,
    top_ids TEXT NOT NULL,         -- JSON list of resource ids, best first
    confident INTEGER NOT NULL,
    confidence REAL NOT NULL,
    latency_ms REAL NOT NULL,
    query_id TEXT                  -- the response's random id, which feedback refers to
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    hour TEXT NOT NULL,            -- UTC, rounded down to the hour
    query_id TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    comment TEXT                   -- at most 500 characters, masked; shown as text only
);
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS searches_hour ON searches (hour);
CREATE INDEX IF NOT EXISTS searches_query_id ON searches (query_id);
CREATE INDEX IF NOT EXISTS feedback_hour ON feedback (hour);
"""
COLUMNS = ("hour", "query", "language", "filters", "member", "result_count", "top_ids",
           "confident", "confidence", "latency_ms", "query_id")
INSERT = f"INSERT INTO searches ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
TOP_IDS = 5
PRUNE_EVERY = 24 * 3600.0

@dataclass(frozen=True)
class SearchRow:
    """One logged search. Nothing in it names or fingerprints the person who asked."""

    hour: str
    query: str
    language: str | None
    filters: str
    member: bool
    result_count: int
    top_ids: str
    confident: bool
    confidence: float
    latency_ms: float
    query_id: str | None = None

    INSERT: ClassVar[str] = INSERT

    @classmethod
    def of(cls, *, query: str, language: str | None, filters: dict, member: bool,
           result_ids: list[str], confident: bool, confidence: float, latency_ms: float,
           now: datetime | None = None, query_id: str | None = None) -> SearchRow:
        return cls(hour=hour_of(now or datetime.now(UTC)), query=normalise(query),
                   language=language, filters=json.dumps(filters, sort_keys=True),
                   member=bool(member), result_count=len(result_ids),
                   top_ids=json.dumps(result_ids[:TOP_IDS]), confident=bool(confident),
                   confidence=float(confidence), latency_ms=float(latency_ms),
                   query_id=query_id)


@dataclass(frozen=True)
class FeedbackRow:
    """One answer rated (search_service/feedback.py): the hour, which search (its random
    query_id), helpful or not, the comment already cleaned and masked."""

    hour: str
    query_id: str
    helpful: bool
    comment: str | None

    INSERT: ClassVar[str] = ("INSERT INTO feedback (hour, query_id, helpful, comment) "
                             "VALUES (?, ?, ?, ?)")


def connect(path: Path) -> sqlite3.Connection:
    """The log file opened for writing, in WAL mode, with its tables; sqlite3.Error or OSError
    when it cannot be (a read-only file raises on the first write, not here)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=5.0, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(SCHEMA)
        columns = {c[1] for c in conn.execute("PRAGMA table_info(searches)")}
        if "query_id" not in columns:  # a log written before feedback existed
            conn.execute("ALTER TABLE searches ADD COLUMN query_id TEXT")
        conn.executescript(INDEXES)
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def prune(conn: sqlite3.Connection, retention_days: int, now: datetime) -> int:
    """Delete the rows older than the retention; returns how many went."""
    cutoff = hour_of(now - timedelta(days=retention_days))
    with conn:
        gone = conn.execute("DELETE FROM searches WHERE hour < ?", (cutoff,)).rowcount
        return gone + conn.execute("DELETE FROM feedback WHERE hour < ?", (cutoff,)).rowcount


@dataclass
class LogStats:
    """Counters since start, for the report and the log lines."""

    written: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def drop(self, reason: str, count: int, error: str | None = None) -> int:
        with self.lock:
            self.dropped[reason] = self.dropped.get(reason, 0) + count
            self.last_error = error or self.last_error
            return sum(self.dropped.values())

    def to_dict(self) -> dict:
        with self.lock:
            return {"written": self.written, "dropped": dict(self.dropped),
                    "dropped_total": sum(self.dropped.values()), "last_error": self.last_error}


_STOP = object()


class QueryLog:
    """The bounded queue and its writer thread. `record` never blocks and never raises."""

    def __init__(self, path: Path, *, retention_days: int = 180, queue_size: int = 10_000,
                 batch: int = 500, linger: float = 0.5) -> None:
        self.path = Path(path)
        self.retention_days = retention_days
        self.batch = batch
        self.linger = linger
        self.stats = LogStats()
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, name="querylog", daemon=True)
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    def start(self) -> QueryLog:
        self._thread.start()
        return self

    def record(self, row: SearchRow | FeedbackRow) -> None:
        if self._closed:
            self.stats.drop("closed", 1)
            return
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            self._dropped("queue_full", 1, "queue full: the writer is behind")

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until what was queued before this call is written (or dropped)."""
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop the writer (the app's shutdown)."""
        if self._closed or not self._thread.is_alive():
            self._closed = True
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        """Prune at start, then write batches as they come; prune again once a day."""
        self._prune()
        next_prune = time.monotonic() + PRUNE_EVERY
        stop = False
        while not stop:
            rows, events, stop = self._take()
            if rows:
                self._write(rows)
            if time.monotonic() >= next_prune:
                self._prune()
                next_prune = time.monotonic() + PRUNE_EVERY
            for event in events:
                event.set()
        if self._conn is not None:
            self._conn.close()

    def _take(self) -> tuple[list[SearchRow | FeedbackRow], list[threading.Event], bool]:
        """Up to `batch` rows: the first one waited for (at most an hour, then a prune check),
        more for `linger` seconds at most; a flush or a stop ends the batch at once."""
        rows: list[SearchRow | FeedbackRow] = []
        events: list[threading.Event] = []
        try:
            item = self._queue.get(timeout=3600.0)
        except queue.Empty:
            return rows, events, False
        deadline = time.monotonic() + self.linger
        while True:
            if item is _STOP:
                return rows, events, True
            if isinstance(item, threading.Event):
                events.append(item)
                return rows, events, False
            rows.append(item)
            if len(rows) >= self.batch:
                return rows, events, False
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return rows, events, False

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path)
        return self._conn

    def _write(self, rows: list[SearchRow | FeedbackRow]) -> None:
        by_table: dict[str, list[tuple]] = {}
        for r in rows:
            by_table.setdefault(r.INSERT, []).append(astuple(r))
        try:
            conn = self._connection()
            with conn:
                for sql, values in by_table.items():
                    conn.executemany(sql, values)
        except (sqlite3.Error, OSError) as exc:
            self._reset()
            self._dropped("unwritable", len(rows), f"{type(exc).__name__}: {exc}")
            return
        with self.stats.lock:
            self.stats.written += len(rows)

    def _prune(self) -> None:
        try:
            gone = prune(self._connection(), self.retention_days, datetime.now(UTC))
        except (sqlite3.Error, OSError) as exc:
            self._reset()
            log.warning("query log %s: cannot prune: %s", self.path, exc)
            return
        if gone:
            log.info("query log %s: %d rows older than %d days pruned", self.path, gone,
                     self.retention_days)

    def _reset(self) -> None:
        """Close the connection after an error, so the next batch tries a fresh one (a disk
        that had filled up may have room again)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _dropped(self, reason: str, count: int, error: str) -> None:
        before = self.stats.to_dict()
        total = self.stats.drop(reason, count, error)
        if error != before["last_error"] or total // 1000 != before["dropped_total"] // 1000:
            log.warning("query log %s: %d rows dropped (%s), %d since start: %s", self.path,
                        count, reason, total, error)
