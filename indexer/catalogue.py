"""Parse the RTES catalogue export (« Politique de la ville & ESS »): chapters, sections, fiches.

The export is OCR text with no markup that tells a section heading from an entry
title: both are lines in capitals. What tells them apart is the layout. An entry
is a title followed by its publisher line (`- Avise, guide, 2016`) and a
« Pour accéder à la ressource » link; a section heading is a title with no entry
of its own, so it sits right above its first entry's title. Where the export
stacked several entry titles above their entries (chapter 3), the entries that
follow account for every title, and none is a heading.

Embedded fiches start at the entry title above their « DÉNICHÉ POUR VOUS » or
« FICHE EXPÉRIENCE » header (or at a `#18 …` technical-fiche title) and run to
the line before the next entry, section or chapter.

Every line belongs to the deepest unit that contains it; a unit's paragraphs are
its own lines, cleaned of markdown, without the link lines.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from enum import StrEnum
from types import MappingProxyType

from indexer.clean import SITE_NAME
from indexer.documents import Paragraph, Resource, Source
from indexer.errors import SeedFileError
from indexer.text import find_month_year, fold_accents, normalize_line, slugify

# The export put one entry title below its entry (« L'ACCÈS À LA CULTURE… » titles the
# « Villes et Territoires » entry under CULTURE), so there alone the layout says the
# opposite of the printed catalogue. Keys are folded titles; True forces a section heading.
LAYOUT_OVERRIDES: Mapping[str, bool] = MappingProxyType({
    "culture": True,
    "l'acces a la culture en politique de la ville": False,
})
# The publisher's signature (the site's name, older or current) closes the export; like a
# page footer it belongs to no section.
_FICHE_HEADERS = ("deniche pour vous", "fiche experience")
_LINK_WORDS = "pour acceder a la ressource"

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_CHAPTER = re.compile(r"^chapitre\s+\d+$")
_NUMBER = re.compile(r"^n°\s*(\d+)\b", re.IGNORECASE)
_TECHNICAL_TITLE = re.compile(r"^#\d+\s")
_ENTRY_YEAR = re.compile(r"[,.]\s*((?:19|20)\d\d)(?:\s*-\s*(?:19|20)\d\d)?$")
_KEYWORDS = re.compile(r"^mots-cles\s*:\s*", re.IGNORECASE)
_SENTENCE_PUNCT = re.compile(r"[.!?;,…](?:\s|$)")
_FICHE_NAME = re.compile(r"^.*?\bn°\s*\d+\s*[:\-–]\s*")
TITLE_MATCH = 0.85  # similarity of folded titles for a same-fiche match without a number


class Kind(StrEnum):
    BLANK = "blank"
    LINK = "link"
    CHAPTER = "chapter"
    HEADER = "header"
    NUMBER = "number"
    TITLE = "title"
    FOOTER = "footer"
    TEXT = "text"


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    kind: Kind


@dataclass(frozen=True)
class Unit:
    """A chapter, section or fiche before it becomes a Resource; `parent` is an index."""

    level: str
    title: str
    start: int
    end: int
    headings: tuple[int, ...]
    parent: int | None = None


def clean_line(raw: str) -> str:
    """A line as paragraphs show it: normalised, without `**`, `*`, `# ` and `[..](#)` wrappers."""
    text = _AUTOLINK.sub(r"\1", _MD_LINK.sub(r"\1", normalize_line(raw)))
    return _MD_HEADING.sub("", normalize_line(text.replace("*", "")))


def _fold(text: str) -> str:
    return fold_accents(text).lower().replace("’", "'")


# --- line classes -------------------------------------------------------------------------


def _is_title(text: str) -> bool:
    """Capitals (OCR slips allowed: « AGRICULTURE URBaine ») or a `#18 …` technical title."""
    if _TECHNICAL_TITLE.match(text):
        return True
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2 or text.endswith(":") or text.startswith("- "):
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= 0.75


def _kind(text: str) -> Kind:
    folded = _fold(text)
    if not text:
        return Kind.BLANK
    if _LINK_WORDS in folded:
        return Kind.LINK
    if _CHAPTER.match(folded):
        return Kind.CHAPTER
    if _NUMBER.match(text) and _NUMBER.sub("", text).strip() == "":
        return Kind.NUMBER
    if SITE_NAME.fullmatch(folded):
        return Kind.FOOTER
    return Kind.TITLE if _is_title(text) else Kind.TEXT


def _header_lines(lines: Sequence[Line]) -> set[int]:
    """Lines of a fiche header, whole or split over lines (`**DÉNICHÉ / POUR / VOUS**`)."""
    found: set[int] = set()
    for i, line in enumerate(lines):
        if line.kind is Kind.BLANK or (i and lines[i - 1].kind is not Kind.BLANK):
            continue
        words = ""
        for following in lines[i:]:
            if following.kind is Kind.BLANK:
                break
            words = f"{words} {_fold(following.text)}".strip()
            if words in _FICHE_HEADERS:
                found.update(range(line.number, following.number + 1))
                break
            if not any(h.startswith(words) for h in _FICHE_HEADERS):
                break
    return found


def classify(text: str) -> list[Line]:
    """Every line of the export, 1-based, cleaned and classified."""
    cleaned = [clean_line(raw) for raw in text.split("\n")]
    lines = [Line(n, line, _kind(line)) for n, line in enumerate(cleaned, start=1)]
    headers = _header_lines(lines)
    return [replace(line, kind=Kind.HEADER) if line.number in headers else line for line in lines]


# --- structure ----------------------------------------------------------------------------


def _body(lines: Sequence[Line], file_name: str) -> tuple[list[int], int]:
    """The chapter lines, and the last line of the body: a back cover repeating the
    cover (« MARS 2022 » again after the last chapter) is no chapter's."""
    chapters = [line.number for line in lines if line.kind is Kind.CHAPTER]
    if not chapters:
        raise SeedFileError(file_name, "has no « Chapitre N » heading: not a catalogue export")
    cover = {_fold(line.text) for line in lines[: chapters[0] - 1] if line.text}
    content = [line for line in lines if line.kind is not Kind.BLANK]
    while content and content[-1].number > chapters[-1] and _fold(content[-1].text) in cover:
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
    forced = {ln.number: LAYOUT_OVERRIDES[_fold(ln.text)] for ln in items
              if ln.kind is Kind.TITLE and _fold(ln.text) in LAYOUT_OVERRIDES}
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
        if sections and _fold(sections[-1].title) == _fold(title):
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
        if line.kind is Kind.TITLE and _TECHNICAL_TITLE.match(line.text):
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
            _TECHNICAL_TITLE.match(line.text) or _is_entry_title(lines, line, end)
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


