"""Parse the RTES website exports: resource blocks with metadata, and single pages.

Where each block's title, body and summary lie is found by `website_blocks`; here
their lines are cleaned into paragraphs, keywords and dates, and become a Resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexer import clean, metadata
from indexer.documents import Paragraph, Resource, Source
from indexer.errors import SeedFileError
from indexer.lines import Line
from indexer.metadata import resource_id
from indexer.repeats import merge_body_and_summary
from indexer.text import normalize_line
from indexer.website_blocks import Block, find_blocks, last_text_line, text_indices

__all__ = ["parse_page", "parse_website", "resource_id"]

@dataclass(frozen=True)
class _Part:
    """A body or a summary, cleaned: its lines of text, keywords lines and tags."""

    lines: tuple[Line, ...]
    keyword_lines: tuple[str, ...]
    tags: tuple[str, ...]


def _is_tag(line: str) -> bool:
    """A real keyword standing alone after the keywords line (`PTCE`, `100ème singe`)."""
    text = normalize_line(line)
    return (
        len(clean.words(text)) <= 4
        and ":" not in text
        and "http" not in text
        and not text.endswith((".", "!", "?"))
    )


def _part(lines: Sequence[str], indices: range, newsletter: bool) -> _Part:
    """Classify a body's or summary's lines: text, metadata, or noise to drop."""
    numbered = [(i + 1, lines[i]) for i in indices]
    footer = clean.footer_lines(numbered) if newsletter else set()
    kept: list[Line] = []
    keyword_lines: list[str] = []
    tags: list[str] = []
    after_spacer = after_keywords = False
    for number, raw in numbered:
        text = normalize_line(raw)
        if not text:
            if raw.strip("\r\n"):
                kept.append(Line(number, ""))
                after_spacer = True
            continue
        if metadata.is_keywords_line(text):
            keyword_lines.append(text)
            after_keywords = True
            continue
        if clean.is_junk(text) or number in footer:
            continue
        if newsletter and clean.is_newsletter_chrome(text):
            continue
        if after_keywords and _is_tag(text):
            tags.append(text)
            after_keywords = False
            continue
        after_keywords = False
        furniture = clean.furniture(text)
        if furniture is not None:
            if furniture.breaks_section:
                kept.append(Line(number, "", rule=True))
            continue
        kept.append(Line(number, text, after_spacer=after_spacer))
        after_spacer = False
    return _Part(tuple(kept), tuple(keyword_lines), tuple(tags))


def _paragraphs(lines: Sequence[str], block: Block, newsletter: bool) -> tuple[
    list[Paragraph], _Part, _Part
]:
    body = _part(lines, block.body, newsletter)
    summary = _part(lines, block.summary, newsletter)
    merged = merge_body_and_summary(
        clean.paragraphs_of(body.lines), clean.paragraphs_of(summary.lines)
    )
    return merged, body, summary


@dataclass(frozen=True)
class _Keywords:
    """What the keywords lines of a resource say: its keywords, and the dates they end with."""

    words: tuple[str, ...]
    date: str | None
    updated: str | None


def _keywords(*parts: _Part) -> _Keywords:
    words: list[str] = []
    date = updated = None
    for line in (line for part in parts for line in part.keyword_lines):
        found, line_date, line_update = metadata.split_keywords_line(line)
        words.extend(found)
        date = date or line_date
        updated = updated or line_update
    words.extend(tag for part in parts for tag in part.tags)
    return _Keywords(metadata.unique_keywords(words), date, updated)


def _resource(file_name: str, lines: Sequence[str], block: Block) -> Resource:
    title = normalize_line(lines[block.title])
    paragraphs, body, summary = _paragraphs(lines, block, newsletter=False)
    kind = metadata.detect_kind(title, paragraphs[0].text if paragraphs else None)
    if kind == "newsletter":
        paragraphs, body, summary = _paragraphs(lines, block, newsletter=True)
    keywords = _keywords(body, summary)

    text_lines = [normalize_line(lines[i]) for i in (*block.body, *block.summary)]
    published, page_updated = metadata.own_dates(text_lines)
    issue_lines = [line for line in text_lines
                   if kind == "newsletter" and metadata.is_issue_line(line)]
    updated = keywords.updated or page_updated
    date = metadata.page_date(published=published, title=title, updated=updated,
                              fields=(keywords.date, metadata.find_date(issue_lines)))
    number = metadata.fiche_number(title) if kind == "fiche" else None
    return Resource(
        id=resource_id(kind, title, date, number),
        title=title,
        kind=kind,
        private=block.private,
        source=Source(file_name, block.title + 1, block.end + 1),
        paragraphs=tuple(paragraphs),
        date=date,
        updated=updated,
        keywords=keywords.words,
        fiche_number=number,
    )


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_website(file_name: str, text: str) -> list[Resource]:
    """Every resource block of one website export, in file order."""
    lines = _lines(text)
    return [_resource(file_name, lines, block) for block in find_blocks(file_name, lines)]


def parse_page(file_name: str, text: str) -> list[Resource]:
    """A single page without metadata: its first line of text (furniture aside) is the title.

    Such a page (the 2015 seminar report) is public; each line is a paragraph.
    """
    lines = _lines(text)
    content = text_indices(lines, range(len(lines)))
    content = [i for i in content if not clean.is_boilerplate(lines[i])]
    if not content:
        raise SeedFileError(file_name, "holds no text")
    first = content[0]
    title = normalize_line(lines[first])
    part = _part(lines, range(first + 1, len(lines)), newsletter=False)
    paragraphs = merge_body_and_summary([], clean.paragraphs_of(part.lines))
    kind = metadata.detect_kind(title, paragraphs[0].text if paragraphs else None)
    keywords = _keywords(part)
    published, page_updated = metadata.own_dates(lines)
    updated = keywords.updated or page_updated
    date = metadata.page_date(published=published, fields=(keywords.date,), title=title,
                              updated=updated)
    return [Resource(
        id=resource_id(kind, title, date, None),
        title=title,
        kind=kind,
        private=False,
        source=Source(file_name, first + 1, last_text_line(lines, first, len(lines)) + 1),
        paragraphs=tuple(paragraphs),
        date=date,
        updated=updated,
        keywords=keywords.words,
    )]

