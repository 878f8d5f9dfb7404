"""A website resource's metadata read from its text: kind, dates, keywords, fiche number, id.

Each rule is a small pure function so the question set and the tests can rely on
exactly the same behaviour as the parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from indexer import clean
from indexer.text import find_month_year, fold_accents, normalize_line, slugify

# Kind words, checked in this order; whole words, case ignored. A letter a word is written
# with an accent may come without it (titles in capitals drop accents), never the other way
# round: the participle « rencontré » is not the noun « rencontre ». In a title the plural
# counts too (« Les Rencontres … », « Journées d'étude … »: what the page is); in the first
# paragraph only the singular does, since running text mostly mentions the plural in
# passing (« l'organisation de séminaires » in the catalogue page's lead).
KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fiche", ("déniché pour vous",)),
    ("conference", ("conférence", "webinaire", "flashweb")),
    ("newsletter", ("newsletter",)),
    ("event", ("séminaire", "journée", "formation", "rencontre", "fête")),
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
# « Mis à jour le 29 septembre 2023 » alone on its line (folded), possibly in brackets.
_UPDATED_LINE = re.compile(r"\(?(?:mis|mise) a jour le (" + clean.DATE + r")\)?\.?")
_UPDATE_WORDS = re.compile(r"\b(?:mis|mise) a jour\b")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def _folded(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold_accents(text).lower()))


def _kind_pattern(word: str, plural: bool) -> re.Pattern[str]:
    """`word` as a whole word or phrase (with a final `s` if `plural`), accents optional."""
    letters = "".join(
        f"[{c}{fold_accents(c)}]" if fold_accents(c) != c else re.escape(c) for c in word
    )
    return re.compile(rf"(?<!\w){letters}{'s?' if plural else ''}(?!\w)")


_KIND_PATTERNS = {
    plural: tuple((kind, tuple(_kind_pattern(w, plural) for w in words))
                  for kind, words in KIND_WORDS)
    for plural in (False, True)
}


def kind_in(text: str, *, plural: bool = False) -> str | None:
    """The first kind one of whose words occurs in `text` (also in the plural if asked)."""
    lowered = normalize_line(text).lower()
    for kind, patterns in _KIND_PATTERNS[plural]:
        if any(pattern.search(lowered) for pattern in patterns):
            return kind
    return None


def detect_kind(title: str, first_paragraph: str | None) -> str:
    """Kind from the title's words (singular or plural), else the first paragraph's
    (singular), else `article`."""
    return (
        kind_in(title, plural=True)
        or (kind_in(first_paragraph) if first_paragraph else None)
        or DEFAULT_KIND
    )


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


def own_dates(lines: Iterable[str]) -> tuple[str | None, str | None]:
    """(published, updated): the dates a page gives itself, on lines of their own.

    Published from the first « Publié le … » line or byline « par NAME - le … »
    (furniture marked `dated`); updated from the « - mis à jour le … » such a line
    carries, else from the first « Mis à jour le … » line. A date inside a sentence
    of the text is never one of them.
    """
    published = updated = None
    for line in lines:
        folded = clean.fold(line)
        found = clean.furniture(line)
        if found is not None and found.dated:
            head, *tail = _UPDATE_WORDS.split(folded, maxsplit=1)
            published = published or find_month_year(head)
            updated = updated or (find_month_year(tail[0]) if tail else None)
        elif match := _UPDATED_LINE.fullmatch(folded):
            updated = updated or find_month_year(match.group(1))
    return published, updated


def title_date(title: str) -> str | None:
    """The title's month and year (`YYYY-MM`), else its year alone (`YYYY`)."""
    month = find_month_year(title)
    if month:
        return month
    year = _YEAR.search(title)
    return year.group(1) if year else None


def page_date(*, published: str | None, fields: Iterable[str | None], title: str,
              updated: str | None) -> str | None:
    """A resource's own date, never one found in its body text: « Publié le » (or the
    byline), else the export's date fields (the keywords line's date, a newsletter's
    issue line) in the order given, else the title's date or year, else the last update."""
    for date in (published, *fields, title_date(title), updated):
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
