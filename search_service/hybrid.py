"""The hybrid ranking of one question: every signal, fused per passage, then per resource.

The steps and their constants are described in `search_service.ranking`; this module only
gathers the signals (with the caller's visibility) and calls those pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
    from search_service.question import Question
    from search_service.retrieval import Searcher


@dataclass(frozen=True)
class Ranking:
    """Per-passage fused scores, per-resource scores, and each signal for the response."""

    fused: np.ndarray
    resource_scores: dict[str, float]
    passage_signals: dict[str, np.ndarray] = field(default_factory=dict)
    resource_signals: dict[str, dict[str, float]] = field(default_factory=dict)
    coverage: float = 0.0


@dataclass(frozen=True)
class Fixed:
    """What both passes of a search share (only RM3's feedback differs between them): the
    coverage, the lexicon's and the n-gram field's BM25, the name bonus, the resource
    cosines — each computed once per search from the question's analysis."""

    cover: float
    gate: float
    lexicon: np.ndarray | None
    ngram: np.ndarray | None
    names: np.ndarray | None
    cosines: np.ndarray | None  # None until the question's vector is read (`with_cosines`)

    def with_cosines(self, question: Question, searcher: Searcher) -> Fixed:
        """The resource cosines added: the one part that waits for the question's vector."""
        return replace(self, cosines=searcher.resource_signals.cosines(question.vector))


def fixed_signals(searcher: Searcher, question: Question, stemmed: np.ndarray,
                  mask: np.ndarray, member: bool) -> Fixed:
    """The lexical parts of `Fixed` (no vector read: they overlap the encoding)."""
    cfg, who = searcher.config.ranking, visibility(member)
    cover = coverage(float(stemmed[mask].max(initial=0.0)),
                     searcher.stemmed_field.idf_sum(list(question.lexical_tokens), who))
    gate = lexicon_gate(cover, cfg)
    extra = list(question.expansions) if gate > 0 else []
    lexicon = searcher.stemmed_field.scores(extra, who, mask) if extra else None
    ngram = (searcher.ngram_field.scores(list(question.ngrams), who, mask)
             if searcher.ngram_field is not None and cfg.ngram_share > 0 else None)
    names = (searcher.name_boost(question.lexical_tokens, question.text, member)
             if searcher.config.name_boost else None)
    return Fixed(cover, gate, lexicon, ngram, names, None)


Lexical = tuple[np.ndarray, np.ndarray, float, dict[str, np.ndarray]]


def lexical_signals(searcher: Searcher, fixed: Fixed, stemmed: np.ndarray, mask: np.ndarray,
                    rm3: np.ndarray | None = None) -> Lexical:
    """The blended lexical score, the passages it matched, the coverage and the signals;
    `rm3`, the feedback terms' BM25 (`search_service.prf`), joins the stemmed field with
    weight `rm3_weight`."""
    cfg = searcher.config.ranking
    signals: dict[str, np.ndarray] = {}
    total = stemmed
    if fixed.lexicon is not None:
        signals["lexicon"] = fixed.lexicon
        total = stemmed + fixed.gate * fixed.lexicon
    if rm3 is not None:
        signals["rm3"] = rm3
        total = total + cfg.rm3_weight * rm3
    ngram = np.zeros_like(stemmed)
    if fixed.ngram is not None:
        ngram = signals["ngram"] = fixed.ngram
    lexical, lexical_mask = blend_lexical(total, ngram, mask, cfg.ngram_share
                                          if "ngram" in signals else 0.0)
    return lexical, lexical_mask, fixed.cover, signals


def rank_hybrid(searcher: Searcher, question: Question, dense: np.ndarray,
                stemmed: np.ndarray, mask: np.ndarray, member: bool,
                fixed: Fixed | None = None) -> Ranking:
    """Every signal fused per passage; with RM3 on, a second pass with the feedback terms
    of the first pass's best passages; then per resource. `fixed`: `fixed_signals` of this
    question, when the caller worked them out before reading its vector."""
    cfg, who = searcher.config.ranking, visibility(member)
    fixed = (fixed or fixed_signals(searcher, question, stemmed, mask, member)
             ).with_cosines(question, searcher)
    lexical = lexical_signals(searcher, fixed, stemmed, mask)
    fused, signals = fuse_signals(searcher, fixed, dense, lexical, mask)
    if cfg.rm3_weight > 0 and cfg.rm3_depth > 0 and cfg.rm3_terms > 0:
        rm3 = feedback_terms(searcher, list(question.lexical_tokens), fused, mask, who)
        lexical = lexical_signals(searcher, fixed, stemmed, mask, rm3)
        fused, signals = fuse_signals(searcher, fixed, dense, lexical, mask)
    return resource_level(searcher, fused, signals, fixed.cover)


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


def fuse_signals(searcher: Searcher, fixed: Fixed, dense: np.ndarray, lexical: Lexical,
                 mask: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per passage: the fused score of every signal (-inf: not retrieved), and the signals."""
    cfg = searcher.config.ranking
    scores, lexical_mask, cover, signals = lexical[0], lexical[1], lexical[2], dict(lexical[3])
    cosines = fixed.cosines
    mixed = dense
    if cosines is not None and cfg.resource_mix > 0:
        mixed = mix_resource(dense, searcher.resource_signals.per_passage(cosines),
                             cfg.resource_mix)
    weight = dense_weight(cover, cfg, searcher.config.dense_weight)
    fused = fuse_scaled(mixed, mask & (dense > -1.0), scores, lexical_mask, weight)
    if fixed.names is not None:
        signals["name"] = fixed.names
        fused = fused + fixed.names
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
    """A resource scores its best passage, raised by the hierarchy (array work over the
    retrieved passages, no Python loop over them)."""
    finite, position = _retrieved(searcher, fused)
    best = np.full(len(searcher.resource_signals.ids), -np.inf)
    np.maximum.at(best, position, fused[finite].astype(np.float64))
    present, first = np.unique(position, return_index=True)
    ids = searcher.resource_signals.ids
    own = {ids[r]: float(best[r]) for r in present[np.argsort(first, kind="stable")]}
    cfg = searcher.config.ranking
    scores = (hierarchy_lift(own, searcher.resource_signals.parents, cfg.hierarchy)
              if cfg.hierarchy > 0 else own)
    per_resource = {rid: {"hierarchy": scores[rid] - own[rid]} for rid in scores}
    return Ranking(fused, scores, signals, per_resource, cover)


def _retrieved(searcher: Searcher, fused: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The retrieved passages (finite fused score) in index order, and their resources'
    positions."""
    finite = np.flatnonzero(np.isfinite(fused))
    return finite, searcher.resource_signals.passage_position[finite]


def group_ranked(searcher: Searcher, ranking: Ranking, dense: np.ndarray,
                 stemmed: np.ndarray, k: int) -> list[ResourceHit]:
    """The `k` best resources by resource score (ties: the earlier best passage), each with
    its best passages."""
    fused = ranking.fused
    finite, _ = _retrieved(searcher, fused)
    order = finite[np.argsort(-fused[finite], kind="stable")]
    position = searcher.resource_signals.passage_position[order]
    present, first = np.unique(position, return_index=True)
    ids = searcher.resource_signals.ids
    best_passage = {ids[r]: int(order[f]) for r, f in zip(present, first, strict=True)}
    chosen = sorted(best_passage, key=lambda rid: (-ranking.resource_scores[rid],
                                                   best_passage[rid]))[:k]
    hits = []
    for rid in chosen:
        shown = [int(i) for i in order[position == searcher.resource_signals.position[rid]]
                 [: searcher.config.passages_per_resource]]
        hits.append(_hit(searcher, ranking, rid, shown, dense, stemmed))
    return hits


def _hit(searcher: Searcher, ranking: Ranking, rid: str, shown: list[int],
         dense: np.ndarray, stemmed: np.ndarray) -> ResourceHit:
    fused = ranking.fused
    passages = [PassageHit(i, float(fused[i]), float(dense[i]), float(stemmed[i]))
                for i in shown]
    signals = dict(ranking.resource_signals.get(rid, {}))
    for name, values in ranking.passage_signals.items():
        pick = values[shown[0]] if name in ("name", "resource") else values[shown].max()
        signals[name] = float(pick)
    return ResourceHit(searcher.resources[rid], ranking.resource_scores[rid],
                       max(p.dense for p in passages), max(p.lexical for p in passages),
                       tuple(passages), signals)
