"""A PDF's pages as lines: text runs joined on their baseline, running lines dropped.

pypdf gives each page's text runs with their position and font size; a line in a page's
margin whose text (numbers aside) comes back on most pages is a running header or footer,
and a number alone in a margin that follows the pages' order is a page number.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.html_meta import folded
from indexer.text import normalize_line

MARGIN_LINES = 2  # lines at the top and bottom of a page that may be running furniture
_PAGE_NUMBER = re.compile(
    r"(?:page|p\.?)?\s*[-–]?\s*(\d{1,4})\s*[-–]?(?:\s*(?:/|sur)\s*\d{1,4})?", re.IGNORECASE)


@dataclass(frozen=True)
class PageLine:
    """A line of text on a page: its 1-based number there, baseline, font size."""

    page: int
    number: int
    text: str
    y: float
    size: float
    heading: bool = False


def runs(page: object) -> list[tuple[float, float, float, str]]:
    """(x, y, font size, text) of each text run of a pypdf page, in user space."""
    runs: list[tuple[float, float, float, str]] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], _font: object,
              size: float) -> None:
        if not text.strip():
            return
        a, b, c, d, e, f = cm
        x = tm[4] * a + tm[5] * c + e
        y = tm[4] * b + tm[5] * d + f
        scale = math.hypot(tm[2] * a + tm[3] * c, tm[2] * b + tm[3] * d) or 1.0
        effective = size * scale
        for offset, part in enumerate(text.split("\n")):
            if part.strip():
                runs.append((x, y - offset * effective * 1.2, effective, part))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return runs


def _glyphs(text: str) -> str:
    """A bullet drawn from a symbol font (private-use code points) or mapped to a control
    code (reportlab's WinAnsi bullet reads back as DEL) is a « • » at a line's start and
    nothing elsewhere."""
    odd = [i for i, c in enumerate(text) if unicodedata.category(c) in ("Cc", "Co")]
    if not odd:
        return text
    lead = len(text) - len(text.lstrip())
    return "".join("• " if i == lead and i in odd else ("" if i in odd else c)
                   for i, c in enumerate(text))


def page_lines(page_number: int, runs: Sequence[tuple[float, float, float, str]]
               ) -> list[PageLine]:
    """Runs on the same baseline joined left to right, lines top to bottom."""
    rows: list[list[tuple[float, float, float, str]]] = []
    for run in sorted(runs, key=lambda r: (-r[1], r[0])):
        if rows and abs(rows[-1][0][1] - run[1]) <= 0.3 * max(run[2], 1.0):
            rows[-1].append(run)
        else:
            rows.append([run])
    lines = []
    for row in rows:
        row.sort(key=lambda r: r[0])
        text = ""
        end = None
        for x, _y, size, part in row:
            gap = end is not None and x - end > 0.15 * size
            text += (" " if text and (gap or not text.endswith(" ")) and not part.startswith(" ")
                     else "") + part
            end = x + 0.5 * size * len(part)
        text = normalize_line(_glyphs(text))
        if text:
            size = max(r[2] for r in row)
            lines.append(PageLine(page_number, len(lines) + 1, text, row[0][1], size))
    return lines


def _signature(text: str) -> str:
    return re.sub(r"\d+", "#", folded(text))


def _numbering(margins: list[list[PageLine]]) -> int | None:
    """How printed page numbers differ from the PDF's page index (0, or 2 when the
    cover and its back are not numbered): the offset most margin numbers agree on."""
    offsets = Counter(int(number.group(1)) - li.page for margin in margins for li in margin
                      if (number := _PAGE_NUMBER.fullmatch(li.text)))
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    return offset if count >= min(2, len(margins)) else None


def drop_running_lines(pages: list[list[PageLine]]) -> list[list[PageLine]]:
    """Without running headers and footers (a margin line whose text, numbers aside,
    comes back on at least half the pages, two at least) and page numbers (a number
    alone in a margin that follows the pages' order: « p. 171 » on page 6 is text)."""
    margins = [page[:MARGIN_LINES] + page[-MARGIN_LINES:] for page in pages]
    counts = Counter(sig for margin in margins for sig in {_signature(li.text) for li in margin})
    repeated = {sig for sig, n in counts.items() if n >= max(2, math.ceil(len(pages) / 2))}
    offset = _numbering(margins)
    kept = []
    for page, margin in zip(pages, margins, strict=True):
        drop = {id(li) for li in margin if _signature(li.text) in repeated
                or ((number := _PAGE_NUMBER.fullmatch(li.text)) and offset is not None
                    and int(number.group(1)) - li.page == offset)}
        kept.append([li for li in page if id(li) not in drop])
    return kept