# --- text and metadata --------------------------------------------------------------------


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
        and not _KEYWORDS.match(_fold(text))
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
    start = next((i for i, ln in enumerate(own) if _KEYWORDS.match(_fold(ln.text))), None)
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
        match = _NUMBER.match(line.text)
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


# --- same fiche on the website and in the catalogue ---------------------------------------


def fiche_name(title: str) -> str:
    """« Fiche Déniché pour vous n°97 : Migracoop » → « Migracoop »; other titles unchanged."""
    return _FICHE_NAME.sub("", normalize_line(title)) or title


def _title_key(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", _fold(fiche_name(title))))


def same_fiche(catalogue: Resource, other: Resource) -> bool:
    """By fiche number where the catalogue copy has one, else by a tolerant title match
    (the catalogue's OCR writes « Migrcoop » for Migracoop)."""
    if catalogue.fiche_number:
        return catalogue.fiche_number == other.fiche_number
    a, b = _title_key(catalogue.title), _title_key(other.title)
    return bool(a and b) and SequenceMatcher(None, a, b).ratio() >= TITLE_MATCH


def link_same_as(resources: list[Resource]) -> list[Resource]:
    """The resources, each catalogue fiche and its website copy naming each other in `same_as`."""
    copies = [r for r in resources if r.level == "fiche"]
    originals = [r for r in resources if r.level is None and r.kind == "fiche"]
    links: dict[str, list[str]] = defaultdict(list)
    for copy in copies:
        for original in originals:
            if same_fiche(copy, original):
                links[copy.id].append(original.id)
                links[original.id].append(copy.id)
    return [
        replace(r, same_as=tuple(dict.fromkeys((*r.same_as, *links[r.id]))))
        if r.id in links else r
        for r in resources
    ]
