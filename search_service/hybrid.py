"""The hybrid ranking of one question: every signal, fused per passage, then per resource.

The steps and their constants are described in `search_service.ranking`; this module only
gathers the signals (with the caller's visibility) and calls those pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from indexer.visibility import visibility
from search_service.fusion import minmax
from search_service.hits import PassageHit, ResourceHit
from search_service.prf import expansion_scores, rm3_terms, top_passages
from search_service.ranking import (
    blend_lexical,
    coverage,
    dense_weight,
    fuse_scaled,
    hierarchy_lift,
    lexicon_gate,
    mix_resource,
)

if TYPE_CHECKING:
    from search_service.retrieval import Searcher


@dataclass(frozen=True)
class Ranking:
    """Per-passage fused scores, per-resource scores, and each signal for the response."""

    fused: np.ndarray
    resource_scores: dict[str, float]
    passage_signals: dict[str, np.ndarray] = field(default_factory=dict)
    resource_signals: dict[str, dict[str, float]] = field(default_factory=dict)
    coverage: float = 0.0


def expansion_tokens(searcher: Searcher, query: str, tokens: list[str]) -> list[str]:
    """The stemmed terms the lexicon adds to the question (none it already has)."""
    if searcher.lexicon is None:
        return []
    typed = set(tokens)
    found = searcher.analyzer.tokens(" ".join(searcher.lexicon.expansions(query)))
    return [t for t in dict.fromkeys(found) if t not in typed]


Lexical = tuple[np.ndarray, np.ndarray, float, dict[str, np.ndarray]]


def lexical_signals(searcher: Searcher, query: str, tokens: list[str], stemmed: np.ndarray,
                    mask: np.ndarray, who: str, rm3: np.ndarray | None = None) -> Lexical:
    """The blended lexical score, the passages it matched, the coverage and the signals;
    `rm3`, the feedback terms' BM25 (`search_service.prf`), joins the stemmed field with
    weight `rm3_weight`."""
    cfg = searcher.config.ranking
    cover = coverage(float(stemmed[mask].max(initial=0.0)),
                     searcher.stemmed_field.idf_sum(tokens, who))
    signals: dict[str, np.ndarray] = {}
    total = stemmed
    gate = lexicon_gate(cover, cfg)
    extra = expansion_tokens(searcher, query, tokens) if gate > 0 else []
    if extra:
        signals["lexicon"] = searcher.stemmed_field.scores(extra, who, mask)
        total = stemmed + gate * signals["lexicon"]
    if rm3 is not None:
        signals["rm3"] = rm3
        total = total + cfg.rm3_weight * rm3
    ngram = np.zeros_like(stemmed)
    if searcher.ngram_field is not None and cfg.ngram_share > 0:
        ngram = searcher.ngram_field.scores(searcher.ngram_tokens(query), who, mask)
        signals["ngram"] = ngram
    lexical, lexical_mask = blend_lexical(total, ngram, mask, cfg.ngram_share
                                          if "ngram" in signals else 0.0)
    return lexical, lexical_mask, cover, signals


def rank_hybrid(searcher: Searcher, query: str, tokens: list[str],
                query_vector: np.ndarray | None, dense: np.ndarray, stemmed: np.ndarray,
                mask: np.ndarray, member: bool) -> Ranking:
    """Every signal fused per passage; with RM3 on, a second pass with the feedback terms
    of the first pass's best passages; then per resource."""
    cfg, who = searcher.config.ranking, visibility(member)
    lexical = lexical_signals(searcher, query, tokens, stemmed, mask, who)
    fused, signals = fuse_signals(searcher, query, tokens, query_vector, dense, lexical, mask,
                                  member)
    if cfg.rm3_weight > 0 and cfg.rm3_depth > 0 and cfg.rm3_terms > 0:
        rm3 = feedback_terms(searcher, tokens, fused, mask, who)
        lexical = lexical_signals(searcher, query, tokens, stemmed, mask, who, rm3)
        fused, signals = fuse_signals(searcher, query, tokens, query_vector, dense, lexical,
                                      mask, member)
    return resource_level(searcher, fused, signals, lexical[2])


