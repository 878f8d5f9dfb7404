"""PDFs written by a real PDF writer (reportlab) from seed text, for the PDF tests.

Laid out as RTES's documents are: A4, a cover title, headings in a larger bold font,
body text wrapped to the column with long words hyphenated at line ends, a running
header and footer with the page number, and an outline (bookmarks) when asked.
`invariant=1` makes the bytes the same at every run, so ids and hashes are stable.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

BODY_FONT, BODY_SIZE, LEADING = "Helvetica", 10.5, 14.0
HEADING_FONT = "Helvetica-Bold"
HEADING_SIZES = {"title": 20.0, "h1": 16.0, "h2": 12.5}
MARGIN, TOP, BOTTOM = 64.0, 770.0, 80.0
WIDTH = A4[0] - 2 * MARGIN
_VOWELS = set("aeiouyéèêàâîïôûùœ")


@dataclass(frozen=True)
class Block:
    kind: str  # "title", "h1", "h2" or "p"
    text: str


def _split_word(word: str, room: float, size: float) -> tuple[str, str] | None:
    """`word` cut as « dévelop- » + « pement » so the first part fits in `room`; only
    plain words of 8+ letters, after a vowel followed by a consonant, 3+ letters a side."""
    if len(word) < 8 or not word.isalpha():
        return None
    for cut in range(len(word) - 3, 2, -1):
        head = word[:cut]
        if (head[-1].lower() in _VOWELS and word[cut].lower() not in _VOWELS
                and stringWidth(head + "-", BODY_FONT, size) <= room):
            return head + "-", word[cut:]
    return None


def wrap(text: str, width: float = WIDTH, size: float = BODY_SIZE,
         font: str = BODY_FONT, hyphenate: bool = True) -> list[str]:
    """Lines of `text` that fit in `width`, a long word hyphenated where it overflows."""
    lines: list[str] = []
    current = ""
    words = text.split()
    i = 0
    while i < len(words):
        word = words[i]
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= width:
            current = candidate
            i += 1
            continue
        room = width - stringWidth(current + " ", font, size) if current else width
        cut = _split_word(word, room, size) if hyphenate else None
        if cut is not None:
            lines.append(f"{current} {cut[0]}" if current else cut[0])
            words[i] = cut[1]
        else:
            lines.append(current or word)
            i += 0 if current else 1
        current = ""
    if current:
        lines.append(current)
    return lines


def write_pdf(blocks: Sequence[Block], *, title: str | None = None, outline: bool = True,
              header: str | None = None, footer: str | None = None,
              cover: bool = True) -> bytes:
    """The PDF's bytes. `h1` blocks start a new page and, with `outline`, are bookmarks
    (`h2` below them); the header and footer run on every page (but the first when it
    is a `cover`)."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=0)
    if title:
        canvas.setTitle(title)
    canvas.setAuthor("RTES")
    state = {"page": 1, "y": TOP, "bookmarks": 0}

    def furniture() -> None:
        if state["page"] > 1 or not cover:
            canvas.setFont(BODY_FONT, 8.5)
            if header:
                canvas.drawString(MARGIN, 805, header)
            if footer:
                canvas.drawString(MARGIN, 40, footer)
            canvas.drawRightString(A4[0] - MARGIN, 40, str(state["page"]))

    def new_page() -> None:
        furniture()
        canvas.showPage()
        state["page"] += 1
        state["y"] = TOP

    def need(height: float) -> None:
        if state["y"] - height < BOTTOM:
            new_page()

    for index, block in enumerate(blocks):
        if block.kind in HEADING_SIZES:
            size = HEADING_SIZES[block.kind]
            if block.kind == "h1" and index > 0 and state["y"] < TOP:
                new_page()
            lines = wrap(block.text, size=size, font=HEADING_FONT, hyphenate=False)
            need(len(lines) * size * 1.3 + LEADING * 2)
            state["y"] -= 8 if block.kind != "title" else 0
            top = state["y"] + size
            for line in lines:
                canvas.setFont(HEADING_FONT, size)
                canvas.drawString(MARGIN, state["y"], line)
                state["y"] -= size * 1.3
            if outline and block.kind in ("h1", "h2"):
                key = f"b{state['bookmarks']}"
                state["bookmarks"] += 1
                canvas.bookmarkHorizontal(key, 0, top)
                canvas.addOutlineEntry(block.text, key, level=0 if block.kind == "h1" else 1)
            state["y"] -= 6
        else:
            for line in wrap(block.text):
                need(LEADING)
                canvas.setFont(BODY_FONT, BODY_SIZE)
                canvas.drawString(MARGIN, state["y"], line)
                state["y"] -= LEADING
            state["y"] -= 8
    furniture()
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def write_scan(pages: int = 2) -> bytes:
    """A PDF of page images only, as a scanner makes it: no text layer at all."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (600, 840), 255)
    draw = ImageDraw.Draw(image)
    for row in range(60, 800, 22):
        draw.rectangle((50, row, 540 - (row * 7) % 120, row + 9), fill=40)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=1)
    from reportlab.lib.utils import ImageReader

    for _ in range(pages):
        canvas.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, *A4)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


_CHAPTER = re.compile(r"^Chapitre\s+\d+$")
_REFERENCE_LINK = re.compile(r"^\[>>.*\]\(#\)$")


def catalogue_blocks(seed: Path) -> list[Block]:
    """The « Politique de la ville & ESS » catalogue (seed 004) laid out as its PDF:
    the cover, each chapter a heading on a new page, section titles as smaller headings
    (the capitalised lines), every other line of text a paragraph."""
    lines = [" ".join(line.split()) for line in seed.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and not _REFERENCE_LINK.match(line)]
    blocks = [Block("title", "Catalogue de ressources Politique de la ville & ESS"),
              Block("p", "Mars 2022")]
    chapter: str | None = None
    for line in lines[2:]:
        if _CHAPTER.match(line):
            chapter = line
            continue
        if chapter is not None:
            blocks.append(Block("h1", f"{chapter} - {line}"))
            chapter = None
        elif line.isupper() and len(line) > 12:
            blocks.append(Block("h2", line))
        else:
            blocks.append(Block("p", line.lstrip("- ").strip()))
    return blocks


def catalogue_pdf(seed: Path) -> bytes:
    return write_pdf(catalogue_blocks(seed),
                     title="Catalogue de ressources Politique de la ville & ESS",
                     header="Catalogue de ressources Politique de la ville & ESS",
                     footer="RTES - Réseau des collectivités Territoriales pour une Économie "
                            "Solidaire - mars 2022")


SEMINAR_TITLE = "Actes du séminaire national Politique de la ville et ESS - 15 décembre 2015"
SEMINAR_FOOTER = "Actes du séminaire national - Plaine Commune"


def seminar_blocks(seed: Path) -> list[Block]:
    """The 2015 seminar page (seed 003) as its « Actes »: a title, two headings set in a
    larger font (no outline), each line of the page a paragraph."""
    lines = [" ".join(line.split()) for line in seed.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines[1:] if line and set(line) != {"-"}]
    blocks = [Block("title", SEMINAR_TITLE)]
    for line in lines:
        if line.startswith("La journée était organisée"):
            blocks.append(Block("h2", "Les tables rondes et les ateliers"))
        elif line.startswith("Retrouvez ci-dessous"):
            blocks.append(Block("h2", "Vidéos et documents"))
        blocks.append(Block("p", line))
    return blocks


def seminar_pdf(seed: Path) -> bytes:
    return write_pdf(seminar_blocks(seed), outline=False, footer=SEMINAR_FOOTER, cover=False)
