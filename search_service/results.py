"""What one search returns, as the core hands it on: frozen dataclasses, no web framework.

`search_service.pipeline.run_search` builds a `SearchResult`; the FastAPI layer maps it to
the HTTP contract (`search_service.responses`), the evaluation reads it as it is. Scores are
rounded here (4 decimals, `took_ms` 1), so every reader sees the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from indexer.documents import Source

__all__ = ["Answer", "ResourceInfo", "ResultItem", "ResultPassage", "Scores", "SearchResult",
           "Source", "source_of"]


def source_of(row: Mapping[str, Any]) -> Source:
    """A stored `source` object (its `page` only in a PDF's) as a `Source`."""
    return Source(row["file"], row["start_line"], row["end_line"], row.get("page"))


@dataclass(frozen=True)
class ResourceInfo:
    """A resource's metadata as a result shows it (its text stays in the index)."""

    id: str
    title: str
    kind: str
    date: str | None
    keywords: tuple[str, ...]
    private: bool
    source: Source
    level: str | None = None
    parent: str | None = None
    fiche_number: str | None = None
    same_as: tuple[str, ...] = ()
    url: str | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> ResourceInfo:
        """From a row of the version's `resources.jsonl`."""
        return cls(id=row["id"], title=row["title"], kind=row["kind"], date=row["date"],
                   keywords=tuple(row.get("keywords", ())), private=row["private"],
                   source=source_of(row["source"]), level=row.get("level"),
                   parent=row.get("parent"), fiche_number=row.get("fiche_number"),
                   same_as=tuple(row.get("same_as", ())), url=row.get("url"))


@dataclass(frozen=True)
class ResultPassage:
    """One of a result's best passages, with the question's words (or sentence) marked."""

    id: str
    text: str
    highlight: str
    section: str | None
    score: float
    source: Source


@dataclass(frozen=True)
class Scores:
    """A result's scores by signal: the best passage's cosine (-1 when not retrieved) and
    BM25 (0 when no term matched); the hybrid ranking's other signals, None in the
    single-signal modes (`search_service.ranking`)."""

    dense: float
    lexical: float
    ngram: float | None = None
    lexicon: float | None = None
    resource: float | None = None
    name: float | None = None
    hierarchy: float | None = None
    rm3: float | None = None


@dataclass(frozen=True)
class ResultItem:
    resource: ResourceInfo
    score: float
    scores: Scores
    passages: tuple[ResultPassage, ...]


@dataclass(frozen=True)
class Answer:
    """The quoted answer: one or two sentences of a passage, and where that passage stands."""

    text: str
    resource_id: str
    passage_id: str
    score: float
    highlight: str  # the quote HTML-escaped, the part that answers in <mark>
    source: Source  # the quoted sentence's lines where the passage maps them, else its own


@dataclass(frozen=True)
class SearchResult:
    query: str
    language: str | None
    confident: bool
    confidence: float
    took_ms: float
    answer: Answer | None
    results: tuple[ResultItem, ...]
