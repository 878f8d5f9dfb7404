"""The field lexicon: the words élus and residents type → the words of the corpus.

`search_service/data/lexicon.tsv` (versioned data, its own tests) pairs acronyms with their
expansions (both ways: « QPV » ↔ « quartier prioritaire de la politique de la ville ») and
everyday words with institutional ones (one way: « mairie » → « collectivité »). At query
time the expansions of the phrases a question contains become extra lexical terms, weighted
below the typed words (see `search_service.ranking`). The table is static data, no corpus
statistic, so it is the same for every visibility.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from indexer.text import fold_accents

KINDS = ("acronym", "everyday")
_WORD = re.compile(r"\w+", re.UNICODE)
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)


def words(text: str) -> tuple[str, ...]:
    """Lower-case, elided, accent-folded words, a final s or x dropped (« cités » = « cité »)."""
    text = _ELISION.sub(" ", unicodedata.normalize("NFC", text).lower())
    out = []
    for raw in _WORD.findall(text):
        word = fold_accents(raw)
        if len(word) > 3 and word[-1] in "sx":
            word = word[:-1]
        out.append(word)
    return tuple(out)


@dataclass(frozen=True)
class Lexicon:
    """Phrase (as `words`) → the expansions it brings, in file order, without repeats."""

    entries: dict[tuple[str, ...], tuple[str, ...]]
    version: str

    @classmethod
    def parse(cls, text: str, source: str = "lexicon") -> Lexicon:
        entries: dict[tuple[str, ...], list[str]] = {}
        version = ""
        for number, line in enumerate(text.splitlines(), 1):
            if line.startswith("#"):
                found = re.search(r"version (\S+)", line)
                version = version or (found.group(1) if found else "")
                continue
            if not line.strip() or line.startswith("phrase\t"):
                continue
            cells = line.split("\t")
            if len(cells) != 3 or cells[2] not in KINDS or not all(c.strip() for c in cells):
                raise ValueError(f"{source}:{number}: expected phrase, expansion, kind "
                                 f"({'/'.join(KINDS)}), got {line!r}")
            phrase, expansion, kind = (c.strip() for c in cells)
            pairs = [(phrase, expansion)] + ([(expansion, phrase)] if kind == "acronym" else [])
            for left, right in pairs:
                found_in = entries.setdefault(words(left), [])
                if right not in found_in:
                    found_in.append(right)
        return cls({k: tuple(v) for k, v in entries.items()}, version)

    @cached_property
    def _order(self) -> dict[tuple[str, ...], int]:
        """Each phrase's place when the longest come first (file order among equals)."""
        return {p: n for n, p in enumerate(sorted(self.entries, key=len, reverse=True))}

    @cached_property
    def _lengths(self) -> tuple[int, ...]:
        return tuple(sorted({len(p) for p in self.entries}, reverse=True))

    def expansions(self, query: str) -> list[str]:
        """The expansions of every phrase the query contains (longest phrases first), minus
        those whose words the query already has. The query's word runs are looked up in
        the table, one per length a phrase has, rather than the table scanned."""
        typed = words(query)
        present = set(typed)
        found = {typed[i:i + n] for n in self._lengths for i in range(len(typed) - n + 1)}
        out: list[str] = []
        for phrase in sorted(found & self._order.keys(), key=self._order.__getitem__):
            for expansion in self.entries[phrase]:
                if expansion not in out and not set(words(expansion)) <= present:
                    out.append(expansion)
        return out


def default_lexicon_path() -> Path:
    return Path(str(resources.files("search_service") / "data" / "lexicon.tsv"))


def load_lexicon(path: Path | None = None) -> Lexicon:
    path = path or default_lexicon_path()
    return Lexicon.parse(path.read_text(encoding="utf-8"), str(path))