def feedback_terms(searcher: Searcher, tokens: list[str], fused: np.ndarray, mask: np.ndarray,
                   who: str) -> np.ndarray:
    """Per passage: the BM25 of the RM3 terms of the first pass's best passages, weighted,
    with the index of the caller's visibility."""
    cfg = searcher.config.ranking
    matrix = searcher.term_matrices[who]
    top = top_passages(np.where(mask, fused, -np.inf), cfg.rm3_depth)
    terms, weights = rm3_terms(matrix, top, np.maximum(fused[top], 0.0),
                               matrix.term_ids(tokens), cfg.rm3_terms)
    return expansion_scores(matrix, terms, weights, mask)


def fuse_signals(searcher: Searcher, query: str, tokens: list[str],
                 query_vector: np.ndarray | None, dense: np.ndarray, lexical: Lexical,
                 mask: np.ndarray, member: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per passage: the fused score of every signal (-inf: not retrieved), and the signals."""
    cfg = searcher.config.ranking
    scores, lexical_mask, cover, signals = lexical[0], lexical[1], lexical[2], dict(lexical[3])
    cosines = searcher.resource_signals.cosines(query_vector)
    mixed = dense
    if cosines is not None and cfg.resource_mix > 0:
        mixed = mix_resource(dense, searcher.resource_signals.per_passage(cosines),
                             cfg.resource_mix)
    weight = dense_weight(cover, cfg, searcher.config.dense_weight)
    fused = fuse_scaled(mixed, mask & (dense > -1.0), scores, lexical_mask, weight)
    if searcher.config.name_boost:
        signals["name"] = searcher.name_boost(tokens, query, member)
        fused = fused + signals["name"]
    if cosines is not None:
        allowed = np.zeros(len(cosines), dtype=bool)
        allowed[searcher.resource_signals.passage_position[mask]] = True
        signals["resource"] = searcher.resource_signals.per_passage(cosines)
        if cfg.resource_bonus > 0:
            scaled = searcher.resource_signals.per_passage(minmax(cosines, allowed))
            fused = fused + cfg.resource_bonus * scaled
    return fused.astype(np.float32), signals


def resource_level(searcher: Searcher, fused: np.ndarray, signals: dict[str, np.ndarray],
                   cover: float) -> Ranking:
    """A resource scores its best passage, raised by the hierarchy."""
    own: dict[str, float] = {}
    for i in np.flatnonzero(np.isfinite(fused)):
        rid = searcher.passage_resource(int(i))
        own[rid] = max(own.get(rid, -np.inf), float(fused[i]))
    cfg = searcher.config.ranking
    scores = (hierarchy_lift(own, searcher.resource_signals.parents, cfg.hierarchy)
              if cfg.hierarchy > 0 else own)
    per_resource = {rid: {"hierarchy": scores[rid] - own[rid]} for rid in scores}
    return Ranking(fused, scores, signals, per_resource, cover)


def group_ranked(searcher: Searcher, ranking: Ranking, dense: np.ndarray,
                 stemmed: np.ndarray, k: int) -> list[ResourceHit]:
    """The `k` best resources by resource score, each with its best passages."""
    fused = ranking.fused
    best: dict[str, list[int]] = {}
    for i in np.argsort(-fused, kind="stable"):
        if not np.isfinite(fused[i]):
            break
        best.setdefault(searcher.passage_resource(int(i)), []).append(int(i))
    order = sorted(best, key=lambda rid: (-ranking.resource_scores[rid], best[rid][0]))
    hits = []
    for rid in order[:k]:
        shown = best[rid][: searcher.config.passages_per_resource]
        passages = [PassageHit(i, float(fused[i]), float(dense[i]), float(stemmed[i]))
                    for i in shown]
        signals = dict(ranking.resource_signals.get(rid, {}))
        for name, values in ranking.passage_signals.items():
            pick = values[shown[0]] if name in ("name", "resource") else values[shown].max()
            signals[name] = float(pick)
        hits.append(ResourceHit(searcher.resources[rid], ranking.resource_scores[rid],
                                max(p.dense for p in passages),
                                max(p.lexical for p in passages), tuple(passages), signals))
    return hits
