"""The candidate answer sentences of one search and their scores: today's hand score
(`answer.score_sentences`) and, when the answer configuration carries weights, a learned one
(a logistic regression over `sentence_features.FEATURES`, fitted by `eval.answer_study`)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from indexer.visibility import visibility
from search_service.answer import Candidate, score_sentences
from search_service.quote_window import compose
from search_service.sentence_features import (
    FEATURES,
    Context,
    SentenceStats,
    features,
    with_relative,
)


@dataclass(frozen=True)
class Found:
    """Candidates in hand-score order, their feature rows and what each would quote."""

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


def gather(searcher: Any, question: str, hits: Sequence[Any], qvec: np.ndarray,
           terms: set[str], member: bool, top: int, today: set[int],
           with_quotes: bool = False) -> Found:
    """Every sentence of the passages of the first `top` hits, scored both ways (and, for
    the studies, what each would quote)."""
    stats = stats_of(searcher)
    seen = stats.per[visibility(member)]
    unique = sorted(terms)
    items, cosines, sets, rows, where = [], [], [], [], []
    matched: dict[int, list[tuple[int, int]]] = {}
    for rank, hit in enumerate(hits[:top]):
        for p in hit.passages:
            sentences, sims, term_sets = searcher.sentences(p.index, qvec)
            ids = searcher._sentences_of[p.index]
            matched[p.index] = [(a, b) for a, b, t in searcher.passage_words(p.index)
                                if t and t in terms]
            for j, s in enumerate(sentences):
                items.append((p.index, s))
                where.append(Context(rank, float(hit.score), j, len(sentences)))
            cosines.extend(float(c) for c in sims)
            sets.extend(term_sets)
            rows.extend(ids)
    hand = score_sentences(items, np.array(cosines), terms, searcher.analyzer, question,
                           sentence_terms=sets)
    by_key = {(c.passage_index, c.sentence.start): k for k, c in enumerate(hand)}
    order = [by_key[(i, s.start)] for i, s in items]
    x = np.array([features(question, unique, seen, stats.counts[r], t, c, s.text,
                           searcher.data.passages[i]["text"], s, w,
                           _words_in(matched[i], s))
                  for (i, s), c, t, r, w in zip(items, cosines, sets, rows, where,
                                                strict=True)]).reshape(len(items), -1)
    x = with_relative(x)
    quotes = ([_quote(searcher, question, i, s, terms) for i, s in items] if with_quotes
              else [])
    return Found([hand[k] for k in order], x, np.array([hand[k].score for k in order]),
                 quotes, np.array([i in today for i, _ in items], dtype=bool))


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
                   terms: set[str], member: bool, config: Any) -> Choice:
    """The candidates of the first `candidate_results` hits, best first by the learned
    model of `config.sentence_model`; each candidate's score is its probability."""
    model = config.sentence_model
    found = gather(searcher, question, hits, qvec, terms, member, config.candidate_results,
                   set())
    logits = learned_scores(found.x, model.weights, model.means, model.scales, model.bias)
    order = np.argsort(-logits, kind="stable")
    ranked = [dataclasses.replace(found.ranked[k], score=sigmoid(float(logits[k])))
              for k in order]
    bm25 = FEATURES.index("bm25")
    return Choice(ranked, logits[order], float(found.x[:, bm25].max()) if len(found.x) else 0.0,
                  float(found.x[:, 0].max()) if len(found.x) else -1.0)


def check_model(model: Any) -> str | None:
    """Why a configured sentence model cannot be used with this code (None: it can)."""
    if not model.weights:
        return None
    if tuple(model.features) != FEATURES:
        return (f"answer.sentence_model was fitted on features {list(model.features)}, "
                f"this code computes {list(FEATURES)}: refit it (eval.answer_study --fit)")
    if not len(model.weights) == len(model.means) == len(model.scales) == len(FEATURES):
        return "answer.sentence_model: weights, means and scales must have one per feature"
    return None
