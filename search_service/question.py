"""A question analysed once, at the entrance: its text, terms, n-grams, lexicon expansions,
content words, vector and language in one value that every stage reads, so no stage
tokenizes or encodes the question again (retrieval, the RM3 second pass, the name bonus,
highlighting, quoting and the no-answer rules all read this).

The vector is encoded on another thread while the question's words, language and lexical
scores are worked out on this one (`search_service.encoding`): a stage that reads
`Question.vector` waits for it there, so what needs no vector overlaps the encoding."""

from __future__ import annotations

import re
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from indexer.text import fold_accents
from search_service.caches import detect_language

if TYPE_CHECKING:
    from indexer.lexical import Analyzer
    from indexer.ngrams import NgramSettings
    from search_service.retrieval import Searcher

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, eq=False)
class Question:
    text: str
    tokens: tuple[str, ...]  # analyzed terms, the first `max_query_terms`
    terms: frozenset[str]
    ngrams: tuple[str, ...]  # edge n-grams of the first `max_query_terms` content words
    expansions: tuple[str, ...]  # stemmed terms the field lexicon adds (none typed)
    words: tuple[str, ...]  # folded content words, for the no-answer rules
    encoding: Future[np.ndarray] | np.ndarray | None  # None in bm25 mode
    language: str | None
    # The lexical query (BM25, coverage, RM3, name bonus): `tokens` without the framing
    # words (`search_service.framing`) when the ranking drops them; None: `tokens`.
    lexical: tuple[str, ...] | None = None

    @property
    def lexical_tokens(self) -> tuple[str, ...]:
        return self.tokens if self.lexical is None else self.lexical

    @property
    def vector(self) -> np.ndarray | None:
        """The question's vector (None in bm25 mode), waiting for its encoding if needed."""
        encoding = self.encoding
        return encoding.result() if isinstance(encoding, Future) else encoding


def content_words(text: str, analyzer: Analyzer, settings: NgramSettings | None) -> list[str]:
    """Folded words that are not stop words (the n-gram field's reading of a text)."""
    if settings is not None:
        return settings.words(text, analyzer)
    return [fold_accents(w.lower()) for w in _WORD.findall(text) if analyzer.tokens(w)]


def expansion_tokens(searcher: Searcher, text: str, tokens: list[str] | tuple[str, ...]
                     ) -> list[str]:
    """The stemmed terms the lexicon adds to the question (none it already has)."""
    if searcher.lexicon is None:
        return []
    typed = set(tokens)
    found = searcher.analyzer.tokens(" ".join(searcher.lexicon.expansions(text)))
    return [t for t in dict.fromkeys(found) if t not in typed]


def edge_ngrams(searcher: Searcher, words: list[str]) -> list[str]:
    """The edge n-grams of the first `max_query_terms` content words (none without the
    n-gram field)."""
    settings = searcher.ngram_settings
    if settings is None:
        return []
    limit = searcher.config.max_query_terms
    return settings.tokens(" ".join(words[:limit]), searcher.analyzer)


def analyse(searcher: Searcher, text: str, mode: str = "hybrid",
            vector: np.ndarray | None = None) -> Question:
    """`text` read once for every stage; encoded unless `vector` is given or mode is bm25,
    beside the rest of the analysis (`search_service.encoding`)."""
    encoding: Future[np.ndarray] | np.ndarray | None = vector
    if vector is None and mode != "bm25":
        encoding = searcher.encode_query_soon(text)
    tokens = tuple(searcher.query_tokens(text))
    settings = searcher.ngram_settings
    words = content_words(text, searcher.analyzer, settings)
    framing = searcher.framing if searcher.config.ranking.framing_words else None
    lexical = framing.tokens(tokens) if framing is not None else None
    ngrams = edge_ngrams(searcher, framing.content(words) if framing is not None else words)
    return Question(text=text, tokens=tokens, terms=frozenset(tokens), ngrams=tuple(ngrams),
                    expansions=tuple(expansion_tokens(searcher, text, tokens)),
                    words=tuple(words), encoding=encoding, language=detect_language(text),
                    lexical=lexical)
