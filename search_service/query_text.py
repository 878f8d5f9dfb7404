"""Whether a query says anything: a letter, a digit or a symbol once invisible characters go."""

from __future__ import annotations

import unicodedata

# Categories that carry something to search for: letters, numbers, symbols (emoji are So).
_CONTENT = ("L", "N", "S")


def has_content(query: str) -> bool:
    """True when some character is a letter, a number or a symbol (Unicode L, N, S).

    Format characters (zero-width spaces and joiners, Cf), controls (Cc), lone combining
    marks (M), separators and punctuation do not count: « \u200b\u200b\u200b » says nothing,
    « 😀 » and « 社会经济 » do."""
    return any(unicodedata.category(ch)[0] in _CONTENT for ch in query)
