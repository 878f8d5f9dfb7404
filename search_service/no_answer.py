"""How likely the visible corpus answers a question: a calibrated probability (issue 18 §2).

A logistic regression (fitted on dev by `eval.no_answer_study`, its weights and threshold in
the answer configuration) over what one search says: how good its best answer sentence is
and how far ahead of the next, how much of the question's lexical weight the best sentence
carries, whether the question's rare words occur at all in the passages this caller may see
(« asdfghjkl » nowhere; « Balanzan » only in a private newsletter), how close the question
is to the out-of-scope reference questions, and its length. Every corpus count is that of
the caller's visibility (`sentence_features.VisibleStats`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from search_service.answer_choice import Choice, sigmoid
from search_service.sentence_features import VisibleStats

NA_FEATURES = ("best", "margin", "best_cosine", "bm25_rel", "rare_seen", "out_of_scope",
               "log_terms", "narrow_cosine")
# best_cosine: over the learned choice's pool (every passage of the first candidate_results
# results); narrow_cosine: over the answer passages (answer_passages of the first
# answer_results), what the old cosine difference reads.
# The confidence of a search refused outright (no result, or a rule of `abstain.py`).
REFUSED = 0.0
# A word is rare when at most this share of the visible passages hold it (or none does).
RARE_SHARE = 0.02


def rare_seen(stats: VisibleStats, terms: Sequence[str]) -> float:
    """Share of the question's rare terms that some visible passage holds (1: none rare)."""
    n = stats.passages
    limit = math.log(1 + (n * (1 - RARE_SHARE) + 0.5) / (n * RARE_SHARE + 0.5))
    rare = [t for t in terms if stats.passage_idf.get(t, math.inf) >= limit]
    if not rare:
        return 1.0
    return sum(t in stats.passage_idf for t in rare) / len(rare)


def question_features(choice: Choice, stats: VisibleStats, terms: Sequence[str],
                      out_of_scope: float, narrow_cosine: float) -> list[float]:
    """The values of `NA_FEATURES` for one search."""
    logits = choice.logits
    best = float(logits[0]) if len(logits) else -10.0
    margin = float(logits[0] - logits[1]) if len(logits) > 1 else 0.0
    mass = sum(stats.sentence_idf(t) for t in terms)
    return [best, margin, choice.best_cosine, choice.best_bm25 / mass if mass else 0.0,
            rare_seen(stats, terms), out_of_scope, math.log1p(len(terms)), narrow_cosine]


def probability(values: Sequence[float], model: Any) -> float:
    """The no-answer model's probability that the corpus answers (in [0, 1]); the model
    reads the `NA_FEATURES` it names, in its order."""
    picked = np.asarray([values[NA_FEATURES.index(name)] for name in model.features])
    z = (picked - np.asarray(model.means)) / np.asarray(model.scales)
    return sigmoid(float(z @ np.asarray(model.weights) + model.bias))


def features_of(searcher: Any, choice: Choice, terms: set[str], member: bool,
                qvec: np.ndarray, narrow_cosine: float) -> list[float]:
    """`question_features` of a search whose candidates `choice` ranked; `narrow_cosine`,
    the best sentence cosine of its answer passages."""
    from indexer.visibility import visibility
    from search_service.answer_choice import stats_of

    stats = stats_of(searcher).per[visibility(member)]
    return question_features(choice, stats, sorted(terms),
                             searcher.out_of_scope_similarity(qvec), narrow_cosine)


def search_features(searcher: Any, question: str, member: bool = False,
                    mode: str = "hybrid") -> list[float]:
    """For the studies: search `question` and return its `NA_FEATURES` (the pipeline's own
    quoting, `pipeline.quote`, with the learned choice on)."""
    from search_service.pipeline import quote
    from search_service.question import analyse
    from search_service.retrieval import Filters

    analysed = analyse(searcher, question, "hybrid")  # the vector even in bm25 mode
    terms, qvec = set(analysed.tokens), analysed.vector
    hits = searcher.search(analysed, k=10, filters=Filters(member=member), mode=mode)
    texts = {p.index: searcher.data.passages[p.index]["text"] for h in hits for p in h.passages}
    quoting = quote(searcher, question, hits, texts, qvec, terms, searcher.answer_config, member)
    assert quoting.choice is not None, "the no-answer model reads the learned sentence choice"
    return features_of(searcher, quoting.choice, terms, member, qvec, quoting.best_cosine)
