"""Question-framing words (« comment », « quelles », « j'aimerais », « merci »), dropped from
the lexical query only: a chatty question's BM25 and n-grams then weigh its subject, not its
frame (eval/README.md, « Issue 17d »). The list is static data
(`search_service/data/framing_words.txt`), no corpus statistic, so it is the same for every
visibility; it is read and analysed once, at load.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from indexer.text import fold_accents

if TYPE_CHECKING:
    from indexer.lexical import Analyzer


@dataclass(frozen=True)
class Framing:
    """The framing words as the stemmed field reads them (`stems`) and as the n-gram field
    reads them (folded lower-case words)."""

    stems: frozenset[str]
    words: frozenset[str]

    def tokens(self, tokens: Sequence[str]) -> tuple[str, ...]:
        """The stemmed terms without the framing ones (all of them if nothing else is left)."""
        kept = tuple(t for t in tokens if t not in self.stems)
        return kept or tuple(tokens)

    def content(self, words: Sequence[str]) -> list[str]:
        """The folded content words without the framing ones (all if nothing else is left)."""
        kept = [w for w in words if w not in self.words]
        return kept or list(words)


def framing_words(text: str | None = None) -> list[str]:
    """The words of the data file (or of `text`), comments skipped."""
    if text is None:
        text = (resources.files("search_service") / "data" / "framing_words.txt").read_text(
            "utf-8")
    return [w for line in text.splitlines() if not line.lstrip().startswith("#")
            for w in line.split()]


def load_framing(analyzer: Analyzer, text: str | None = None) -> Framing:
    found = framing_words(text)
    return Framing(stems=frozenset(t for w in found for t in analyzer.tokens(w)),
                   words=frozenset(fold_accents(w.lower()) for w in found))
