"""Parse the RTES catalogue export (« Politique de la ville & ESS »): chapters, sections, fiches.

The lines are classified in `catalogue_lines`, the structure found in `catalogue_units`;
here each unit becomes a Resource. Every line belongs to the deepest unit that contains
it; a unit's paragraphs are its own lines, cleaned of markdown, without the link lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from indexer.catalogue_lines import NUMBER, Kind, Line, classify, fold
from indexer.catalogue_units import Unit, find_units
from indexer.documents import Paragraph, Resource, Source
from indexer.text import find_month_year, slugify

_ENTRY_YEAR = re.compile(r"[,.]\s*((?:19|20)\d\d)(?:\s*-\s*(?:19|20)\d\d)?$")
_KEYWORDS = re.compile(r"^mots-cles\s*:\s*", re.IGNORECASE)
_SENTENCE_PUNCT = re.compile(r"[.!?;,…](?:\s|$)")


def _own_lines(units: Sequence[Unit], index: int) -> list[int]:
    """Lines of a unit outside its children (each line goes to its deepest unit)."""
    unit = units[index]
    taken = {n for child in units if child.parent == index
             for n in range(child.start, child.end + 1)}
    return [n for n in range(unit.start, unit.end + 1) if n not in taken]


def _is_date_line(text: str) -> bool:
    return find_month_year(text) is not None and len(text.split()) <= 3


def _is_subheading(line: Line) -> bool:
    """A fiche's short label (« Financement », « CONTACT: », « Contexte »), not a sentence."""
    text = line.text
    return (
        line.kind in (Kind.TEXT, Kind.TITLE)
        and len(text.split()) <= 6
        and not _SENTENCE_PUNCT.search(text.rstrip(" :"))
        and not _is_date_line(text)
        and not _KEYWORDS.match(fold(text))
        and not text.startswith("- ")
        and not text[0].isdigit()
        and "@" not in text
        and "://" not in text
    )


def _is_heading(line: Line, block_start: bool, fiche: bool) -> bool:
    return line.kind is Kind.TITLE or (fiche and block_start and _is_subheading(line))


def _blocks(lines: Sequence[Line], numbers: Iterable[int], skip: set[int]) -> list[list[Line]]:
    """Runs of consecutive text lines; blank, skipped or missing lines end a run."""
    blocks: list[list[Line]] = []
    previous = -1
    for n in numbers:
        line = lines[n - 1]
        if line.kind in (Kind.BLANK, Kind.LINK, Kind.HEADER, Kind.FOOTER) or n in skip:
            continue
        if n != previous + 1 or not blocks:
            blocks.append([])
        blocks[-1].append(line)
        previous = n
    return blocks


def _paragraphs(lines: Sequence[Line], units: Sequence[Unit], index: int) -> tuple[Paragraph, ...]:
    """A unit's own text: one paragraph per heading (its own section) and per run of text
    lines under it; entry titles and fiche labels are the headings."""
    unit = units[index]
    fiche = unit.level == "fiche"
    result: list[Paragraph] = []
    section: str | None = None
    for block in _blocks(lines, _own_lines(units, index), set(unit.headings)):
        run: list[Line] = []
        for position, line in enumerate(block):
            if _is_heading(line, position == 0, fiche):
                result.extend(_joined(run, section))
                run, section = [], line.text.rstrip(" :")
                result.append(Paragraph(line.text, line.number, line.number, section))
            else:
                run.append(line)
        result.extend(_joined(run, section))
    return tuple(result)


def _joined(run: Sequence[Line], section: str | None) -> list[Paragraph]:
    if not run:
        return []
    text = " ".join(line.text for line in run)
    return [Paragraph(text, run[0].number, run[-1].number, section)]


def _fiche_date(lines: Sequence[Line], unit: Unit, limit: int) -> str | None:
    """Its own « Juliet 2019 » line, else the year of its entry line, else of the next one."""
    own = lines[unit.start - 1 : unit.end]
    for line in own:
        if line.kind in (Kind.TEXT, Kind.TITLE) and _is_date_line(line.text):
            return find_month_year(line.text)
    for line in [*own, *lines[unit.end : limit]]:
        match = _ENTRY_YEAR.search(line.text)
        if line.text.startswith("- ") and match:
            return match.group(1)
    return None


def _keywords(lines: Sequence[Line], unit: Unit) -> tuple[str, ...]:
    """« Mots-clés : a, b », the values possibly continuing on the next lines."""
    own = lines[unit.start - 1 : unit.end]
    start = next((i for i, ln in enumerate(own) if _KEYWORDS.match(fold(ln.text))), None)
    if start is None:
        return ()
    parts = [own[start].text.split(":", 1)[1]]
    for line in own[start + 1 : start + 5]:
        if line.kind is Kind.BLANK and "".join(parts).strip():
            break
        if _is_date_line(line.text):
            break
        parts.append(line.text)
    words = " ".join(parts).split(",")
    return tuple(w.strip() for w in words if w.strip())


def _fiche_number(lines: Sequence[Line], unit: Unit) -> str | None:
    for line in lines[unit.start - 1 : unit.end]:
        match = NUMBER.match(line.text)
        if match and line.kind in (Kind.NUMBER, Kind.LINK):
            return match.group(1)
    return None


def _ids(units: Sequence[Unit]) -> list[str]:
    """`catalogue-<level>-<slug>`, with `-2`, `-3`… should two units share a slug."""
    ids: list[str] = []
    for unit in units:
        base = f"catalogue-{unit.level}-{slugify(unit.title)}"
        candidate, n = base, 1
        while candidate in ids:
            n += 1
            candidate = f"{base}-{n}"
        ids.append(candidate)
    return ids


def _cover_date(lines: Sequence[Line], units: Sequence[Unit]) -> str | None:
    """The catalogue's month, from its cover (the lines before the first chapter)."""
    cover = lines[: units[0].start - 1]
    return next((d for d in (find_month_year(ln.text) for ln in cover) if d), None)


def parse_catalogue(file_name: str, text: str) -> list[Resource]:
    """Chapters and sections (kind `catalogue`) and embedded fiches (kind `fiche`)."""
    lines = classify(text)
    units = find_units(lines, file_name)
    ids = _ids(units)
    cover_date = _cover_date(lines, units)
    resources = []
    for i, unit in enumerate(units):
        fiche = unit.level == "fiche"
        limit = units[unit.parent].end if unit.parent is not None else unit.end
        resources.append(Resource(
            id=ids[i],
            title=unit.title,
            kind="fiche" if fiche else "catalogue",
            private=False,
            source=Source(file_name, unit.start, unit.end),
            paragraphs=_paragraphs(lines, units, i),
            date=_fiche_date(lines, unit, limit) if fiche else cover_date,
            keywords=_keywords(lines, unit) if fiche else (),
            fiche_number=_fiche_number(lines, unit) if fiche else None,
            level=unit.level,
            parent=ids[unit.parent] if unit.parent is not None else None,
        ))
    return resources
