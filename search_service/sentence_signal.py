"""Sentence-level dense signal: the best cosine of the question to any one sentence of a
passage (max-sim), from the sentence vectors the build already stores.

A passage's vector averages a paragraph of 60–250 words; a question answered by one of its
sentences can sit far from that average and close to the sentence. The vectors are grouped
by passage and widened to float64 once, at load; a request costs one matrix-vector product
over the sentences and a `maximum.reduceat`.

Visibility: a sentence's cosine is its own, no corpus statistic enters it; the caller's mask
decides which passages take a value, so a private passage never gives or bounds one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class SentenceSignal:
    """Sentence vectors ordered by passage, with each passage's first row and row count."""

    def __init__(self, sentences: Sequence[dict[str, Any]], vectors: np.ndarray | None,
                 passages: int) -> None:
        owner = np.array([int(s["passage"]) for s in sentences], dtype=np.int64)
        self.passages = passages
        self.available = vectors is not None and len(owner) > 0
        order = np.argsort(owner, kind="stable")
        self.counts = np.bincount(owner, minlength=passages)[:passages]
        self.starts = np.concatenate(([0], np.cumsum(self.counts)[:-1])).astype(np.int64)
        # float64: a row's cosine must not depend on how many rows the product has (BLAS
        # blocking), so an anonymous score equals a public-only index's to the last bit.
        self._vectors64 = (vectors[order].astype(np.float64) if self.available
                           else np.zeros((0, 0)))

    def max_sim(self, query_vector: np.ndarray | None, mask: np.ndarray) -> np.ndarray:
        """Per passage: the best sentence cosine to the question; -1 outside `mask` or for a
        passage without sentences."""
        out = np.full(self.passages, -1.0, dtype=np.float32)
        if not self.available or query_vector is None:
            return out
        cosines = self._vectors64 @ query_vector.astype(np.float64)
        has = self.counts > 0
        best = np.maximum.reduceat(cosines, self.starts[has])
        out[has] = best.astype(np.float32)
        return np.where(mask, out, -1.0).astype(np.float32)
