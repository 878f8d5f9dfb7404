"""A second lexical field: edge n-grams (the first 3–6 characters of each folded word).

Like Elasticsearch's `edge_ngram` filter: « solidaires » gives « sol », « soli », « solid »,
« solida », so inflections and derivations the Snowball stemmer keeps apart
(« solidarité » / « solidaire », « mobilité » / « mobile ») still share terms. The field is
a BM25 index of its own, built per visibility like the stemmed one (see
`indexer.visibility`); its settings are written under the manifest key `ngram_lexical`
and the service rebuilds them from there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import IndexLoadError
from indexer.lexical import Analyzer, load_bm25_per_visibility, save_bm25
from indexer.text import fold_accents
from indexer.visibility import MEMBER, PUBLIC, VISIBILITIES, visible_positions

MANIFEST_KEY = "ngram_lexical"
NGRAM_DIRS = {MEMBER: "ngram-bm25", PUBLIC: "ngram-bm25-public"}
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class NgramSettings:
    """Prefixes of `min_gram`…`max_gram` characters of each folded, non-stop word."""

    min_gram: int = 3
    max_gram: int = 6

    def words(self, text: str, analyzer: Analyzer) -> list[str]:
        """Lower-cased, elided, accent-folded words that are not stop words."""
        text = unicodedata.normalize("NFC", text).lower()
        text = analyzer._elision.sub(" ", text)
        out = []
        for raw in _TOKEN.findall(text):
            word = fold_accents(raw)
            whole = word.isdigit() or word in analyzer.acronyms
            if whole or (word not in analyzer._stop and len(word) >= self.min_gram):
                out.append(word)
        return out

    def tokens(self, text: str, analyzer: Analyzer) -> list[str]:
        """Every edge n-gram of every word (a number or an acronym stays whole)."""
        out = []
        for word in self.words(text, analyzer):
            if word.isdigit() or word in analyzer.acronyms:
                out.append(word)
                continue
            top = min(len(word), self.max_gram)
            out.extend(word[:n] for n in range(self.min_gram, top + 1))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"min_gram": self.min_gram, "max_gram": self.max_gram, "library": "bm25s",
                "bm25": {"k1": 1.5, "b": 0.75, "method": "lucene"}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NgramSettings:
        return cls(min_gram=int(data["min_gram"]), max_gram=int(data["max_gram"]))


def build_ngram_bm25(texts: Sequence[str], private: Sequence[bool], analyzer: Analyzer,
                     settings: NgramSettings) -> dict[str, Any]:
    """The n-gram BM25 over the passages each visibility may see (none for one seeing none)."""
    import bm25s

    indexes = {}
    for who in VISIBILITIES:
        visible = [texts[i] for i in visible_positions(private, who)]
        if visible:
            index = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
            index.index([settings.tokens(t, analyzer) for t in visible], show_progress=False)
            indexes[who] = index
    return indexes


def manifest_section(settings: NgramSettings, indexes: dict[str, Any]) -> dict[str, Any]:
    return {**settings.to_dict(), "text": "embedding_text",
            "directories": {who: NGRAM_DIRS[who] for who in indexes},
            "documents": {who: int(ix.scores["num_docs"]) for who, ix in indexes.items()}}


def save_ngram_bm25(indexes: dict[str, Any], version_dir: Path) -> None:
    for who, index in indexes.items():
        save_bm25(index, version_dir / NGRAM_DIRS[who])


def load_ngram_bm25(version_dir: Path, manifest: dict[str, Any], visible_counts: dict[str, int]
                    ) -> tuple[NgramSettings, dict[str, Any]]:
    """The settings and each visibility's n-gram index, every file checked first; a
    problem is an IndexLoadError naming the manifest or the file."""
    manifest_path = version_dir / "manifest.json"
    section = manifest.get(MANIFEST_KEY)
    if not isinstance(section, dict) or not isinstance(section.get("directories"), dict) \
            or not isinstance(section.get("documents"), dict):
        raise IndexLoadError(manifest_path, f"has no {MANIFEST_KEY} section: rebuild the index")
    try:
        settings = NgramSettings.from_dict(section)
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexLoadError(manifest_path, f"its {MANIFEST_KEY} section is incomplete "
                                            f"({exc})") from exc
    indexes = load_bm25_per_visibility(version_dir, MANIFEST_KEY, section["directories"],
                                       section["documents"], visible_counts)
    return settings, indexes
