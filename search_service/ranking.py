"""The hybrid ranking's tuned constants and its pure functions (issue 17).

How a hybrid score is made, per passage, among the passages the caller may see:

0. **Lexical query**: the question's terms without its framing words (« comment »,
   « quelles », « merci »; `search_service.framing`, `framing_words`) for every lexical
   step below; the dense question keeps them.
1. **Coverage**: how well the question's words are covered lexically: the best stemmed
   BM25 score / the summed IDF of its terms. A question typed in the corpus's words
   (« PTCE », « épicerie solidaire ») covers well; a chatty one in everyday words does not.
2. **Lexical**: stemmed BM25 (plus the field lexicon's expansions, weighted by
   `lexicon_gate(coverage)`), and BM25 on edge n-grams, each min-max scaled, then blended
   `1 - ngram_share : ngram_share`.
3. **Dense**: the passage cosine, mixed `resource_mix` with its resource's vector cosine.
4. **Fusion**: `w · dense + (1 - w) · lexical`, min-max scaled, where the dense weight `w`
   falls from `dense_weight_low` (coverage ≤ `coverage_low`) to `dense_weight_high`
   (coverage ≥ `coverage_high`): trust meaning when the words miss, words when they hit.
5. **Resource**: a resource scores its best passage, plus `resource_bonus` × its vector's
   scaled cosine; a catalogue section or chapter scores at least `hierarchy` × its best
   child's score (`hierarchy_lift`).
6. **Feedback** (RM3, `search_service.prf`): steps 2–4 run twice; the first pass's
   `rm3_depth` best passages lend the question `rm3_terms` terms, whose weighted BM25 joins
   the stemmed field with weight `rm3_weight` in the second pass.

Every constant was chosen on the dev split (eval/README.md, "Issue 17").
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from indexer.search_config import RankingConfig
from search_service.fusion import minmax


def ramp(x: float, x0: float, x1: float, y0: float, y1: float) -> float:
    """y0 up to x0, y1 from x1, linear in between."""
    if x <= x0:
        return y0
    if x >= x1:
        return y1
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def coverage(best_lexical: float, idf_sum: float) -> float:
    """Best BM25 score of the question over the summed IDF of its terms (0: no term)."""
    return max(best_lexical, 0.0) / idf_sum if idf_sum > 0 else 0.0


def dense_weight(cover: float, config: RankingConfig, fixed: float = 0.6) -> float:
    if not config.adaptive:
        return fixed
    return ramp(cover, config.coverage_low, config.coverage_high, config.dense_weight_low,
                config.dense_weight_high)


def lexicon_gate(cover: float, config: RankingConfig) -> float:
    """The weight of the lexicon's expansions: full when the typed words miss, off when
    they hit."""
    return config.lexicon_weight * ramp(cover, config.lexicon_full, config.lexicon_off, 1.0,
                                        0.0)


def blend_lexical(stemmed: np.ndarray, ngram: np.ndarray, mask: np.ndarray,
                  share: float) -> tuple[np.ndarray, np.ndarray]:
    """The two lexical fields, each scaled over the passages it matched, blended; and the
    passages either matched."""
    stem_mask, ngram_mask = mask & (stemmed > 0), mask & (ngram > 0)
    blended = (1 - share) * minmax(stemmed, stem_mask)
    if share > 0:
        blended = blended + share * minmax(ngram, ngram_mask)
        return blended, stem_mask | ngram_mask
    return blended, stem_mask


def fuse_scaled(dense: np.ndarray, dense_mask: np.ndarray, lexical: np.ndarray,
                lexical_mask: np.ndarray, weight: float) -> np.ndarray:
    """`weight` · scaled dense + (1 - weight) · lexical (already in [0, 1]); -inf for a
    passage neither side retrieved."""
    fused = weight * minmax(dense, dense_mask) + (1 - weight) * np.where(lexical_mask,
                                                                          lexical, 0.0)
    return np.where(dense_mask | lexical_mask, fused, -np.inf).astype(np.float32)


def mix_resource(dense: np.ndarray, resource_cosine: np.ndarray, share: float) -> np.ndarray:
    """Each retrieved passage's cosine mixed with its resource's (-1 stays not retrieved)."""
    mixed = (1 - share) * dense + share * resource_cosine
    return np.where(dense > -1.0, mixed, -1.0).astype(np.float32)


def hierarchy_lift(scores: Mapping[str, float], parents: Mapping[str, str | None],
                   factor: float) -> dict[str, float]:
    """Each scored resource's score raised to `factor` × its best scored child's (itself
    lifted first: fiche → section → chapter). Only resources in `scores` take part."""
    children: dict[str, list[str]] = {}
    for rid in scores:
        parent = parents.get(rid)
        if parent in scores:
            children.setdefault(parent, []).append(rid)
    lifted: dict[str, float] = {}

    def lift(rid: str, depth: int = 0) -> float:
        if rid not in lifted:
            best = scores[rid]
            if depth < 8:
                for child in children.get(rid, ()):
                    best = max(best, factor * lift(child, depth + 1))
            lifted[rid] = best
        return lifted[rid]

    for rid in scores:
        lift(rid)
    return lifted
