"""The candidate answer sentences of one search and their scores: the hand score
(`answer.hand_scores`, computed once per passage by `score_passages`) and, when the answer
configuration carries weights, a learned one (a logistic regression over
`sentence_features.FEATURES`, fitted by `eval.answer_study --fit`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.visibility import visibility
from search_service.answer import Candidate, hand_scores
from search_service.answer_span import asked_pattern
from search_service.quote_window import compose
from search_service.sentence_features import (
    FEATURES,
    Candidates,
    SentenceStats,
    feature_matrix,
    with_relative,
)


@dataclass(frozen=True)
class Scored:
    """One passage's sentences scored by hand (`answer.hand_scores`, the one hand score),
    in passage order, with what the learned features read of them."""

    candidates: list[Candidate]
    term_sets: list[frozenset[str]]
    rows: list[int]  # rows of `data.sentences`
    matched: list[tuple[int, int]]  # the question's words in the passage (offsets)


def score_passages(searcher: Any, question: str, passages: Sequence[int], qvec: np.ndarray,
                   terms: set[str]) -> dict[int, Scored]:
    """Every sentence of `passages`, scored by hand (`answer.hand_scores`); a sentence's hand
    score depends on it and the question only, so one pool serves the highlights, the
    fallback and the features. The shares and types of the whole pool are read at once from
    the sentence arrays."""
    arrays = stats_of(searcher).arrays
    pool = list(dict.fromkeys(passages))
    rows_of = [searcher._sentences_of[i] for i in pool]
    rows = np.fromiter((r for rs in rows_of for r in rs), dtype=np.int64)
    share = arrays.held_count(sorted(terms))[rows] / len(terms) if terms else np.zeros(len(rows))
    asked = asked_pattern(question)
    holds = arrays.asks[asked][rows] if asked is not None else np.zeros(len(rows), dtype=bool)
    out, at = {}, 0
    for i, passage_rows in zip(pool, rows_of, strict=True):
        sentences = [arrays.sentences[r] for r in passage_rows]
        sims = searcher.sentence_cosines(passage_rows, qvec)
        n = len(passage_rows)
        hand = hand_scores(sims, share[at:at + n], holds[at:at + n])
        at += n
        out[i] = Scored([Candidate(i, s, float(h), float(c))
                         for s, h, c in zip(sentences, hand, sims, strict=True)],
                        [searcher.sentence_terms(r) for r in passage_rows], list(passage_rows),
                        searcher.passage_markup(i).located(terms))
    return out


def by_hand(scored: dict[int, Scored], passages: Sequence[int]) -> list[Candidate]:
    """The sentences of `passages`, best hand score first (ties: passage order)."""
    return sorted((c for i in dict.fromkeys(passages) for c in scored[i].candidates),
                  key=lambda c: -c.score)


@dataclass(frozen=True)
class Found:
    """The candidates (hits' order, then passage order), their feature rows, hand scores and
    what each would quote."""

    ranked: list[Candidate]
    x: np.ndarray
    hand: np.ndarray
    quotes: list[str]
    today: np.ndarray  # the passage is among `answer_passages` of the top `answer_results`


def stats_of(searcher: Any) -> SentenceStats:
    """The searcher's sentence statistics, counted at load (`loading.load_searcher`)."""
    stats = getattr(searcher, "sentence_stats", None)
    if stats is None:  # a searcher built by hand (tests): count them once now
        stats = searcher.sentence_stats = SentenceStats.build(searcher)
    return stats


def wide_pool(hits: Sequence[Any], top: int) -> list[int]:
    """The learned choice's candidate passages: every passage of the first `top` hits."""
    return [p.index for hit in hits[:top] for p in hit.passages]


def gather(searcher: Any, question: str, hits: Sequence[Any], qvec: np.ndarray,
           terms: set[str], member: bool, top: int, today: set[int],
           with_quotes: bool = False, scored: dict[int, Scored] | None = None) -> Found:
    """Every sentence of the passages of the first `top` hits, with its hand score and
    features (and, for the studies, what each would quote); `scored`, the hand-scored pool
    when already computed (it must hold those passages)."""
    stats = stats_of(searcher)
    if scored is None:
        scored = score_passages(searcher, question, wide_pool(hits, top), qvec, terms)
    ranked, rows, ranks, fused, words = [], [], [], [], []
    for rank, hit in enumerate(hits[:top]):
        for p in hit.passages:
            got = scored[p.index]
            ranked.extend(got.candidates)
            rows.extend(got.rows)
            ranks.extend([rank] * len(got.rows))
            fused.extend([float(hit.score)] * len(got.rows))
            words.extend(_words_in(got.matched, c.sentence) for c in got.candidates)
    found = Candidates(np.asarray(rows, dtype=np.int64),
                       np.array([c.cosine for c in ranked]), np.asarray(ranks, dtype=float),
                       np.asarray(fused), words)
    x = with_relative(feature_matrix(question, sorted(terms), stats, visibility(member), found))
    quotes = ([_quote(searcher, question, c.passage_index, c.sentence, terms) for c in ranked]
              if with_quotes else [])
    return Found(ranked, x, np.array([c.score for c in ranked]), quotes,
                 np.array([c.passage_index in today for c in ranked], dtype=bool))


def _words_in(matched: list[tuple[int, int]], sentence: Any) -> list[tuple[int, int]]:
    """The question's words in `sentence` (of its passage's `matched` ones), as offsets in
    its text."""
    return [(a - sentence.start, b - sentence.start) for a, b in matched
            if sentence.start <= a and b <= sentence.end]


def _quote(searcher: Any, question: str, index: int, sentence: Any, terms: set[str]) -> str:
    words = [(a, b) for a, b, t in searcher.passage_words(index) if t and t in terms]
    return compose(question, searcher.data.passages[index]["text"], sentence, words).text


def learned_scores(x: np.ndarray, weights: Sequence[float], means: Sequence[float],
                   scales: Sequence[float], bias: float) -> np.ndarray:
    """The logistic regression's log-odds for each row of `x` (standardised features)."""
    if not len(x):
        return np.zeros(0)
    z = (x - np.asarray(means)) / np.asarray(scales)
    return z @ np.asarray(weights) + bias


def sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(v, 50.0), -50.0)))


