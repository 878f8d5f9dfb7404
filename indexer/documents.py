"""The records every stage passes on: resources, their paragraphs, and passages.

Plain frozen dataclasses, so parsers stay pure (text in, records out) and the
index can serialise them to JSON lines without pickle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("fiche", "conference", "newsletter", "event", "article", "catalogue")
LEVELS = ("chapter", "section", "fiche")


@dataclass(frozen=True)
class Source:
    """Where a piece of text comes from: 1-based, inclusive line numbers in a seed file."""

    file: str
    start_line: int
    end_line: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Paragraph:
    """A cleaned paragraph of a resource, with the lines its text came from."""

    text: str
    start_line: int
    end_line: int
    section: str | None = None


@dataclass(frozen=True)
class Resource:
    """One searchable resource (a fiche, a conference, a catalogue section...)."""

    id: str
    title: str
    kind: str
    private: bool
    source: Source
    paragraphs: tuple[Paragraph, ...] = ()
    date: str | None = None
    updated: str | None = None
    keywords: tuple[str, ...] = ()
    fiche_number: str | None = None
    also_in: tuple[Source, ...] = ()
    level: str | None = None
    parent: str | None = None
    same_as: tuple[str, ...] = ()

    def metadata(self) -> dict[str, Any]:
        """The resource without its text, as stored in `resources.jsonl`."""
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "private": self.private,
            "date": self.date,
            "updated": self.updated,
            "keywords": list(self.keywords),
            "fiche_number": self.fiche_number,
            "level": self.level,
            "parent": self.parent,
            "same_as": list(self.same_as),
            "source": self.source.to_dict(),
            "also_in": [s.to_dict() for s in self.also_in],
        }


@dataclass(frozen=True)
class Passage:
    """A chunk of a resource's text, the unit that is embedded and searched."""

    id: str
    resource_id: str
    text: str
    source: Source
    section: str | None = None
    ordinal: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "resource_id": self.resource_id,
            "text": self.text,
            "section": self.section,
            "ordinal": self.ordinal,
            "source": self.source.to_dict(),
        }
