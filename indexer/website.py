"""Parse the RTES website exports: resource blocks with metadata, and single pages.

A website export is a run of blocks: title, body (sometimes absent), a metadata
block (`Catégorie`?, `Type de ressource`, `Ressource privée`, `Résumé`), then the
summary. Nothing marks where a summary ends and the next title starts; since a
summary repeats its body, the next title is the line just before the text that
the next summary repeats (or, when that block has no body, the line just before
its metadata).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer import clean, metadata
from indexer.documents import Paragraph, Resource, Source
from indexer.errors import SeedFileError
from indexer.metadata import resource_id
from indexer.text import normalize_line

__all__ = ["merge_duplicates", "parse_page", "parse_website", "resource_id"]

_TYPE = "Type de ressource"
_PRIVATE = "Ressource privée"
_SUMMARY = "Résumé"
_CATEGORY = "Catégorie"
_PRIVATE_VALUES = {"Oui": True, "Non": False}
PROBES = 3  # summary lines tried, in turn, to find where the block's body starts


@dataclass(frozen=True)
class _Meta:
    """A metadata block: 0-based index of its first line, of the summary's first line."""

    start: int
    summary_start: int
    private: bool


@dataclass(frozen=True)
class _Block:
    """One resource's place in the file, as 0-based line indices (end exclusive)."""

    title: int
    body: range
    summary: range
    end: int  # index of the block's last non-blank line
    private: bool


def _norm(lines: Sequence[str], i: int) -> str:
    return normalize_line(lines[i]) if 0 <= i < len(lines) else ""


def _metadata_blocks(file_name: str, lines: Sequence[str]) -> list[_Meta]:
    metas: list[_Meta] = []
    for i in range(len(lines)):
        if _norm(lines, i) != _TYPE:
            continue
        if _norm(lines, i + 2) != _PRIVATE or _norm(lines, i + 4) != _SUMMARY:
            raise SeedFileError(
                file_name,
                f"line {i + 1}: metadata block should read « {_TYPE} », its value, "
                f"« {_PRIVATE} », Oui/Non, « {_SUMMARY} »",
            )
        private = _PRIVATE_VALUES.get(_norm(lines, i + 3))
        if private is None:
            raise SeedFileError(
                file_name, f"line {i + 4}: « {_PRIVATE} » must be followed by Oui or Non"
            )
        start = i - 1 if _norm(lines, i - 1) == _CATEGORY else i
        metas.append(_Meta(start=start, summary_start=i + 5, private=private))
    return metas


def _content(lines: Sequence[str], indices: Iterable[int]) -> list[int]:
    """Indices of lines that hold text (not blank, not junk)."""
    return [i for i in indices if normalize_line(lines[i]) and not clean.is_junk(lines[i])]


def _summary_probes(lines: Sequence[str], start: int, stop: int) -> list[str]:
    """The first lines of real text in a summary: what its body should begin with."""
    probes = [lines[i] for i in _content(lines, range(start, stop))[:PROBES * 2]
              if not clean.is_boilerplate(lines[i])]
    return probes[:PROBES]


def _agreement(lines: Sequence[str], candidates: Sequence[int], start: int,
               probes: Sequence[str]) -> int:
    """How many probes the lines from `candidates[start]` on repeat, in order, one for one."""
    return sum(
        start + n < len(candidates) and clean.near_identical(lines[candidates[start + n]], probe)
        for n, probe in enumerate(probes)
    )


def _find_title(lines: Sequence[str], region: range, probes: Sequence[str]) -> int:
    """The title's index in `region` (previous summary + title + body).

    The body is the text the block's own summary repeats: it starts where the most of
    the summary's first lines come again, in order, line for line (near-identical: a
    title must not pass for its summary's extended first line; a summary that rewords
    its first line still agrees on the next ones). A page that repeats its opening
    paragraph lower down agrees there on that line only, so the body starts at the
    first copy; of equal agreements the last wins, so a teaser of the block in the
    previous summary (a newsletter quoting a fiche) is passed over. The title is the
    line of text just before the body, or the region's last line of text when the
    block has no body.
    """
    candidates = [i for i in _content(lines, region) if not clean.is_boilerplate(lines[i])]
    best, best_agreement = None, 0
    for start in range(len(candidates) - 1, 0, -1):
        agreement = _agreement(lines, candidates, start, probes)
        if agreement > best_agreement:
            best, best_agreement = start, agreement
    return candidates[-1] if best is None else candidates[best - 1]


