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
    # Σ_d weight_d · bm25(t, d) over the few top rows only, read straight from the CSR
    # arrays (scipy's row indexing costs more than the sum for five rows).
    csr = matrix.by_passage
    picked = rows[keep]
    starts, ends = csr.indptr[picked], csr.indptr[picked + 1]
    columns = np.concatenate([csr.indices[a:b] for a, b in zip(starts, ends, strict=True)])
    values = np.concatenate([csr.data[a:b] * w for a, b, w in
                             zip(starts, ends, weights[keep].astype(np.float64), strict=True)])
    terms, inverse = np.unique(columns, return_inverse=True)
    summed = np.bincount(inverse, weights=values, minlength=len(terms))
    if exclude and len(terms):  # `terms` is sorted (np.unique): bisect for the question's
        # own terms
        own = np.fromiter(exclude, dtype=terms.dtype, count=len(exclude))
        at = np.minimum(np.searchsorted(terms, own), len(terms) - 1)
        summed[at[terms[at] == own]] = 0.0
    positive = summed > 0
    found, weighted = terms[positive], summed[positive]
    if not len(found):
        return found.astype(np.int64), np.zeros(0)
    # Heaviest first; equal weights (to 9 decimals, as two builds' floats agree) by term.
    # Only the terms at or above the `count`-th weight can be chosen: sort those alone.
    rounded = np.round(weighted, 9)
    if len(rounded) > count:
        floor = np.partition(rounded, len(rounded) - count)[len(rounded) - count]
        near = np.flatnonzero(rounded >= floor)
        found, weighted, rounded = found[near], weighted[near], rounded[near]
    order = np.lexsort((matrix.words[found].astype(str), -rounded))[:count]
    return found[order].astype(np.int64), weighted[order] / weighted[order].sum()


def expansion_scores(matrix: TermMatrix, terms: np.ndarray, weights: np.ndarray,
                     mask: np.ndarray) -> np.ndarray:
    """Per passage: Σ_t weight_t · bm25(t, passage), 0 outside `mask`."""
    out = np.zeros(len(mask), dtype=np.float32)
    if len(terms):
        # The few terms' columns read straight from the CSC arrays, as in `rm3_terms`.
        csc = matrix.by_term
        starts, ends = csc.indptr[terms], csc.indptr[np.asarray(terms) + 1]
        rows = np.concatenate([csc.indices[a:b] for a, b in zip(starts, ends, strict=True)])
        values = np.concatenate([csc.data[a:b] * w for a, b, w in
                                 zip(starts, ends, weights, strict=True)])
        local = np.bincount(rows, weights=values, minlength=csc.shape[0])
        out[matrix.position] = local
    return np.where(mask, out, 0.0).astype(np.float32)
