"""What is known about each candidate answer sentence, as numbers a learned scorer weighs.

The corpus statistics (a sentence-level BM25, passage IDF) are counted once per visibility at
load (`SentenceStats.build`), over the sentences and passages that visibility may see
(`indexer.visibility`'s rule), so a private sentence changes no anonymous score; what depends
on a sentence alone is laid out as arrays then (`sentence_arrays`). Only the question's own
parts are computed per request, for all candidates at once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from indexer.visibility import VISIBILITIES, visible
from search_service.answer_span import asked_pattern
from search_service.sentence_arrays import SentenceArrays

FEATURES = ("cosine", "bm25", "idf_share", "type_match", "type_miss", "type_near", "log_rank",
            "fused", "first", "position", "heading", "fragment", "log_len",
            "cosine_gap", "bm25_rel", "share_gap")
# Columns of the per-question relative features, and the columns they are relative to.
_RELATIVE = {"cosine_gap": 0, "bm25_rel": 1, "share_gap": 2}
NEAR_CHARS = 20.0  # how fast the closeness of an answering part to a question word decays


@dataclass(frozen=True)
class VisibleStats:
    """One visibility's counts: sentence document frequencies and lengths, passage IDF."""

    sentence_df: dict[str, int]
    sentences: int
    avg_len: float
    passage_idf: dict[str, float]
    passages: int

    def sentence_idf(self, term: str) -> float:
        df = self.sentence_df.get(term, 0)
        return math.log(1 + (self.sentences - df + 0.5) / (df + 0.5))

    @cached_property
    def top_idf(self) -> float:
        """The rarest seen term's IDF (what an unseen term weighs), counted once."""
        return max(self.passage_idf.values(), default=1.0)

    def share_weights(self, terms: Sequence[str]) -> list[float]:
        """Each question term's weight in `idf_share`: its passage IDF (unseen terms weigh as
        the rarest seen)."""
        top = self.top_idf
        return [self.passage_idf.get(t, top) for t in terms]


class SentenceStats:
    """Per visibility, the counts the features read; every sentence's facts as arrays."""

    def __init__(self, per: dict[str, VisibleStats], arrays: SentenceArrays) -> None:
        self.per = per
        self.arrays = arrays

    @classmethod
    def build(cls, searcher: Any) -> SentenceStats:
        rows = searcher.data.sentences
        passages = searcher.data.passages
        private = [bool(searcher.resources[p["resource_id"]]["private"]) for p in passages]
        counts = [Counter(searcher.analyzer.tokens(
            passages[r["passage"]]["text"][r["start"]:r["end"]])) for r in rows]
        per = {}
        for who in VISIBILITIES:
            seen = [i for i, r in enumerate(rows) if visible(private[r["passage"]], who)]
            df: Counter[str] = Counter(t for i in seen for t in counts[i])
            lengths = [sum(counts[i].values()) for i in seen]
            shown = [i for i in range(len(passages)) if visible(private[i], who)]
            pdf: Counter[str] = Counter(t for i in shown for t in searcher.passage_terms(i))
            idf = {t: math.log(1 + (len(shown) - n + 0.5) / (n + 0.5)) for t, n in pdf.items()}
            per[who] = VisibleStats(dict(df), len(seen), sum(lengths) / max(len(lengths), 1),
                                    idf, len(shown))
        arrays = SentenceArrays.build(
            [p["text"] for p in passages], rows, counts,
            {who: {t: s.sentence_idf(t) for t in s.sentence_df} for who, s in per.items()},
            {who: s.avg_len for who, s in per.items()})
        return cls(per, arrays)


@dataclass(frozen=True)
class Candidates:
    """One search's candidate sentences, in the hits' order: their rows of `data.sentences`,
    cosines to the question, the rank and fused score of their result, and for each the
    question's words in it (offsets in its text, for `type_near`)."""

    rows: np.ndarray
    cosines: np.ndarray
    ranks: np.ndarray
    fused: np.ndarray
    words: Sequence[Sequence[tuple[int, int]]]


def feature_matrix(question: str, terms: Sequence[str], stats: SentenceStats, who: str,
                   found: Candidates) -> np.ndarray:
    """The values of `FEATURES` for each candidate (before `with_relative`), with visibility
    `who`'s statistics; `terms`, the question's distinct analyzed terms, sorted."""
    rows, arrays = found.rows, stats.arrays
    weights = stats.per[who].share_weights(terms)
    total = sum(weights)
    share = (arrays.held_count(terms, weights)[rows] / total if total
             else np.zeros(len(rows)))
    asked = asked_pattern(question)
    holds = arrays.asks[asked][rows] if asked is not None else np.zeros(len(rows), dtype=bool)
    near = np.zeros(len(rows))
    for k in np.flatnonzero(holds):
        near[k] = _near(asked, arrays.sentences[rows[k]].text, found.words[k])
    return np.column_stack([
        found.cosines, arrays.bm25_of(who, terms)[rows], share,
        holds.astype(float), (~holds if asked is not None else holds).astype(float),
        near, np.log1p(found.ranks), found.fused, arrays.place[rows]])


def _near(asked: Any, text: str, words: Sequence[tuple[int, int]]) -> float:
    """1 when an answering part touches a question word outside it (« Abou Ndiaye,
    sociologue » for « Quel sociologue… »), decaying with the characters between them."""
    best = math.inf
    for m in asked.finditer(text):
        a, b = m.span()
        gaps = [max(a - y, x - b) for x, y in words if y <= a or x >= b]
        best = min([best, *gaps])
    return math.exp(-max(best, 0) / NEAR_CHARS) if best < math.inf else 0.0


def with_relative(x: np.ndarray) -> np.ndarray:
    """`x` (one row per candidate of one question) with each candidate's cosine and term
    share as gaps to the question's best and its BM25 as a share of the best: the level of a
    cosine varies from question to question, its place among the candidates less."""
    if not len(x):
        return np.zeros((0, len(FEATURES)))
    best = x.max(axis=0)
    cos, bm, share = (x[:, _RELATIVE[k]] for k in ("cosine_gap", "bm25_rel", "share_gap"))
    extra = np.column_stack([cos - best[0], bm / best[1] if best[1] > 0 else bm * 0,
                             share - best[2]])
    return np.hstack([x, extra])
