"""The name bonus: when a question names a resource (a rare title word, a fiche number).

Which title words are rare is a corpus statistic, so the table is built per visibility
(see `indexer.visibility`): the public table counts public titles only, and a private title
never makes a public title word common or rare.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from indexer.lexical import Analyzer

RARE_TITLES = 2  # a title word is rare when at most this many visible titles hold it
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class NameTable:
    """Rare title word → resources, fiche number → resources, over one visibility's resources."""

    words: Mapping[str, tuple[str, ...]]
    fiches: Mapping[str, tuple[str, ...]]

    @classmethod
    def build(cls, resources: Iterable[dict[str, Any]], analyzer: Analyzer) -> NameTable:
        listed = list(resources)
        titles = {r["id"]: set(analyzer.tokens(r["title"])) for r in listed}
        df: Counter[str] = Counter(t for terms in titles.values() for t in terms)
        words: dict[str, list[str]] = {}
        for rid, terms in titles.items():
            for term in sorted(terms):
                if df[term] <= RARE_TITLES:
                    words.setdefault(term, []).append(rid)
        fiches: dict[str, list[str]] = {}
        for r in listed:
            if r.get("fiche_number"):
                fiches.setdefault(str(r["fiche_number"]), []).append(r["id"])
        return cls({k: tuple(v) for k, v in words.items()},
                   {k: tuple(v) for k, v in fiches.items()})

    def bonus(self, terms: set[str], query: str) -> Counter[str]:
        """Resource id → bonus: the share of the question's terms that are rare words of its
        title, plus 1 for each fiche number the question names."""
        by_resource: Counter[str] = Counter()
        for term in terms:
            for rid in self.words.get(term, ()):
                by_resource[rid] += 1 / len(terms)
        for number in set(_NUMBER.findall(query)):
            for rid in self.fiches.get(number, ()):
                by_resource[rid] += 1.0
        return by_resource
