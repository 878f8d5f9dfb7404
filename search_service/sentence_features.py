"""What is known about one candidate answer sentence, as numbers a learned scorer weighs.

The corpus statistics (a sentence-level BM25, passage IDF) are counted once per visibility at
load (`SentenceStats.build`), over the sentences and passages that visibility may see
(`indexer.visibility`'s rule), so a private sentence changes no anonymous score. Only the
question's own parts are computed per request.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from indexer.visibility import VISIBILITIES, visible
from search_service.answer_span import asked_pattern
from search_service.quote_window import is_heading

FEATURES = ("cosine", "bm25", "idf_share", "type_match", "type_miss", "type_near", "log_rank",
            "fused", "first", "position", "heading", "fragment", "log_len",
            "cosine_gap", "bm25_rel", "share_gap")
# Columns of the per-question relative features, and the columns they are relative to.
_RELATIVE = {"cosine_gap": 0, "bm25_rel": 1, "share_gap": 2}
NEAR_CHARS = 20.0  # how fast the closeness of an answering part to a question word decays
_K1, _B = 1.2, 0.75
_FRAGMENT = re.compile(r"^\s*([-•*–]|\d+[.)]\s)")


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

    def bm25(self, terms: Sequence[str], counts: Counter[str], length: int) -> float:
        norm = _K1 * (1 - _B + _B * length / max(self.avg_len, 1.0))
        return sum(self.sentence_idf(t) * counts[t] * (_K1 + 1) / (counts[t] + norm)
                   for t in terms if counts.get(t))

    @cached_property
    def top_idf(self) -> float:
        """The rarest seen term's IDF (what an unseen term weighs), counted once."""
        return max(self.passage_idf.values(), default=1.0)

    def idf_share(self, terms: Sequence[str], held: frozenset[str]) -> float:
        """IDF-weighted share of the question's terms the sentence holds (unseen terms
        weigh as the rarest seen)."""
        top = self.top_idf
        weights = {t: self.passage_idf.get(t, top) for t in terms}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in held) / total if total else 0.0


class SentenceStats:
    """Per visibility, the counts the features read; plus each sentence's term counts."""

    def __init__(self, counts: list[Counter[str]], per: dict[str, VisibleStats]) -> None:
        self.counts = counts
        self.per = per

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
        return cls(counts, per)


@dataclass(frozen=True)
class Context:
    """Where a sentence comes from: its passage's result rank (0 first), fused score, its
    place among the passage's sentences."""

    rank: int
    fused: float
    order: int
    of: int


def features(question: str, terms: Sequence[str], stats: VisibleStats, counts: Counter[str],
             held: frozenset[str], cosine: float, text: str, passage_text: str,
             sentence: Any, where: Context, words: Sequence[tuple[int, int]] = ()
             ) -> list[float]:
    """The values of `FEATURES` for one sentence (before `with_relative`); `words`, the
    offsets in `text` of the question's words."""
    asked = asked_pattern(question)
    holds = asked is not None and asked.search(text) is not None
    return [cosine, stats.bm25(terms, counts, sum(counts.values())),
            stats.idf_share(terms, held),
            1.0 if holds else 0.0, 1.0 if asked is not None and not holds else 0.0,
            _near(asked, text, words) if holds else 0.0,
            math.log1p(where.rank), where.fused,
            1.0 if where.order == 0 else 0.0, where.order / max(where.of - 1, 1),
            1.0 if is_heading(passage_text, sentence) else 0.0,
            1.0 if _FRAGMENT.match(text) else 0.0, math.log1p(len(text))]


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
