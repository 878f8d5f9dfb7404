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
from search_service.answer_span import asked_pattern

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


def overlap(sentence: str, query_terms: set[str], analyzer: Analyzer,
            sentence_terms: frozenset[str] | None = None) -> float:
    """Share of the query's terms that the sentence contains."""
    if not query_terms:
        return 0.0
    terms = sentence_terms if sentence_terms is not None else set(analyzer.tokens(sentence))
    return len(query_terms & terms) / len(query_terms)


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


def answer_type_bonus(question: str, sentence: str, weight: float = TYPE_BONUS) -> float:
    """A small bonus when the sentence holds the kind of thing the question asks for."""
    holds = asked_pattern(question)
    return weight if holds is not None and holds.search(sentence) else 0.0


def score_sentences(
    items: Sequence[tuple[int, Sentence]],
    cosines: np.ndarray,
    query_terms: set[str],
    analyzer: Analyzer,
    question: str = "",
    lexical_weight: float = LEXICAL_WEIGHT,
    sentence_terms: Sequence[frozenset[str]] | None = None,
) -> list[Candidate]:
    """Sentences ranked by cosine to the question, the share of its terms they hold, and
    whether they hold the kind of answer it asks for. `sentence_terms`, each sentence's
    analyzed terms when already known, saves analyzing them again."""
    known: Sequence[frozenset[str] | None] = (sentence_terms if sentence_terms is not None
                                              else [None] * len(items))
    scored = [
        Candidate(i, s, float(c) + lexical_weight * overlap(s.text, query_terms, analyzer, t)
                  + answer_type_bonus(question, s.text), float(c))
        for (i, s), c, t in zip(items, cosines, known, strict=True)
    ]
    return sorted(scored, key=lambda c: -c.score)
