"""Hot reload: follow the index directory's `current` link without dropping a request.

A new version is loaded completely beside the live one, then swapped in with a
single reference assignment; requests that started on the old searcher finish
on it. A version that fails to load (any reason: a malformed row, a symlink loop,
a truncated file) is refused with one log line naming the file, logged once per
distinct version and error, and the live one keeps serving. The watcher does not
retry a version it refused; `POST /admin/reload` does. The error clears as soon as
`current` points at a version that loads, or back at the live one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import IndexerError
from search_service.retrieval import Searcher
from search_service.storage import StorageUnavailable

log = logging.getLogger("search_service.reload")
MAX_REMEMBERED = 64  # refused versions remembered (not retried by the watcher, not re-logged)


def current_target(index_dir: Path) -> Path | None:
    """Where `current` points now, never raising (None: no `current` link)."""
    link = index_dir / "current"
    if not link.is_symlink():
        return None
    return Path(os.path.realpath(link))  # a loop or a dangling link still gives a path


def describe(searcher: Searcher) -> str:
    data = searcher.data
    return (f"{data.path.name} ({len(data.resources)} resources, {len(data.passages)} "
            f"passages, {len(data.sentences)} sentences)")


def refusal(target: Path, exc: Exception) -> str:
    """One line for a version that does not load: the file at fault and why."""
    if isinstance(exc, IndexerError):
        message = str(exc)
    else:  # not foreseen by the loader's checks: still one line, never a traceback
        message = f"{target}: cannot be loaded ({type(exc).__name__}: {exc})"
    return " ".join(message.split())


@dataclass
class ReloadResult:
    reloaded: bool
    version: str
    error: str | None = None


class Reloader:
    """Owns the live searcher; `check()` swaps in a new version when `current` moved."""

    def __init__(self, index_dir: Path, searcher: Searcher | None,
                 load: Callable[[Path], Searcher],
                 target: Callable[[], Path | None] | None = None) -> None:
        """`target` says where the live pointer is now (default: the `current` link of
        `index_dir`; the postgres backend's reads `rtes_current`). `searcher` is None only
        when the database was down at start-up: `check()` loads it once it is back."""
        self.index_dir = index_dir
        self.searcher = searcher
        self._load = load
        self._target = target or (lambda: current_target(index_dir))
        self.unavailable: str | None = None  # why the storage did not answer the last load
        self._lock = threading.Lock()
        self._refused: dict[Path, str] = {}  # version → why, each logged once

    @property
    def last_error(self) -> str | None:
        """Why the version `current` points to was refused (None: it is the live one)."""
        target = self._target()
        return self._refused.get(target) if target is not None else None

    def check(self, force: bool = False) -> ReloadResult:
        with self._lock:
            target = self._target()
            live = self.searcher.data.path.resolve() if self.searcher else Path("-")
            if target is None or target == live:
                return ReloadResult(False, live.name)
            if target in self._refused and not force:
                return ReloadResult(False, live.name, self._refused[target])
            try:
                fresh = self._load(self.index_dir)
            except StorageUnavailable as exc:  # transient: tried again at the next check
                self.unavailable = str(exc)
                return ReloadResult(False, live.name, str(exc))
            except Exception as exc:  # every refusal keeps the live version serving
                return ReloadResult(False, live.name, self._refuse(target, live, exc))
            old = self.searcher
            self.searcher = fresh  # one reference assignment: readers see old or new, never half
            self._refused.clear()
            self.unavailable = None
            log.info("swapped index version %s → %s", describe(old) if old else "none",
                     describe(fresh))
            return ReloadResult(True, fresh.data.path.name)

    def _refuse(self, target: Path, live: Path, exc: Exception) -> str:
        error = refusal(target, exc)
        if self._refused.get(target) != error:
            log.error("refused index version %s, still serving %s: %s", target.name, live.name,
                      error)
        if len(self._refused) >= MAX_REMEMBERED:
            self._refused.pop(next(iter(self._refused)))
        self._refused[target] = error
        return error


class Watcher(threading.Thread):
    """Polls `current` every `interval` seconds until stopped."""

    def __init__(self, reloader: Reloader, interval: float) -> None:
        super().__init__(name="index-watcher", daemon=True)
        self.reloader = reloader
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                self.reloader.check()
            except Exception as exc:  # a watcher that dies silently would stop all reloads
                log.error("index watcher error: %s: %s", type(exc).__name__, exc)

    def stop(self) -> None:
        self._stop_event.set()
