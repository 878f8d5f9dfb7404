"""Quoting: highlighted passages and an extractive answer chosen among their sentences.

No generative model ships offline, so the answer is one or two sentences taken
verbatim from the top passages, chosen by embedding similarity to the question
plus lexical overlap with it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.lexical import Analyzer
from indexer.sentences import Sentence

_WORD = re.compile(r"\w+", re.UNICODE)


def analyze_words(text: str, analyzer: Analyzer) -> tuple[tuple[int, int, str], ...]:
    """(start, end, analyzed term, or "" for a stop word) of every word of `text`."""
    return tuple((m.start(), m.end(), next(iter(analyzer.tokens(m.group(0))), ""))
                 for m in _WORD.finditer(text))


def highlight(text: str, query_terms: set[str], analyzer: Analyzer,
              span: tuple[int, int] | None = None,
              words: Sequence[tuple[int, int, str]] | None = None) -> str:
    """HTML-escaped `text`, query words wrapped in <mark>; `span` marks a whole sentence.

    `words`, the (start, end, analyzed term) of each word when already known, saves
    analyzing the text again."""
    if span is not None:
        a, b = span
        return (html.escape(text[:a]) + "<mark>" + html.escape(text[a:b]) + "</mark>"
                + html.escape(text[b:]))
    if words is None:
        words = analyze_words(text, analyzer)
    parts: list[str] = []
    last = 0
    for start, end, term in words:
        if term and term in query_terms:
            parts.append(html.escape(text[last:start]))
            parts.append("<mark>" + html.escape(text[start:end]) + "</mark>")
            last = end
    parts.append(html.escape(text[last:]))
    return "".join(parts)


@dataclass(frozen=True)
class Candidate:
    passage_index: int
    sentence: Sentence
    score: float
    cosine: float


# The hand score: a sentence's cosine to the question, plus these weights times the share of
# the question's terms it holds and whether it holds the kind of thing the question asks for
# (`answer_span.asked_pattern`, the one table of answer types).
LEXICAL_WEIGHT = 0.3
TYPE_BONUS = 0.06


def hand_scores(cosines: np.ndarray, shares: np.ndarray, holds: np.ndarray) -> np.ndarray:
    """The one hand score of sentences, from their cosines to the question, the shares of the
    question's terms they hold and whether they hold what it asks for (`sentence_arrays`)."""
    return cosines.astype(float) + LEXICAL_WEIGHT * shares + np.where(holds, TYPE_BONUS, 0.0)
