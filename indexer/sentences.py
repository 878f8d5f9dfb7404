"""Sentences of a passage with their character offsets: the unit an answer is quoted in.

Their vectors are computed at build time, so answering and highlighting a
question costs one query encoding and a matrix product, nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at an end mark (closing quotes kept) followed by a blank, or at a line end;
# « habitant.e.s » and « 1.5 » do not end one.
_SENTENCE = re.compile(r".+?(?:[.!?…]+[»\")]*(?=\s)|$)", re.UNICODE | re.MULTILINE)
MIN_CHARS = 12


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str, min_chars: int = MIN_CHARS) -> list[Sentence]:
    """Sentences with offsets into `text`; bullets trimmed, fragments under `min_chars` dropped."""
    out = []
    for m in _SENTENCE.finditer(text):
        raw = m.group(0)
        stripped = raw.strip(" •-\t")
        if len(stripped) >= min_chars:
            start = m.start() + raw.index(stripped)
            out.append(Sentence(stripped, start, start + len(stripped)))
    return out