def _last_text_line(lines: Sequence[str], start: int, stop: int) -> int:
    """The last line of text before `stop`; a site header there heads the next page."""
    for i in range(stop - 1, start - 1, -1):
        if normalize_line(lines[i]) and clean.furniture(lines[i]) is not clean.SITE_HEADER:
            return i
    return start


def _blocks(file_name: str, lines: Sequence[str]) -> list[_Block]:
    metas = _metadata_blocks(file_name, lines)
    if not metas:
        raise SeedFileError(file_name, f"no « {_TYPE} » metadata block found")
    firsts = [i for i in _content(lines, range(metas[0].start))
              if not clean.is_boilerplate(lines[i])]
    if not firsts:
        raise SeedFileError(file_name, f"line {metas[0].start + 1}: metadata block without title")
    titles = [firsts[0]]
    for previous, meta in zip(metas, metas[1:], strict=False):
        region = range(previous.summary_start, meta.start)
        if not _content(lines, region):
            raise SeedFileError(file_name, f"line {meta.start + 1}: metadata block without title")
        probes = _summary_probes(lines, meta.summary_start, len(lines))
        titles.append(_find_title(lines, region, probes))
    ends = [*titles[1:], len(lines)]
    return [
        _Block(
            title=title,
            body=range(title + 1, meta.start),
            summary=range(meta.summary_start, stop),
            end=_last_text_line(lines, meta.summary_start, stop),
            private=meta.private,
        )
        for title, meta, stop in zip(titles, metas, ends, strict=True)
    ]


@dataclass(frozen=True)
class _Part:
    """A body or a summary, cleaned: its lines of text, keywords lines and tags."""

    lines: tuple[clean.Line, ...]
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
    kept: list[clean.Line] = []
    keyword_lines: list[str] = []
    tags: list[str] = []
    after_spacer = after_keywords = False
    for number, raw in numbered:
        text = normalize_line(raw)
        if not text:
            if raw.strip("\r\n"):
                kept.append(clean.Line(number, ""))
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
                kept.append(clean.Line(number, "", rule=True))
            continue
        kept.append(clean.Line(number, text, after_spacer=after_spacer))
        after_spacer = False
    return _Part(tuple(kept), tuple(keyword_lines), tuple(tags))


def _paragraphs(lines: Sequence[str], block: _Block, newsletter: bool) -> tuple[
    list[Paragraph], _Part, _Part
]:
    body = _part(lines, block.body, newsletter)
    summary = _part(lines, block.summary, newsletter)
    merged = clean.merge_body_and_summary(
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


def _resource(file_name: str, lines: Sequence[str], block: _Block) -> Resource:
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
    return [_resource(file_name, lines, block) for block in _blocks(file_name, lines)]


def parse_page(file_name: str, text: str) -> list[Resource]:
    """A single page without metadata: its first line of text (furniture aside) is the title.

    Such a page (the 2015 seminar report) is public; each line is a paragraph.
    """
    lines = _lines(text)
    content = _content(lines, range(len(lines)))
    content = [i for i in content if not clean.is_boilerplate(lines[i])]
    if not content:
        raise SeedFileError(file_name, "holds no text")
    first = content[0]
    title = normalize_line(lines[first])
    part = _part(lines, range(first + 1, len(lines)), newsletter=False)
    paragraphs = clean.merge_body_and_summary([], clean.paragraphs_of(part.lines))
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
        source=Source(file_name, first + 1, _last_text_line(lines, first, len(lines)) + 1),
        paragraphs=tuple(paragraphs),
        date=date,
        updated=updated,
        keywords=keywords.words,
    )]


def _content_key(resource: Resource) -> tuple[tuple[str, ...], ...]:
    """A resource's text folded (case, accents, spaces, punctuation): equal for copies."""
    return (
        tuple(clean.words(resource.title)),
        *(tuple(clean.words(p.text)) for p in resource.paragraphs),
    )


def merge_duplicates(resources: list[Resource]) -> list[Resource]:
    """One resource per distinct content: the first copy kept, the others' places
    recorded in its `also_in` (the same text exported in two files)."""
    first_index: dict[tuple[tuple[str, ...], ...], int] = {}
    merged: list[Resource] = []
    for resource in resources:
        key = _content_key(resource)
        index = first_index.get(key)
        if index is None:
            first_index[key] = len(merged)
            merged.append(resource)
            continue
        kept = merged[index]
        merged[index] = dataclasses.replace(
            kept, also_in=(*kept.also_in, resource.source, *resource.also_in)
        )
    return merged
