"""The catalogue export's lines, cleaned of markdown and classified (title, link, header…).

The export is OCR text with no markup: what a line is comes from its own text (capitals,
« Pour accéder à la ressource », « Chapitre N », a fiche header split over lines).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from enum import StrEnum

from indexer.clean import SITE_NAME
from indexer.lines import Line
from indexer.text import fold_accents, normalize_line

__all__ = ["Kind", "Line", "classify", "clean_line", "fold"]

_FICHE_HEADERS = ("deniche pour vous", "fiche experience")
_LINK_WORDS = "pour acceder a la ressource"

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_CHAPTER = re.compile(r"^chapitre\s+\d+$")
NUMBER = re.compile(r"^n°\s*(\d+)\b", re.IGNORECASE)
TECHNICAL_TITLE = re.compile(r"^#\d+\s")


class Kind(StrEnum):
    BLANK = "blank"
    LINK = "link"
    CHAPTER = "chapter"
    HEADER = "header"
    NUMBER = "number"
    TITLE = "title"
    FOOTER = "footer"  # the publisher's signature (the site's name): no section's
    TEXT = "text"


def clean_line(raw: str) -> str:
    """A line as paragraphs show it: normalised, without `**`, `*`, `# ` and `[..](#)` wrappers."""
    text = _AUTOLINK.sub(r"\1", _MD_LINK.sub(r"\1", normalize_line(raw)))
    return _MD_HEADING.sub("", normalize_line(text.replace("*", "")))


def fold(text: str) -> str:
    return fold_accents(text).lower().replace("’", "'")


def _is_title(text: str) -> bool:
    """Capitals (OCR slips allowed: « AGRICULTURE URBaine ») or a `#18 …` technical title."""
    if TECHNICAL_TITLE.match(text):
        return True
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2 or text.endswith(":") or text.startswith("- "):
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= 0.75


def _kind(text: str) -> Kind:
    folded = fold(text)
    if not text:
        return Kind.BLANK
    if _LINK_WORDS in folded:
        return Kind.LINK
    if _CHAPTER.match(folded):
        return Kind.CHAPTER
    if NUMBER.match(text) and NUMBER.sub("", text).strip() == "":
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
            words = f"{words} {fold(following.text)}".strip()
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
