"""The records every stage passes on: resources, their paragraphs, and passages.

Plain frozen dataclasses, so parsers stay pure (text in, records out) and the
index can serialise them to JSON lines without pickle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("fiche", "conference", "newsletter", "event", "article", "catalogue")


@dataclass(frozen=True)
class Source:
    """Where a piece of text comes from: 1-based, inclusive line numbers in a seed file.

    In a PDF the lines are those of one page, `page` (1-based); text and HTML files have
    no page, and their stored form has no `page` key, so indexes of text exports read
    the same as before PDFs were known.
    """

    file: str
    start_line: int
    end_line: int
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.page is None:
            del data["page"]
        return data


@dataclass(frozen=True)
class Paragraph:
    """A cleaned paragraph of a resource, with the lines its text came from."""

    text: str
    start_line: int
    end_line: int
    section: str | None = None
    page: int | None = None  # a PDF's page: the lines are that page's


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
    url: str | None = None  # a web page's canonical URL

    def metadata(self) -> dict[str, Any]:
        """The resource without its text, as stored in `resources.jsonl` (`url` only when
        known, so a text export's record and content hash are what they were)."""
        data = {
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
        if self.url is not None:
            data["url"] = self.url
        return data


@dataclass(frozen=True)
class Passage:
    """A chunk of a resource's text, the unit that is embedded and searched."""

    id: str
    resource_id: str
    text: str
    source: Source
    section: str | None = None
    ordinal: int = 0
    # (offset in `text`, start_line, end_line) of each paragraph, so a quoted sentence can
    # name its own lines rather than the whole passage's.
    lines: tuple[tuple[int, int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "resource_id": self.resource_id,
            "text": self.text,
            "section": self.section,
            "ordinal": self.ordinal,
            "source": self.source.to_dict(),
        }
        if self.lines:
            data["lines"] = [list(row) for row in self.lines]
        return data
