"""`search_service.fusion` on tiny arrays worked by hand (the pure half of hybrid scoring)."""

from __future__ import annotations

import numpy as np
import pytest

from search_service.fusion import RRF_K, fuse, minmax, ranks

pytestmark = pytest.mark.fast


def test_minmax_scales_the_allowed_scores_only() -> None:
    scores = np.array([2.0, 4.0, 100.0, 3.0], dtype=np.float32)
    mask = np.array([True, True, False, True])
    # allowed 2, 4, 3: (x - 2) / (4 - 2); the masked 100 neither scales nor is scaled
    assert minmax(scores, mask).tolist() == [0.0, 1.0, 0.0, 0.5]
    assert minmax(np.array([3.0, 3.0]), np.array([True, True])).tolist() == [1.0, 1.0]
    assert minmax(np.array([0.0, 0.0]), np.array([True, True])).tolist() == [0.0, 0.0]
    assert minmax(scores, np.zeros(4, dtype=bool)).tolist() == [0.0] * 4


def test_ranks_skip_masked_passages() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.7])
    mask = np.array([True, False, True, True])
    assert ranks(scores, mask, limit=2) == {3: 1, 2: 2}


def test_weighted_fusion_by_hand() -> None:
    dense = np.array([0.8, 0.6, 0.4, -1.0], dtype=np.float32)
    lexical = np.array([0.0, 5.0, 10.0, 2.0], dtype=np.float32)
    mask = np.ones(4, dtype=bool)
    fused = fuse(dense, lexical, mask, "hybrid", dense_weight=0.6)
    # dense scaled over 0.8, 0.6, 0.4 → 1, 0.5, 0; lexical over 5, 10, 2 → 0, 0.375, 1, 0
    assert fused == pytest.approx([0.6, 0.3 + 0.4 * 0.375, 0.4, 0.0])
    assert fuse(dense, lexical, mask, "bm25").tolist()[0] == -np.inf  # no term matched


def test_rrf_fusion_by_hand() -> None:
    dense = np.array([0.9, 0.1], dtype=np.float32)
    lexical = np.array([1.0, 3.0], dtype=np.float32)
    fused = fuse(dense, lexical, np.ones(2, dtype=bool), "hybrid", fusion="rrf")
    # each passage is first in one list and second in the other
    assert fused == pytest.approx([1 / (RRF_K + 1) + 1 / (RRF_K + 2)] * 2)
