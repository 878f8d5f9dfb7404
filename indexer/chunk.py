"""Cut a resource's paragraphs into passages of about 60–250 words.

Passages never cross a resource, keep the lines their text came from, and
carry a stable 63-bit id, so rebuilding the index from the same export gives
the same ids.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from indexer.documents import Paragraph, Passage, Resource, Source

MIN_WORDS = 60
MAX_WORDS = 250

_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+(?=[«\"(A-ZÀ-Ý0-9•-])")


@dataclass(frozen=True)
class ChunkSettings:
    min_words: int = MIN_WORDS
    max_words: int = MAX_WORDS


def passage_id(resource_id: str, text: str, occurrence: int) -> str:
    """A 63-bit id as a decimal string: JSON-safe for JavaScript, stable across rebuilds."""
    digest = hashlib.blake2b(
        f"{resource_id}\x1f{occurrence}\x1f{text}".encode(), digest_size=8
    ).digest()
    return str(int.from_bytes(digest, "big") & (2**63 - 1))


def _words(text: str) -> int:
    return len(text.split())


def _split_long(par: Paragraph, max_words: int) -> list[Paragraph]:
    """A paragraph over `max_words` split at sentence ends (same lines for every piece)."""
    if _words(par.text) <= max_words:
        return [par]
    pieces: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_END.split(par.text):
        if current and _words(" ".join(current + [sentence])) > max_words:
            pieces.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        pieces.append(" ".join(current))
    return [Paragraph(p, par.start_line, par.end_line, par.section, par.page) for p in pieces]


def _group(paragraphs: list[Paragraph], settings: ChunkSettings) -> list[list[Paragraph]]:
    """Greedy grouping: fill to max_words, start afresh at a new section once min_words is met."""
    groups: list[list[Paragraph]] = []
    current: list[Paragraph] = []
    size = 0
    for par in paragraphs:
        n = _words(par.text)
        new_section = bool(current) and par.section != current[-1].section
        if current and (size + n > settings.max_words or
                        (new_section and size >= settings.min_words)):
            groups.append(current)
            current, size = [], 0
        current.append(par)
        size += n
    if current:
        last = sum(_words(p.text) for p in current)
        previous = sum(_words(p.text) for p in groups[-1]) if groups else 0
        if groups and last < settings.min_words and previous + last <= settings.max_words:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


def _page_runs(paragraphs: list[Paragraph]) -> list[list[Paragraph]]:
    """Runs of paragraphs on the same page: a passage never spans two pages of a PDF, so
    its lines are those of one page. Text exports have no pages: one run."""
    runs: list[list[Paragraph]] = []
    for par in paragraphs:
        if runs and runs[-1][-1].page == par.page:
            runs[-1].append(par)
        else:
            runs.append([par])
    return runs


def chunk_resource(resource: Resource, settings: ChunkSettings | None = None) -> list[Passage]:
    """The passages of one resource, in reading order."""
    settings = settings or ChunkSettings()
    paragraphs = [
        piece
        for par in resource.paragraphs
        if par.text.strip()
        for piece in _split_long(par, settings.max_words)
    ]
    if not paragraphs:
        # A unit whose text all lives in its children (a catalogue chapter) is still findable.
        line = resource.source.start_line
        paragraphs = [Paragraph(resource.title, line, line, None)]
    seen: Counter[str] = Counter()
    passages: list[Passage] = []
    groups = [g for run in _page_runs(paragraphs) for g in _group(run, settings)]
    for ordinal, group in enumerate(groups):
        text = "\n".join(p.text for p in group)
        source = Source(
            resource.source.file,
            min(p.start_line for p in group),
            max(p.end_line for p in group),
            group[0].page,
        )
        passages.append(Passage(
            id=passage_id(resource.id, text, seen[text]),
            resource_id=resource.id,
            text=text,
            source=source,
            section=group[0].section,
            ordinal=ordinal,
            lines=paragraph_lines(group),
        ))
        seen[text] += 1
    return passages


def paragraph_lines(group: list[Paragraph]) -> tuple[tuple[int, int, int], ...]:
    """(offset in the passage text, start_line, end_line) of each paragraph of `group`,
    whose texts the passage joins with newlines."""
    rows, offset = [], 0
    for par in group:
        rows.append((offset, par.start_line, par.end_line))
        offset += len(par.text) + 1
    return tuple(rows)


def chunk_resources(
    resources: list[Resource], settings: ChunkSettings | None = None
) -> list[Passage]:
    return [p for r in resources for p in chunk_resource(r, settings)]
