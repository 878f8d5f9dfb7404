"""The catalogue's structure: chapters, their sections and the fiches inside them.

A section heading and an entry title are both lines in capitals. What tells them apart is
the layout. An entry is a title followed by its publisher line (`- Avise, guide, 2016`)
and a « Pour accéder à la ressource » link; a section heading is a title with no entry
of its own, so it sits right above its first entry's title. Where the export stacked
several entry titles above their entries (chapter 3), the entries that follow account
for every title, and none is a heading.

Embedded fiches start at the entry title above their « DÉNICHÉ POUR VOUS » or
« FICHE EXPÉRIENCE » header (or at a `#18 …` technical-fiche title) and run to the line
before the next entry, section or chapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from indexer.catalogue_lines import TECHNICAL_TITLE, Kind, Line, fold
from indexer.errors import SeedFileError

# The export put one entry title below its entry (« L'ACCÈS À LA CULTURE… » titles the
# « Villes et Territoires » entry under CULTURE), so there alone the layout says the
# opposite of the printed catalogue. Keys are folded titles; True forces a section heading.
LAYOUT_OVERRIDES: Mapping[str, bool] = MappingProxyType({
    "culture": True,
    "l'acces a la culture en politique de la ville": False,
})


@dataclass(frozen=True)
class Unit:
    """A chapter, section or fiche before it becomes a Resource; `parent` is an index."""

    level: str
    title: str
    start: int
    end: int
    headings: tuple[int, ...]
    parent: int | None = None


def _body(lines: Sequence[Line], file_name: str) -> tuple[list[int], int]:
    """The chapter lines, and the last line of the body: a back cover repeating the
    cover (« MARS 2022 » again after the last chapter) is no chapter's."""
    chapters = [line.number for line in lines if line.kind is Kind.CHAPTER]
    if not chapters:
        raise SeedFileError(file_name, "has no « Chapitre N » heading: not a catalogue export")
    cover = {fold(line.text) for line in lines[: chapters[0] - 1] if line.text}
    content = [line for line in lines if line.kind is not Kind.BLANK]
    while content and content[-1].number > chapters[-1] and fold(content[-1].text) in cover:
        content.pop()
    return chapters, content[-1].number


def _next_content(lines: Sequence[Line], number: int, end: int) -> Line | None:
    """The first non-blank line after line `number`, up to `end`."""
    return next((ln for ln in lines[number:end] if ln.kind is not Kind.BLANK), None)


def _last_content(lines: Sequence[Line], start: int, stop: int, *, footer: bool = True) -> int:
    """The last non-blank line before line `stop` (footer lines skipped unless `footer`)."""
    for line in reversed(lines[start - 1 : stop - 1]):
        if line.kind is not Kind.BLANK and (footer or line.kind is not Kind.FOOTER):
            return line.number
    return start


def _entries(gap: Sequence[Line]) -> int:
    """How many entries a stretch of content holds: each link line closes one."""
    links = [i for i, line in enumerate(gap) if line.kind is Kind.LINK]
    trailing = len(gap) - (links[-1] + 1 if links else 0)
    return len(links) + (1 if trailing else 0)


def _section_headings(lines: Sequence[Line], start: int, end: int) -> list[int]:
    """Section headings of a chapter body: in each run of titles, those the following
    entries do not account for, i.e. the first (run length − entries) of the run."""
    items = [ln for ln in lines[start - 1 : end] if ln.kind is not Kind.BLANK]
    headings: list[int] = []
    i = 0
    while i < len(items):
        j = i
        while j < len(items) and items[j].kind is Kind.TITLE:
            j += 1
        k = j
        while k < len(items) and items[k].kind not in (Kind.TITLE, Kind.CHAPTER):
            k += 1
        extra = (j - i) - _entries(items[j:k])
        headings.extend(line.number for line in items[i : i + max(extra, 0)])
        i = max(k, i + 1)
    return _overridden(headings, items)


def _overridden(headings: list[int], items: Sequence[Line]) -> list[int]:
    forced = {ln.number: LAYOUT_OVERRIDES[fold(ln.text)] for ln in items
              if ln.kind is Kind.TITLE and fold(ln.text) in LAYOUT_OVERRIDES}
    kept = {n for n in headings if forced.get(n, True)} | {n for n, on in forced.items() if on}
    return sorted(kept)


