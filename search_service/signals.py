"""The ranking's per-visibility signals, loaded once: a lexical field's BM25 and IDF, the
resource vectors and the catalogue hierarchy.

Every statistic here is that of the caller's visibility (`indexer.visibility`): a lexical
field keeps one BM25 index and one IDF table per visibility, each counted over the passages
that visibility sees, so an anonymous score is that of a public-only index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def idf_table(index: Any) -> np.ndarray:
    """BM25 (Lucene) IDF of every vocabulary id of a bm25s index, from its postings."""
    indptr = np.asarray(index.scores["indptr"])
    df = np.diff(indptr).astype(np.float64)
    n = float(index.scores["num_docs"])
    return np.log(1.0 + (n - df + 0.5) / (df + 0.5))


class LexicalField:
    """One lexical field (stemmed words or edge n-grams): a BM25 index per visibility."""

    def __init__(self, indexes: Mapping[str, Any], positions: Mapping[str, np.ndarray],
                 size: int) -> None:
        self.indexes = dict(indexes)
        self.positions = dict(positions)
        self.size = size
        for who, index in self.indexes.items():
            if int(index.scores["num_docs"]) != len(self.positions[who]):
                raise ValueError(f"the {who} BM25 index holds {index.scores['num_docs']} "
                                 f"documents for {len(self.positions[who])} passages")
        self._idf = {who: idf_table(index) for who, index in self.indexes.items()}

    def scores(self, tokens: Sequence[str], who: str, mask: np.ndarray) -> np.ndarray:
        """BM25 of every passage with `who`'s statistics, 0 outside `mask`."""
        out = np.zeros(self.size, dtype=np.float32)
        index = self.indexes.get(who)
        if not tokens or index is None:
            return out
        out[self.positions[who]] = index.get_scores(list(tokens))
        return np.where(mask, out, 0.0).astype(np.float32)

    def idf_sum(self, tokens: Sequence[str], who: str) -> float:
        """Summed IDF of the terms; a term absent from `who`'s passages counts as df 0."""
        index = self.indexes.get(who)
        if index is None or not tokens:
            return 0.0
        n = float(index.scores["num_docs"])
        unseen = float(np.log(1.0 + (n + 0.5) / 0.5))
        vocab, idf = index.vocab_dict, self._idf[who]
        return float(sum(idf[vocab[t]] if t in vocab and vocab[t] < len(idf) else unseen
                         for t in tokens))


class ResourceSignals:
    """The resource vectors (one per resource) and the catalogue hierarchy, by position."""

    def __init__(self, resources: Sequence[dict[str, Any]], vectors: np.ndarray | None,
                 passage_resource: Sequence[str]) -> None:
        self.ids = [r["id"] for r in resources]
        self.position = position = {rid: i for i, rid in enumerate(self.ids)}
        self.vectors = vectors
        # In float64: a row's cosine must not depend on how many rows the product has (BLAS
        # blocking), so an anonymous score equals a public-only index's to the last bit.
        self._vectors64 = None if vectors is None else vectors.astype(np.float64)
        self.passage_position = np.array([position[r] for r in passage_resource],
                                         dtype=np.int64)
        self.parents = {r["id"]: r.get("parent") for r in resources}

    def cosines(self, query_vector: np.ndarray | None) -> np.ndarray | None:
        """Each resource vector's cosine to the question (None without vectors)."""
        if self._vectors64 is None or query_vector is None:
            return None
        return (self._vectors64 @ query_vector.astype(np.float64)).astype(np.float32)

    def per_passage(self, per_resource: np.ndarray) -> np.ndarray:
        return per_resource[self.passage_position]
