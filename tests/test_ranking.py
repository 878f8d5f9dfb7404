"""The ranking's pure functions (search_service.ranking), on tiny arrays worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.search_config import default_config
from search_service.ranking import (
    RankingConfig,
    blend_lexical,
    coverage,
    dense_weight,
    fuse_scaled,
    hierarchy_lift,
    lexicon_gate,
    mix_resource,
    ramp,
)

DEFAULT = default_config().retrieval.ranking


def test_config_round_trips_and_refuses_unknown_keys() -> None:
    config = DEFAULT.replace(ngram_share=0.5)
    assert RankingConfig.from_dict(config.to_dict()) == config
    assert config.replace(hierarchy=0.0).hierarchy == 0.0
    with pytest.raises(ValueError, match="unknown ranking settings"):
        RankingConfig.from_dict({"ngram_shar": 0.3})


def test_ramp_and_coverage() -> None:
    assert ramp(0.1, 0.2, 0.3, 0.6, 0.2) == 0.6
    assert ramp(0.25, 0.2, 0.3, 0.6, 0.2) == pytest.approx(0.4)  # half way: 0.6 - 0.2
    assert ramp(0.9, 0.2, 0.3, 0.6, 0.2) == 0.2
    # best BM25 3.0 over summed IDF 12.0: a quarter of the words' weight is matched
    assert coverage(3.0, 12.0) == 0.25
    assert coverage(0.0, 12.0) == 0.0 and coverage(2.0, 0.0) == 0.0


def test_dense_weight_falls_as_coverage_rises_and_the_lexicon_is_gated() -> None:
    config = DEFAULT
    assert dense_weight(0.1, config) == 0.6 and dense_weight(0.5, config) == 0.2
    assert dense_weight(0.25, config) == pytest.approx(0.4)
    assert dense_weight(0.5, config.replace(adaptive=False), fixed=0.6) == 0.6
    assert lexicon_gate(0.1, config) == 1.0 and lexicon_gate(0.3, config) == 0.0
    assert lexicon_gate(0.225, config) == pytest.approx(0.5)  # half way from 0.15 to 0.3
    assert lexicon_gate(0.1, config.replace(lexicon_weight=0.0)) == 0.0


def test_blend_lexical_scales_each_field_over_its_matches() -> None:
    stemmed = np.array([4.0, 2.0, 0.0, 9.0], dtype=np.float32)
    ngram = np.array([1.0, 3.0, 2.0, 0.0], dtype=np.float32)
    mask = np.array([True, True, True, False])  # passage 3 not allowed: takes no bound
    blended, matched = blend_lexical(stemmed, ngram, mask, 0.35)
    # stemmed scaled over {4, 2}: 1, 0, 0; n-grams over {1, 3, 2}: 0, 1, 0.5
    assert blended[:3] == pytest.approx([0.65, 0.35, 0.175])
    assert matched.tolist() == [True, True, True, False]
    only, matched = blend_lexical(stemmed, ngram, mask, 0.0)
    assert only[:3] == pytest.approx([1.0, 0.0, 0.0]) and matched.tolist()[2] is False


def test_fuse_scaled_and_mix_resource() -> None:
    dense = np.array([0.8, 0.6, -1.0], dtype=np.float32)
    lexical = np.array([0.0, 1.0, 0.5], dtype=np.float32)
    fused = fuse_scaled(dense, dense > -1, lexical, np.array([False, True, True]), 0.4)
    # dense scaled 1, 0; lexical 0, 1, 0.5 -> 0.4, 0.6, 0.3
    assert fused == pytest.approx([0.4, 0.6, 0.3])
    assert np.isneginf(fuse_scaled(dense, np.zeros(3, bool), lexical, np.zeros(3, bool),
                                   0.5)).all()
    mixed = mix_resource(dense, np.array([0.5, 1.0, 1.0], dtype=np.float32), 0.1)
    assert mixed == pytest.approx([0.77, 0.64, -1.0])  # 0.9·0.8 + 0.1·0.5; -1 stays


def test_hierarchy_lift_raises_parents_to_a_share_of_their_best_child() -> None:
    parents = {"fiche": "section", "other": "section", "section": "chapter", "chapter": None,
               "alone": None}
    scores = {"fiche": 1.0, "other": 0.2, "section": 0.3, "chapter": 0.1, "alone": 0.5}
    lifted = hierarchy_lift(scores, parents, 0.6)
    assert lifted["section"] == pytest.approx(0.6)  # 0.6 × 1.0 beats its own 0.3
    assert lifted["chapter"] == pytest.approx(0.36)  # 0.6 × the lifted section
    assert lifted["fiche"] == 1.0 and lifted["alone"] == 0.5 and lifted["other"] == 0.2
    # a parent the caller cannot see (absent from scores) is never created
    assert hierarchy_lift({"fiche": 1.0}, parents, 0.6) == {"fiche": 1.0}
    assert scores["section"] == 0.3  # the input is not changed


def _tiny_matrix():
    """Three passages of a real bm25s index; the first sits outside the visibility (not in
    `positions`), so its row is -1."""
    import bm25s

    from search_service.prf import TermMatrix

    corpus = [["garag", "solidair"], ["garag", "mobil", "reemploi"], ["epicer", "solidair"]]
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    return TermMatrix(index, np.array([1, 2, 3]), 4), index


def test_top_passages_takes_the_best_finite_scores_in_order() -> None:
    from search_service.prf import top_passages

    fused = np.array([0.2, -np.inf, 0.9, 0.5, 0.9], dtype=np.float32)
    assert top_passages(fused, 3).tolist() == [2, 4, 3]
    assert top_passages(fused, 0).tolist() == []
    assert top_passages(np.full(3, -np.inf), 2).tolist() == []


def test_rm3_terms_weigh_the_top_passages_and_skip_the_question() -> None:
    from search_service.prf import expansion_scores, rm3_terms

    matrix, index = _tiny_matrix()
    vocab = index.vocab_dict
    scores = index.get_scores(["mobil"])
    # Passage 2 (row 1) alone, weight 1: its terms by BM25, « garag » excluded as typed.
    terms, weights = rm3_terms(matrix, np.array([2]), np.array([1.0]), {vocab["garag"]}, 5)
    assert set(terms.tolist()) == {vocab["mobil"], vocab["reemploi"]}
    assert weights.sum() == pytest.approx(1.0) and (weights > 0).all()
    # A passage outside the index (position 0) lends nothing.
    empty, _ = rm3_terms(matrix, np.array([0]), np.array([1.0]), set(), 5)
    assert not len(empty)
    # Σ_t weight_t · bm25(t, d): « mobil » alone with weight 1 is its BM25, 0 outside the mask.
    mask = np.array([True, True, True, False])
    out = expansion_scores(matrix, np.array([vocab["mobil"]]), np.array([1.0]), mask)
    assert out[0] == 0.0 and out[3] == 0.0
    assert out[1:3].tolist() == pytest.approx(scores[:2].tolist())
