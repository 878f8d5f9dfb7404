"""The French lexical side: an analyzer and a BM25 index (bm25s) over the same passages.

The analyzer's settings are written into the manifest and the service rebuilds
the analyzer from them, so queries are always cut the way the passages were.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import IndexerError, IndexLoadError
from indexer.store import read_array
from indexer.text import fold_accents
from indexer.visibility import MEMBER, PUBLIC, VISIBILITIES, visible_positions

ELISIONS = ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu")
ACRONYMS = (
    "ess", "ptce", "qpv", "scic", "cae", "anct", "rtes", "pat", "crte", "siae", "epci", "ccas",
    "cget", "grdr", "rui", "ati", "tzcld", "pls", "iae", "mcdr", "scop", "ong", "ddets",
)
# Words that carry meaning in this corpus although generic stop lists drop them.
KEEP_WORDS = ("pas",)

_TOKEN = re.compile(r"\w+", re.UNICODE)
# BM25's parameters, written into the manifest (lexical.bm25) and read back from it.
BM25_PARAMS = {"k1": 1.5, "b": 0.75, "method": "lucene"}
# Distinct words whose term `Analyzer` remembers (the seeds have ~12,000).
TERM_CACHE = 100_000


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

    @cached_property
    def _term(self) -> Callable[[str], str]:
        """Word (lower case, elided) → its term, "" for a stop word; a bounded cache in
        front of Snowball, since a corpus and its questions repeat the same words."""
        acronyms = frozenset(self.acronyms)
        stem = self._stem.stemWord

        @lru_cache(maxsize=TERM_CACHE)
        def term(raw: str) -> str:
            word = fold_accents(raw) if self.fold_accents else raw
            if word in acronyms:
                return word
            if word not in self._stop and (len(word) > 1 or word.isdigit()):
                return stem(word)
            return ""

        return term

    def tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFC", text).lower()
        text = self._elision.sub(" ", text)
        term = self._term
        return [t for t in map(term, _TOKEN.findall(text)) if t]

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "stemmer": self.stemmer,
                "elisions": list(self.elisions), "acronyms": list(self.acronyms),
                "stopwords": list(self.stopwords), "fold_accents": self.fold_accents,
                "library": "bm25s"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analyzer:
        return cls(language=data["language"], stemmer=data["stemmer"],
                   elisions=tuple(data["elisions"]), acronyms=tuple(data["acronyms"]),
                   stopwords=tuple(data["stopwords"]), fold_accents=data["fold_accents"])


# One BM25 index per visibility (see indexer.visibility): document frequencies and the average
# length of the public index never count a private passage.
LEXICAL_DIRS = {MEMBER: "bm25", PUBLIC: "bm25-public"}


def build_bm25(texts: list[str], analyzer: Analyzer) -> Any:
    import bm25s

    retriever = bm25s.BM25(**BM25_PARAMS)
    retriever.index([analyzer.tokens(t) for t in texts], show_progress=False)
    return retriever


def build_bm25_per_visibility(texts: Sequence[str], private: Sequence[bool],
                              analyzer: Analyzer) -> dict[str, Any]:
    """BM25 over the passages each visibility may see; no index for one that sees none."""
    indexes = {}
    for who in VISIBILITIES:
        visible_texts = [texts[i] for i in visible_positions(private, who)]
        if visible_texts:
            indexes[who] = build_bm25(visible_texts, analyzer)
    return indexes


def save_bm25(retriever: Any, directory: Path) -> None:
    retriever.save(str(directory), show_progress=False)


def save_bm25_per_visibility(indexes: dict[str, Any], version_dir: Path) -> None:
    for who, index in indexes.items():
        save_bm25(index, version_dir / LEXICAL_DIRS[who])


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexLoadError(path, "is missing") from exc
    except OSError as exc:
        raise IndexLoadError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexLoadError(path, f"is not valid JSON ({exc})") from exc


def check_bm25_files(directory: Path, documents: int) -> None:
    """Every file of a saved bm25s index is readable and agrees with the others and with the
    `documents` the manifest counts; a problem names the file."""
    if not directory.is_dir():
        raise IndexLoadError(directory, "is missing")
    params = _read_json(directory / "params.index.json")
    if not isinstance(params, dict) or params.get("num_docs") != documents:
        got = params.get("num_docs") if isinstance(params, dict) else params
        raise IndexLoadError(directory / "params.index.json",
                             f"counts {got!r} documents, the manifest says {documents}")
    vocab = _read_json(directory / "vocab.index.json")
    if not isinstance(vocab, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in vocab.values()):
        raise IndexLoadError(directory / "vocab.index.json",
                             "is not an object of token → integer id")
    data = read_array(directory / "data.csc.index.npy", dtype=np.float32)
    indices = read_array(directory / "indices.csc.index.npy", dtype=None)
    indptr = read_array(directory / "indptr.csc.index.npy", dtype=None)
    named = {"indptr": indptr, "indices": indices}
    for name, array in named.items():
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise IndexLoadError(directory / f"{name}.csc.index.npy",
                                 f"holds {array.dtype} of shape {array.shape}, expected "
                                 "one row of integers")
    if (len(indptr) < 1 or indptr[0] != 0 or (np.diff(indptr) < 0).any()
            or max(vocab.values(), default=0) >= len(indptr)):
        raise IndexLoadError(directory / "indptr.csc.index.npy",
                             "disagrees with vocab.index.json (truncated or from another build)")
    if len(indices) != indptr[-1] or (len(indices) and not
                                      0 <= indices.min() <= indices.max() < documents):
        raise IndexLoadError(directory / "indices.csc.index.npy",
                             "disagrees with indptr.csc.index.npy or the document count "
                             "(truncated or from another build)")
    if data.shape != indices.shape:
        raise IndexLoadError(directory / "data.csc.index.npy",
                             f"holds {data.shape[0] if data.ndim else 0} scores for "
                             f"{len(indices)} postings (truncated or from another build)")


def load_bm25(directory: Path, documents: int | None = None) -> Any:
    """A saved bm25s index; with `documents`, every file is checked first."""
    import bm25s

    if documents is not None:
        check_bm25_files(directory, documents)
    return bm25s.BM25.load(str(directory))


def load_bm25_per_visibility(version_dir: Path, section: str, directories: Mapping[str, Any],
                             documents: Mapping[str, Any], visible_counts: Mapping[str, int]
                             ) -> dict[str, Any]:
    """Each visibility's saved BM25 index named by the manifest's `section`, its document
    count checked against the passages that visibility sees; a problem names the file."""
    manifest_path = version_dir / "manifest.json"
    indexes: dict[str, Any] = {}
    for who in VISIBILITIES:
        name, count = directories.get(who), documents.get(who)
        if (count or 0) != visible_counts[who]:
            raise IndexLoadError(manifest_path, f"its {section} section counts {count} {who} "
                                 f"documents, resources.jsonl makes {visible_counts[who]}")
        if name is None and count is None:
            continue
        if not isinstance(name, str) or "/" in name or not isinstance(count, int):
            raise IndexLoadError(manifest_path, f"its {section} section is malformed for {who}")
        try:
            indexes[who] = load_bm25(version_dir / name, documents=count)
        except IndexerError:
            raise
        except Exception as exc:  # bm25s's own errors, after our checks passed
            raise IndexLoadError(version_dir / name, f"cannot be loaded ({exc})") from exc
    return indexes
