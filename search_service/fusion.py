"""Fusion of dense and lexical passage scores: pure functions over arrays.

`mask` says which passages the caller may see and the filters keep; passages outside it
never take a rank, a scale bound or a score.
"""

from __future__ import annotations

import numpy as np

RRF_K = 60


def minmax(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scale the allowed scores to [0, 1]; BM25 and cosine live on different scales."""
    out = np.zeros_like(scores, dtype=np.float32)
    if not mask.any():
        return out
    allowed = scores[mask]
    lo, hi = float(allowed.min()), float(allowed.max())
    if hi > lo:
        out[mask] = (allowed - lo) / (hi - lo)
    elif hi > 0:
        out[mask] = 1.0
    return out


def ranks(scores: np.ndarray, mask: np.ndarray, limit: int) -> dict[int, int]:
    """Passage index → 1-based rank among the allowed passages, for the first `limit`."""
    order = [i for i in np.argsort(-scores, kind="stable") if mask[i]][:limit]
    return {int(i): r for r, i in enumerate(order, 1)}


def fuse(dense: np.ndarray, lexical: np.ndarray, mask: np.ndarray, mode: str, *,
         fusion: str = "weighted", dense_weight: float = 0.6,
         candidates: int = 100) -> np.ndarray:
    """One score per passage (-inf: not retrieved) for `mode` dense, bm25 or hybrid."""
    if mode == "dense":
        return np.where(mask, dense, -np.inf)
    lexical_mask = mask & (lexical > 0)
    if mode == "bm25":
        return np.where(lexical_mask, lexical, -np.inf)
    dense_mask = mask & (dense > -1.0)
    if fusion == "rrf":
        fused = np.full(len(dense), -np.inf, dtype=np.float32)
        for found in (ranks(dense, dense_mask, candidates),
                      ranks(lexical, lexical_mask, candidates)):
            for i, r in found.items():
                fused[i] = max(fused[i], 0.0) + 1.0 / (RRF_K + r)
        return fused
    fused = (dense_weight * minmax(dense, dense_mask)
             + (1 - dense_weight) * minmax(lexical, lexical_mask))
    return np.where(dense_mask | lexical_mask, fused, -np.inf)
