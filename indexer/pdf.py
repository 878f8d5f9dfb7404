"""Read one PDF document (a catalogue, a fiche, a study) as a resource.

pypdf gives each page's text runs with their position and font size. From them:
lines in reading order, numbered within their page; running headers, footers and
page numbers dropped (a line in a page's margin that comes back on most pages);
headings from the outline (bookmarks) or a font larger than the body's, kept as
sections; words hyphenated at a line end joined again; paragraphs where the gap
between lines opens up. Each paragraph keeps its page and lines, so a passage
cites « p. 12 ». A PDF without any text (a scan) is refused by name: it needs OCR.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from indexer import clean, metadata
from indexer.documents import Paragraph, Resource, Source
from indexer.errors import NeedsOcrError, SeedFileError
from indexer.html_meta import folded
from indexer.pdf_lines import PageLine, drop_running_lines, page_lines, runs
from indexer.text import normalize_line

HEADING_RATIO = 1.15  # a line this much larger than the body text is a heading
PARAGRAPH_GAP = 1.35  # a gap this much wider than the usual line spacing starts a paragraph
_HYPHENATED = re.compile(r"(\w+)[-\u00ad]$")
_FIRST_WORD = re.compile(r"^(\w+(?:-\w+)*)(.*)$", re.DOTALL)
_LONE_DATE = re.compile(clean.DATE)
_JUNK_TITLES = re.compile(r"^(?:untitled|sans titre|microsoft \w+ - .*|.*\.(?:docx?|odt|pdf))$",
                          re.IGNORECASE)


def body_size(lines: Sequence[PageLine]) -> float:
    """The font size most of the text is set in (by characters)."""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def outline_entries(reader: PdfReader) -> set[tuple[int, str]]:
    """(page, folded title) of each entry of the PDF's outline (its bookmarks)."""
    entries: set[tuple[int, str]] = set()

    def walk(items: Sequence[object]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            elif getattr(item, "title", None):
                page = reader.get_destination_page_number(item)  # type: ignore[arg-type]
                entries.add((page + 1, folded(str(item.title))))  # type: ignore[attr-defined]

    try:
        walk(reader.outline)
    except (PyPdfError, KeyError, ValueError, TypeError, AttributeError):
        return set()  # a broken outline: the font sizes still give the headings
    return entries


def mark_headings(pages: list[list[PageLine]], outline: set[tuple[int, str]]
                  ) -> list[list[PageLine]]:
    """Headings: lines set larger than the body, or the first line of the page an outline
    entry points to that prints its title (the same words lower down stay text)."""
    size = body_size([li for page in pages for li in page])
    todo = set(outline)
    marked = []
    for page in pages:
        lines = []
        for li in page:
            entry = (li.page, folded(li.text))
            in_outline = entry in todo
            todo.discard(entry)
            lines.append(replace(li, heading=in_outline or li.size >= size * HEADING_RATIO))
        marked.append(lines)
    return marked


def _drop_hyphen(head: str, tail: str, vocabulary: set[str]) -> bool:
    """« dévelop- » + « pement » is one word; « Seine- » + « Saint-Denis » and a compound
    the document writes with its hyphen elsewhere (« tiers-lieu ») keep the hyphen."""
    if not tail[:1].islower():
        return False
    return f"{head}-{tail}".lower() not in vocabulary or f"{head}{tail}".lower() in vocabulary


def repair_hyphens(lines: list[PageLine]) -> list[PageLine]:
    """A word cut at a line end (also at a page end) joined on the first line."""
    vocabulary = {w.lower() for li in lines for w in re.findall(r"\w+(?:-\w+)*", li.text)}
    out = list(lines)
    for i in range(len(out) - 1):
        current, following = out[i], out[i + 1]
        cut, rest = _HYPHENATED.search(current.text), _FIRST_WORD.match(following.text)
        if cut is None or rest is None or current.heading or following.heading:
            continue
        joiner = "" if _drop_hyphen(cut.group(1), rest.group(1), vocabulary) else "-"
        out[i] = replace(current, text=current.text[: cut.start()] + cut.group(1) + joiner
                         + rest.group(1))
        out[i + 1] = replace(following, text=rest.group(2).strip())
    return out


def _spacing(lines: Sequence[PageLine]) -> float:
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:], strict=False)
            if a.page == b.page and not a.heading and not b.heading and a.y > b.y]
    # Not the median: in a catalogue most paragraphs are one line, so the usual gap is
    # between paragraphs; the line spacing is the small gap that still comes back often.
    return sorted(gaps)[len(gaps) // 7] if gaps else 0.0


def paragraphs_of(lines: Sequence[PageLine]) -> list[Paragraph]:
    """Lines grouped into paragraphs of one page each, under the last heading."""
    spacing = _spacing(lines)
    paragraphs: list[Paragraph] = []
    section: str | None = None
    current: list[PageLine] = []

    def close() -> None:
        if current:
            text = normalize_line(" ".join(li.text for li in current))
            paragraphs.append(Paragraph(text, current[0].number, current[-1].number, section,
                                        current[0].page))
            current.clear()

    previous: PageLine | None = None
    for line in lines:
        if line.heading:
            close()
            joined = (previous is not None and previous.heading and previous.page == line.page
                      and abs(previous.size - line.size) < 0.1
                      and previous.y - line.y < line.size * 1.6)  # a heading on two lines
            section = f"{section} {line.text}" if joined and section else line.text
        elif not line.text:
            pass
        else:
            wide = (previous is not None and spacing
                    and previous.y - line.y > spacing * PARAGRAPH_GAP)
            if previous is None or previous.heading or previous.page != line.page or wide:
                close()
            current.append(line)
        previous = line
    close()
    return paragraphs


def _is_metadata(line: PageLine, first_page: int) -> bool:
    """A keywords line (its words are the keywords) or the cover's date alone on a line."""
    return metadata.is_keywords_line(line.text) or (
        line.page == first_page and bool(_LONE_DATE.fullmatch(clean.fold(line.text))))


def _title(reader: PdfReader, lines: list[PageLine]) -> tuple[str, list[PageLine]]:
    """The document's /Title when it is one, else the largest line(s) of the first page;
    with the lines of the first page that print it."""
    info = reader.metadata
    declared = normalize_line(str(info.title)) if info is not None and info.title else ""
    first = [li for li in lines if li.page == lines[0].page]
    top = max(li.size for li in first)
    biggest = [li for li in first if li.size == top]
    largest = normalize_line(" ".join(li.text for li in biggest))
    if declared and not _JUNK_TITLES.match(declared):
        same = folded(largest) == folded(declared)
        return declared, biggest if same else [li for li in first
                                               if folded(li.text) == folded(declared)][:1]
    return largest, biggest


def _open(file_name: str, data: bytes) -> PdfReader:
    if not data.strip():
        raise SeedFileError(file_name, "is empty")
    if not data.lstrip()[:5] == b"%PDF-":
        raise SeedFileError(file_name, "is not a PDF (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise SeedFileError(file_name, "is encrypted: it needs its password removed")
        len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise SeedFileError(file_name, f"cannot be read as a PDF ({exc})") from exc
    return reader


def _lines(file_name: str, reader: PdfReader) -> list[list[PageLine]]:
    try:
        return [page_lines(n, runs(page)) for n, page in enumerate(reader.pages, 1)]
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise SeedFileError(file_name, f"cannot be read as a PDF ({exc})") from exc


def parse_pdf(file_name: str, data: bytes) -> Resource:
    """One PDF as one resource, its headings as sections, its passages cited by page."""
    reader = _open(file_name, data)
    pages = _lines(file_name, reader)
    if not any(pages):
        raise NeedsOcrError(file_name, f"has no text layer ({len(pages)} page(s) of images, "
                            "a scan?): run OCR on it before it can be indexed")
    pages = mark_headings(drop_running_lines(pages), outline_entries(reader))
    lines = [li for page in pages for li in page if clean.furniture(li.text) is None]
    title, title_lines = _title(reader, lines)
    lines = repair_hyphens([li for li in lines if all(li is not t for t in title_lines)])
    paragraphs = paragraphs_of([li for li in lines if not _is_metadata(li, lines[0].page)])
    if not paragraphs:
        raise SeedFileError(file_name, "holds no text besides its title")
    texts = [li.text for li in lines]
    published, updated = metadata.own_dates(texts)
    cover = [li.text for li in lines if li.page == lines[0].page
             and _LONE_DATE.fullmatch(clean.fold(li.text))]
    keywords = [li.text for li in lines if metadata.is_keywords_line(li.text)]
    found = [metadata.split_keywords_line(line) for line in keywords]
    date = metadata.page_date(published=published, fields=(metadata.find_date(cover),),
                              title=title, updated=updated)
    kind = metadata.detect_kind(title, paragraphs[0].text)
    if kind == metadata.DEFAULT_KIND and "catalogue" in folded(title).split():
        kind = "catalogue"
    number = metadata.fiche_number(title) if kind == "fiche" else None
    where = title_lines or [lines[0]]
    return Resource(
        id=metadata.resource_id(kind, title, date, number),
        title=title,
        kind=kind,
        private=False,
        source=Source(file_name, where[0].number, where[-1].number, where[0].page),
        paragraphs=tuple(paragraphs),
        date=date,
        updated=updated,
        keywords=metadata.unique_keywords(k for words, _d, _u in found for k in words),
        fiche_number=number,
    )