def candidates(searcher: Any, question: str, top: int = 5, member: bool = False) -> Found:
    """For the studies: search `question` (hybrid) and gather its candidates."""
    from search_service.question import analyse
    from search_service.retrieval import Filters

    config = searcher.answer_config
    analysed = analyse(searcher, question)
    tokens, qvec = list(analysed.tokens), analysed.vector
    hits = searcher.search(analysed, k=10, filters=Filters(member=member), mode="hybrid")
    today = set(list(dict.fromkeys(p.index for h in hits[: config.answer_results]
                                   for p in h.passages))[: config.answer_passages])
    return gather(searcher, question, hits, qvec, set(tokens), member, top, today,
                  with_quotes=True)


@dataclass(frozen=True)
class Choice:
    """The learned model's ranking of one search's candidates, and what the no-answer
    model reads of it (`search_service.no_answer`)."""

    ranked: list[Candidate]
    logits: np.ndarray  # best first
    best_bm25: float
    best_cosine: float


def learned_choice(searcher: Any, question: str, hits: Sequence[Any], qvec: np.ndarray,
                   terms: set[str], member: bool, config: Any,
                   scored: dict[int, Scored] | None = None) -> Choice:
    """The candidates of the first `candidate_results` hits, best first by the learned
    model of `config.sentence_model`; each candidate's score is its probability."""
    model = config.sentence_model
    found = gather(searcher, question, hits, qvec, terms, member, config.candidate_results,
                   set(), scored=scored)
    cols = [FEATURES.index(name) for name in model.features]
    logits = learned_scores(found.x[:, cols], model.weights, model.means, model.scales,
                            model.bias)
    order = np.argsort(-logits, kind="stable")
    probabilities = 1.0 / (1.0 + np.exp(-np.clip(logits[order], -50.0, 50.0)))
    ranked = [Candidate(c.passage_index, c.sentence, float(p), c.cosine)
              for c, p in zip((found.ranked[k] for k in order), probabilities, strict=True)]
    bm25 = FEATURES.index("bm25")
    return Choice(ranked, logits[order], float(found.x[:, bm25].max()) if len(found.x) else 0.0,
                  float(found.x[:, 0].max()) if len(found.x) else -1.0)


def check_model(model: Any) -> str | None:
    """Why a configured sentence model cannot be used with this code (None: it can)."""
    if not model.weights:
        return None
    unknown = [name for name in model.features if name not in FEATURES]
    if unknown or not model.features:
        return (f"answer.sentence_model was fitted on features {list(model.features)}, "
                f"this code computes {list(FEATURES)}: refit it (eval.answer_study --fit)")
    if not len(model.weights) == len(model.means) == len(model.scales) == len(model.features):
        return "answer.sentence_model: weights, means and scales must have one per feature"
    return None
