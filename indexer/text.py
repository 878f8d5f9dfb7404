"""Small text helpers shared by the parsers: normalisation, slugs, French dates."""

from __future__ import annotations

import re
import unicodedata

# French month names, with the OCR garbles seen in the catalogue (« Juliet », « Maï »).
MONTHS: dict[str, int] = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "juliet": 7, "julien": 7,
}

# The month names as a regex group, longest first, for folded text (lower case, no accents).
MONTH_NAMES = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"

_SPACES = re.compile(r"[\u00a0\u202f\u2007\u2009\t ]+")
_MONTH_YEAR = re.compile(r"\b(" + MONTH_NAMES + r")\s+((?:19|20)\d\d)\b")


def normalize_line(line: str) -> str:
    """NFC, ordinary spaces, no trailing blanks: what every later stage expects."""
    line = unicodedata.normalize("NFC", line)
    return _SPACES.sub(" ", line).strip()


def fold_accents(text: str) -> str:
    """« Février » → « Fevrier »: for matching, never for display."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slugify(text: str, max_words: int = 8) -> str:
    """Lower-case ASCII words joined by hyphens, at most `max_words` words."""
    words = re.findall(r"[a-z0-9]+", fold_accents(text).lower())
    return "-".join(words[:max_words])


def find_month_year(text: str) -> str | None:
    """The first « mois année » in `text` as `YYYY-MM`, or None (« 21 juin » has no year)."""
    match = _MONTH_YEAR.search(fold_accents(text).lower())
    if match is None:
        return None
    return f"{match.group(2)}-{MONTHS[match.group(1)]:02d}"
