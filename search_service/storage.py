"""Where first-stage candidates come from: the one storage interface of the search core.

The core (fusion, grouping, quoting, confidence and the privacy rules) asks a `Storage` for
two candidate lists, each already restricted to what the caller may see: the top-k passages
by cosine and the passages the question's terms match, scored by BM25 with the statistics of
the caller's visibility. Rows (resources, passages, sentences) come with the opened version
(`indexer.opening.IndexData`), read once at load by the backend's opener.

`EmbeddedStorage` (FAISS and bm25s in the process) is the default; `search_service.pg_storage`
is imported only when `RTES_BACKEND=postgres`, so the embedded path never imports psycopg.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from search_service.retrieval import Filters
    from search_service.signals import LexicalField


class StorageUnavailable(Exception):  # noqa: N818 - the name says what the client sees
    """The storage cannot answer now (database down, or slower than its timeout): the
    service answers 503 with this message, and recovers when the storage is back."""


class Storage(Protocol):
    """First-stage candidates, per passage position of the loaded version."""

    def dense_scores(self, query_vector: np.ndarray, mask: np.ndarray, filters: Filters,
                     k: int) -> np.ndarray:
        """Cosine of the `k` best passages allowed by `filters` (and `mask`); -1 elsewhere."""
        ...

    def lexical_scores(self, tokens: Sequence[str], who: str, mask: np.ndarray,
                       filters: Filters) -> np.ndarray:
        """BM25 with `who`'s statistics of every matching allowed passage; 0 elsewhere."""
        ...


class EmbeddedStorage:
    """FAISS (exact below 50,000 passages, HNSW above) and the stemmed bm25s field."""

    def __init__(self, faiss_index: Any, ids: np.ndarray, stemmed: LexicalField) -> None:
        self.faiss_index = faiss_index
        self._ids = ids
        # FAISS id → passage position, by bisection over the sorted ids (no Python loop).
        self._by_id = np.argsort(ids, kind="stable")
        self._sorted_ids = np.asarray(ids)[self._by_id]
        self.size = len(ids)
        self.stemmed = stemmed
        self._selectors: dict[bytes, tuple[int, Any]] = {}

    def _selection(self, mask: np.ndarray) -> tuple[int, Any]:
        """How many passages are allowed, and a FAISS selector for them (None: all).

        Cached per distinct mask (public, member, each filter combination), so a query does
        no per-passage Python work before the FAISS search.
        """
        import faiss

        if mask.all():
            return self.size, None
        key = mask.tobytes()
        cached = self._selectors.get(key)
        if cached is None:
            ids = self._ids[mask]
            cached = (len(ids), faiss.IDSelectorBatch(ids) if len(ids) else None)
            if len(self._selectors) >= 256:
                self._selectors.pop(next(iter(self._selectors)))
            self._selectors[key] = cached
        return cached

    def dense_scores(self, query_vector: np.ndarray, mask: np.ndarray, filters: Filters,
                     k: int) -> np.ndarray:
        """Cosine of every allowed passage among FAISS's top candidates; -1 elsewhere (the
        mask already holds the filters)."""
        import faiss

        scores = np.full(self.size, -1.0, dtype=np.float32)
        allowed, selector = self._selection(mask)
        if not allowed:
            return scores
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
        k = min(allowed, max(k, 1))
        sims, ids = self.faiss_index.search(query_vector.reshape(1, -1), k, params=params)
        found = ids[0] >= 0
        at = self._by_id[np.searchsorted(self._sorted_ids, ids[0][found])]
        scores[at] = sims[0][found]
        return scores

    def lexical_scores(self, tokens: Sequence[str], who: str, mask: np.ndarray,
                       filters: Filters) -> np.ndarray:
        return self.stemmed.scores(tokens, who, mask)
