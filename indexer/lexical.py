"""The French lexical side: an analyzer and a BM25 index (bm25s) over the same passages.

The analyzer's settings are written into the manifest and the service rebuilds
the analyzer from them, so queries are always cut the way the passages were.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from indexer.text import fold_accents

ELISIONS = ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu")
ACRONYMS = (
    "ess", "ptce", "qpv", "scic", "cae", "anct", "rtes", "pat", "crte", "siae", "epci", "ccas",
    "cget", "grdr", "rui", "ati", "tzcld", "pls", "iae", "mcdr", "scop", "ong", "ddets",
)
# Words that carry meaning in this corpus although generic stop lists drop them.
KEEP_WORDS = ("pas",)

_TOKEN = re.compile(r"\w+", re.UNICODE)


def _default_stopwords() -> tuple[str, ...]:
    from bm25s.stopwords import STOPWORDS_FRENCH

    return tuple(sorted(STOPWORDS_FRENCH))


@dataclass(frozen=True)
class Analyzer:
    """NFC → lower case → elision → tokens → stop words → accent folding → Snowball stem.

    Acronyms are kept whole (Snowball would cut « CAE » to « ca »).
    """

    language: str = "french"
    stemmer: str = "snowball-french"
    elisions: tuple[str, ...] = ELISIONS
    acronyms: tuple[str, ...] = ACRONYMS
    stopwords: tuple[str, ...] = field(default_factory=_default_stopwords)
    fold_accents: bool = True

    @cached_property
    def _elision(self) -> re.Pattern[str]:
        alternatives = "|".join(sorted(self.elisions, key=len, reverse=True))
        return re.compile(rf"\b(?:{alternatives})['’]", re.IGNORECASE)

    @cached_property
    def _stop(self) -> frozenset[str]:
        return frozenset(fold_accents(w) for w in self.stopwords) - set(KEEP_WORDS)

    @cached_property
    def _stem(self) -> Any:
        import Stemmer

        return Stemmer.Stemmer(self.language)

    def tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFC", text).lower()
        text = self._elision.sub(" ", text)
        out = []
        acronyms = set(self.acronyms)
        for raw in _TOKEN.findall(text):
            word = fold_accents(raw) if self.fold_accents else raw
            if word in acronyms:
                out.append(word)
            elif word not in self._stop and (len(word) > 1 or word.isdigit()):
                out.append(self._stem.stemWord(word))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "stemmer": self.stemmer,
                "elisions": list(self.elisions), "acronyms": list(self.acronyms),
                "stopwords": list(self.stopwords), "fold_accents": self.fold_accents,
                "library": "bm25s", "bm25": {"k1": 1.5, "b": 0.75, "method": "lucene"}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analyzer:
        return cls(language=data["language"], stemmer=data["stemmer"],
                   elisions=tuple(data["elisions"]), acronyms=tuple(data["acronyms"]),
                   stopwords=tuple(data["stopwords"]), fold_accents=data["fold_accents"])


LEXICAL_DIR = "bm25"


def build_bm25(texts: list[str], analyzer: Analyzer) -> Any:
    import bm25s

    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index([analyzer.tokens(t) for t in texts], show_progress=False)
    return retriever


def save_bm25(retriever: Any, directory: Path) -> None:
    retriever.save(str(directory), show_progress=False)


def load_bm25(directory: Path) -> Any:
    import bm25s

    return bm25s.BM25.load(str(directory))
