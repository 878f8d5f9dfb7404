"""What of a query may be kept: e-mail addresses and phone numbers masked, the text
normalised for grouping, the time rounded to the hour."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

EMAIL_MASK, PHONE_MASK = "<email>", "<phone>"
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# +33 6 12 34 56 78, 0033 (0)6…, 06.12.34.56.78, 06-12-34-56-78, 0612345678, +1 415 555 0100:
# a country code (+ or 00, then 1 to 3 digits, maybe "(0)") or a leading 0, then 8 to 13 more
# digits with single spaces, dots or dashes between them. Years ("2019-2021"), postcodes
# (75011) and law numbers ("2014-856") are too short to match.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|\b00)\d{1,3}(?:[\s.-]?\(0\))?|\b0)"
                    r"(?:[\s.-]?\d){8,13}(?!\w)")


def mask(text: str) -> str:
    """E-mail addresses and phone numbers replaced by placeholders."""
    return _PHONE.sub(PHONE_MASK, _EMAIL.sub(EMAIL_MASK, text))


def normalise(text: str) -> str:
    """The form questions are stored and grouped in: NFC, masked, lower case, single spaces,
    no punctuation around it ("Épicerie solidaire ?" and "épicerie solidaire" are one)."""
    text = mask(unicodedata.normalize("NFC", text))
    text = " ".join(text.lower().split())
    return text.strip(" ?!.,;:…") or text


def hour_of(moment: datetime) -> str:
    """UTC time rounded down to the hour, as sortable text: 2026-12-02T14:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:00Z")
