"""A website resource's metadata read from its text: kind, dates, keywords, fiche number, id.

Each rule is a small pure function so the question set and the tests can rely on
exactly the same behaviour as the parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer.text import find_month_year, fold_accents, normalize_line, slugify

# Kind words, checked in this order; whole words, accents and case ignored, singular only.
KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fiche", ("deniche pour vous",)),
    ("conference", ("conference", "webinaire", "flashweb")),
    ("newsletter", ("newsletter",)),
    ("event", ("seminaire", "journee", "formation", "rencontre")),
)
DEFAULT_KIND = "article"

_MONTH = (
    r"(?:janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre"
    r"|novembre|d[ée]cembre)"
)
_KEYWORDS_LINE = re.compile(r"^mots?[\s-]*cl[ée]s?\s*:", re.IGNORECASE)
_UPDATED = re.compile(r"\(?\s*(?:mise?\s+à\s+jour|actualis[ée]+)\s+(?:en\s+|le\s+)?([^)]*)\)?",
                      re.IGNORECASE)
_TRAILING_DATE = re.compile(
    r"[\s.,;–-]*(?:\d{1,2}\s+)?" + _MONTH + r"\s+\d{4}\s*\.?\s*$", re.IGNORECASE
)
_FICHE_NUMBER = re.compile(r"d[ée]nich[ée]\s+pour\s+vous\s+n\s*[°º o]\s*(\d+)", re.IGNORECASE)
_ISSUE_LINE = re.compile(r"#\d+(?:\.\d+)*\s*[-–]\s*\S")


def _folded(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold_accents(text).lower()))


def kind_in(text: str) -> str | None:
    """The first kind whose word occurs in `text` as a whole word, or None."""
    folded = f" {_folded(text)} "
    for kind, words in KIND_WORDS:
        if any(f" {word} " in folded for word in words):
            return kind
    return None


def detect_kind(title: str, first_paragraph: str | None) -> str:
    """Kind from the title's words, else the first paragraph's, else `article`."""
    return kind_in(title) or (kind_in(first_paragraph) if first_paragraph else None) or DEFAULT_KIND


def fiche_number(title: str) -> str | None:
    """« Déniché pour vous n°110 » → "110" (no leading zeros)."""
    match = _FICHE_NUMBER.search(normalize_line(title))
    return str(int(match.group(1))) if match else None


def is_keywords_line(line: str) -> bool:
    return bool(_KEYWORDS_LINE.match(normalize_line(line)))


def is_issue_line(line: str) -> bool:
    """A newsletter's issue line (« … #2.3 - Mars 2022 »): it carries the issue's date."""
    return bool(_ISSUE_LINE.search(line)) and find_month_year(line) is not None


def split_keywords_line(line: str) -> tuple[tuple[str, ...], str | None, str | None]:
    """« Mots-clés : a ; b - Février 2022 (actualisée en mars 2023) » → (keywords, date, updated).

    Separators are `;` or `,`; the trailing date may follow ` - ` or `. `.
    """
    body = _KEYWORDS_LINE.sub("", normalize_line(line), count=1)
    updated = None
    update_match = _UPDATED.search(body)
    if update_match:
        updated = find_month_year(update_match.group(1))
        body = body[: update_match.start()] + body[update_match.end():]
    date = find_month_year(body)
    body = _TRAILING_DATE.sub("", body.strip())
    keywords = tuple(k.strip(" .;,-–") for k in re.split(r"[;,]", body))
    return tuple(k for k in keywords if k), date, updated


def find_date(candidates: Iterable[str]) -> str | None:
    """The first month-and-year among the candidate texts, in the order given."""
    for text in candidates:
        date = find_month_year(text)
        if date:
            return date
    return None


def unique_keywords(keywords: Iterable[str]) -> tuple[str, ...]:
    """Keywords in first-seen order, case-insensitive duplicates dropped."""
    seen: set[str] = set()
    result: list[str] = []
    for keyword in keywords:
        key = _folded(keyword)
        if key and key not in seen:
            seen.add(key)
            result.append(keyword)
    return tuple(result)


def resource_id(kind: str, title: str, date: str | None, fiche_number: str | None) -> str:
    """Readable, stable id: `fiche-<n>` for fiches, else `<kind>-<slug of title>-<date|nd>`.

    Never from the file name or the order, so the same resource keeps its id across
    exports; the question set builds its expected ids with this very function.
    """
    if kind == "fiche" and fiche_number:
        return f"fiche-{fiche_number}"
    return f"{kind}-{slugify(title, max_words=8)}-{date or 'nd'}"
