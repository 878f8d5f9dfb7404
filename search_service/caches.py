"""Bounded caches of per-query work: query vectors (LRU) and the detected language.

The widget searches as people type, so the same prefixes come back; encoding a query is
most of a search's cost and its language about a millisecond (`search_service.language`).
Both caches are bounded, thread-safe, and count their hits; every `LOG_EVERY` lookups one
INFO line of the `search_service` logger gives hits, misses and size (`cache_stats()`
returns the same).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from search_service import language

log = logging.getLogger("search_service")

LOG_EVERY = 1000
LANGUAGE_CACHE_SIZE = 4096


class QueryVectorCache:
    """An encoder whose `encode_query` remembers its last `size` answers (least recently
    used evicted first); every other attribute is the wrapped encoder's."""

    def __init__(self, inner: Any, size: int) -> None:
        self.inner = inner
        self.size = size
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[tuple[str, int | None], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def query_run(self, text: str, max_tokens: int | None = None
                  ) -> np.ndarray | Callable[[], np.ndarray]:
        """The remembered vector, or the wrapped encoder's model call that remembers it
        (`search_service.encoding`); the plain `encode_query` when the wrapped encoder cannot
        split its work."""
        key = (text, max_tokens)
        vector = self._lookup(key)
        if vector is not None:
            return vector
        split = getattr(self.inner, "query_run", None)
        if split is None:
            return self._remember(key, self.inner.encode_query(text, max_tokens=max_tokens))
        run = split(text, max_tokens)
        return lambda: self._remember(key, run())

    def encode_query(self, text: str, max_tokens: int | None = None) -> np.ndarray:
        key = (text, max_tokens)
        vector = self._lookup(key)
        if vector is not None:
            return vector
        return self._remember(key, self.inner.encode_query(text, max_tokens=max_tokens))

    def _lookup(self, key: tuple[str, int | None]) -> np.ndarray | None:
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
                self.hits += 1
        if vector is not None:
            _maybe_log(self)
        return vector

    def _remember(self, key: tuple[str, int | None], vector: np.ndarray) -> np.ndarray:
        vector.setflags(write=False)  # shared by every request that asks the same
        with self._lock:
            self.misses += 1
            self._vectors[key] = vector
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        _maybe_log(self)
        return vector

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"hits": self.hits, "misses": self.misses, "size": len(self._vectors),
                    "max_size": self.size}


def with_query_cache(encoder: Any, size: int) -> Any:
    """`encoder` behind a query-vector cache of `size` entries (none when size is 0)."""
    inner = getattr(encoder, "inner", encoder)
    return QueryVectorCache(inner, size) if size > 0 else inner


_last: list[QueryVectorCache] = []


def _maybe_log(cache: QueryVectorCache) -> None:
    _last[:] = [cache]
    if (cache.hits + cache.misses) % LOG_EVERY == 0:
        log.info("caches: %s", cache_stats())


@lru_cache(maxsize=LANGUAGE_CACHE_SIZE)
def detect_language(text: str) -> str | None:
    """`langdetect`'s language of `text` (seeded, so stable), remembered per text."""
    return language.detect_language(text)


def cache_stats() -> dict[str, dict[str, int]]:
    """Hits, misses and size of the query-vector cache last used and of the language cache."""
    info = detect_language.cache_info()
    stats = {"language": {"hits": info.hits, "misses": info.misses, "size": info.currsize,
                          "max_size": info.maxsize or 0}}
    if _last:
        stats["query_vectors"] = _last[0].stats()
    return stats
