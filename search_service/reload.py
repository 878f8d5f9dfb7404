"""Hot reload: follow the index directory's `current` link without dropping a request.

A new version is loaded completely beside the live one, then swapped in with a
single reference assignment; requests that started on the old searcher finish
on it. A version that fails to load is logged and the live one keeps serving.
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

log = logging.getLogger("search_service.reload")


def current_target(index_dir: Path) -> Path | None:
    """Where `current` points now (None when the directory is itself a version)."""
    link = index_dir / "current"
    try:
        return (index_dir / os.readlink(link)).resolve()
    except OSError:
        return None


@dataclass
class ReloadResult:
    reloaded: bool
    version: str
    error: str | None = None


class Reloader:
    """Owns the live searcher; `check()` swaps in a new version when `current` moved."""

    def __init__(self, index_dir: Path, searcher: Searcher,
                 load: Callable[[Path], Searcher]) -> None:
        self.index_dir = index_dir
        self.searcher = searcher
        self._load = load
        self._lock = threading.Lock()
        self.failed_target: Path | None = None
        self.last_error: str | None = None

    def check(self, force: bool = False) -> ReloadResult:
        with self._lock:
            target = current_target(self.index_dir)
            live = self.searcher.data.path.resolve()
            unchanged = target is None or target == live
            if unchanged or (target == self.failed_target and not force):
                return ReloadResult(False, live.name, self.last_error)
            try:
                fresh = self._load(self.index_dir)
            except (IndexerError, OSError, ValueError, KeyError) as exc:
                self.failed_target, self.last_error = target, str(exc)
                log.error("keeping version %s: the new one does not load: %s", live.name, exc)
                return ReloadResult(False, live.name, str(exc))
            self.searcher = fresh  # one reference assignment: readers see old or new, never half
            self.failed_target, self.last_error = None, None
            log.info("now serving index version %s (was %s)", fresh.data.path.name, live.name)
            return ReloadResult(True, fresh.data.path.name)


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
            except Exception:  # a watcher that dies silently would stop all reloads
                log.exception("index watcher error")

    def stop(self) -> None:
        self._stop_event.set()
