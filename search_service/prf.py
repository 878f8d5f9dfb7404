"""Pseudo-relevance feedback, RM3-style: the first ranking's best passages, taken as
relevant, lend the question the terms that weigh most in them (issue 17).

The first pass is the whole hybrid ranking. Its `rm3_depth` best passages are weighed by
their fused score; a term's weight is Σ_d score_d · bm25(t, d) over them (BM25 already
holds the term's rarity); the `rm3_terms` heaviest terms the question does not have, their
weights summed to 1, are scored by BM25 over every passage and join the stemmed field with
weight `rm3_weight` (the typed terms keep theirs); then the ranking is made again.

Visibility: the top passages are taken among those the caller may see (the first-pass
scores are -inf elsewhere), and the BM25 rows are those of the caller's visibility's index
(`TermMatrix` per visibility), so a private passage neither chooses nor weighs a term.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import sparse


def top_passages(fused: np.ndarray, depth: int) -> np.ndarray:
    """Indices of the `depth` best finite scores, best first (ties: lower index first)."""
    finite = np.flatnonzero(np.isfinite(fused))
    order = finite[np.argsort(-fused[finite], kind="stable")]
    return order[:max(depth, 0)]


class TermMatrix:
    """One BM25 index's term scores as a sparse (passages × terms) matrix, built at load,
    and the map from a passage index to its row."""

    def __init__(self, index: Any, positions: np.ndarray, size: int) -> None:
        scores = index.scores
        indptr = np.asarray(scores["indptr"])
        shape = (int(scores["num_docs"]), len(indptr) - 1)
        self.by_term = sparse.csc_matrix((np.asarray(scores["data"], dtype=np.float64),
                                          np.asarray(scores["indices"]), indptr), shape=shape)
        self.by_passage = self.by_term.tocsr()
        self.vocab: Mapping[str, int] = index.vocab_dict
        # The term of each column: ties are broken by the term, not by its id (the ids of
        # a bm25s vocabulary change from one build to the next).
        self.words = np.array([""] * shape[1], dtype=object)
        for term, column in self.vocab.items():
            if column < shape[1]:
                self.words[column] = term
        self.row = np.full(size, -1, dtype=np.int64)
        self.row[positions] = np.arange(len(positions))
        self.position = np.asarray(positions, dtype=np.int64)

    def term_ids(self, tokens: list[str]) -> set[int]:
        return {self.vocab[t] for t in tokens if t in self.vocab}


def rm3_terms(matrix: TermMatrix, top: np.ndarray, weights: np.ndarray, exclude: set[int],
              count: int) -> tuple[np.ndarray, np.ndarray]:
    """The `count` terms of largest Σ_d weight_d · bm25(t, d) over the top passages (not in
    `exclude`; ties in term order), and their weights, summing to 1."""
    rows = matrix.row[top]
    keep = rows >= 0
    if not keep.any() or count <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    weighted = matrix.by_passage[rows[keep]].T @ weights[keep].astype(np.float64)
    weighted = np.asarray(weighted).ravel()
    if exclude:
        weighted[list(exclude)] = 0.0
    found = np.flatnonzero(weighted > 0)
    if not len(found):
        return found, np.zeros(0)
    # Heaviest first; equal weights (to 9 decimals, as two builds' floats agree) by term.
    order = np.lexsort((matrix.words[found].astype(str), -np.round(weighted[found], 9)))
    chosen = found[order[:count]]
    return chosen, weighted[chosen] / weighted[chosen].sum()


def expansion_scores(matrix: TermMatrix, terms: np.ndarray, weights: np.ndarray,
                     mask: np.ndarray) -> np.ndarray:
    """Per passage: Σ_t weight_t · bm25(t, passage), 0 outside `mask`."""
    out = np.zeros(len(mask), dtype=np.float32)
    if len(terms):
        local = matrix.by_term[:, terms] @ weights
        out[matrix.position] = np.asarray(local).ravel()
    return np.where(mask, out, 0.0).astype(np.float32)