def _chapter_units(lines: Sequence[Line], file_name: str) -> list[Unit]:
    chapters, body_end = _body(lines, file_name)
    units = []
    for i, start in enumerate(chapters):
        stop = chapters[i + 1] if i + 1 < len(chapters) else body_end + 1
        title = _next_content(lines, start, stop - 1)
        if title is None:
            raise SeedFileError(file_name, f"line {start}: « Chapitre » heading without a title")
        end = _last_content(lines, start, stop)
        units.append(Unit("chapter", title.text, start, end, (start, title.number)))
    return units


def _section_units(lines: Sequence[Line], chapter: Unit, index: int) -> list[Unit]:
    """Sections of one chapter; a heading repeated right after its own section continues it."""
    heads = _section_headings(lines, chapter.headings[-1] + 1, chapter.end)
    sections: list[Unit] = []
    for n, head in enumerate(heads):
        title = lines[head - 1].text
        stop = heads[n + 1] if n + 1 < len(heads) else chapter.end + 1
        end = _last_content(lines, head, stop, footer=False)
        if sections and fold(sections[-1].title) == fold(title):
            sections[-1] = replace(sections[-1], end=end, headings=(*sections[-1].headings, head))
        else:
            sections.append(Unit("section", title, head, end, (head,), index))
    return sections


def _is_entry_title(lines: Sequence[Line], line: Line, end: int) -> bool:
    following = _next_content(lines, line.number, end)
    return following is not None and (
        following.kind is Kind.LINK or following.text.startswith("- ")
    )


def _fiche_anchors(lines: Sequence[Line], start: int, end: int) -> list[tuple[int, int]]:
    """(title line, line the fiche body starts from) for each fiche in lines start..end."""
    anchors = []
    for line in lines[start - 1 : end]:
        if line.kind is Kind.TITLE and TECHNICAL_TITLE.match(line.text):
            anchors.append((line.number, line.number))
        elif line.kind is Kind.HEADER and lines[line.number - 2].kind is not Kind.HEADER:
            titles = [t for t in lines[start - 1 : line.number - 1] if t.kind is Kind.TITLE]
            anchors.append((titles[-1].number if titles else line.number, line.number))
    return anchors


def _fiche_stop(lines: Sequence[Line], body: int, end: int, heads: set[int]) -> int:
    """The line that ends a fiche whose body starts at `body`: the next section heading,
    technical fiche or entry title (a title over a `- publisher` or link line), else `end + 1`.
    A capitals line inside the fiche (« APRES » over running text) does not end it."""
    for line in lines[body:end]:
        if line.number in heads:
            return line.number
        if line.kind is Kind.TITLE and (
            TECHNICAL_TITLE.match(line.text) or _is_entry_title(lines, line, end)
        ):
            return line.number
    return end + 1


def _fiche_units(lines: Sequence[Line], parent: Unit, index: int, heads: set[int]) -> list[Unit]:
    """Fiches inside `parent`, each from its entry title to the line before the next entry."""
    first = parent.headings[-1] + 1
    fiches = []
    for title, body in _fiche_anchors(lines, first, parent.end):
        stop = _fiche_stop(lines, body, parent.end, heads)
        end = _last_content(lines, title, stop, footer=False)
        fiches.append(Unit("fiche", lines[title - 1].text, title, end, (title,), index))
    return fiches


def find_units(lines: Sequence[Line], file_name: str) -> list[Unit]:
    """Chapters, then each chapter's sections and fiches, in reading order."""
    units: list[Unit] = []
    for chapter in _chapter_units(lines, file_name):
        units.append(chapter)
        chapter_index = len(units) - 1
        sections = _section_units(lines, chapter, chapter_index)
        heads = {h for s in sections for h in s.headings}
        lead = replace(chapter, end=sections[0].start - 1) if sections else chapter
        units.extend(_fiche_units(lines, lead, chapter_index, heads))
        for section in sections:
            units.append(section)
            units.extend(_fiche_units(lines, section, len(units) - 1, heads))
    return units
