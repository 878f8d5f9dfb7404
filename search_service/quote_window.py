"""The shape of the quoted answer: never a heading alone, a window with « … » around the part
that matched when a sentence is too long, the answering part marked, and its lines.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from indexer.sentences import Sentence, split_sentences
from search_service.answer_span import answering_span

MAX_ANSWER_CHARS = 400
ELLIPSIS = "…"
# A following sentence joins a short one or a heading (today's rule, kept as measured).
SHORT = 160
_END_MARK = re.compile(r"[.!?…:;][»\")\s]*$")


@dataclass(frozen=True)
class Quote:
    text: str
    start: int  # offsets in the passage of the quoted sentences, before any window
    end: int
    mark: tuple[int, int] | None  # the answering part, offsets in `text`


def is_heading(passage_text: str, sentence: Sentence) -> bool:
    """A title line: alone on its line, no end mark, no comma, short (« « Garage solidaire
    Jura » », « Contexte »); « Claude Sicart, président de Pole S » is not one."""
    line_start = passage_text.rfind("\n", 0, sentence.start) + 1
    line_end = passage_text.find("\n", sentence.end)
    line = passage_text[line_start: len(passage_text) if line_end < 0 else line_end]
    text = sentence.text
    return (line.strip(" •-\t") == text and len(text) < 80 and "," not in text
            and not _END_MARK.search(text))


@dataclass(frozen=True)
class Window:
    """What a window keeps of a text: `text[start:end]`, shown after `head`."""

    shown: str
    start: int
    end: int
    head: int

    def place(self, span: tuple[int, int]) -> tuple[int, int] | None:
        """Where `span` (offsets in the text) stands in `shown`, None when cut off."""
        a, b = span
        if a < self.start or b > self.end:
            return None
        return a - self.start + self.head, b - self.start + self.head


def window(text: str, anchor: tuple[int, int], max_chars: int) -> Window:
    """At most `max_chars` of `text` around `anchor`, cut at word boundaries with « … » at
    each cut."""
    if len(text) <= max_chars:
        return Window(text, 0, len(text), 0)
    room = max_chars - 2 * (len(ELLIPSIS) + 1)
    a, b = anchor
    b = min(b, a + room)
    start = max(0, min(a - (room - (b - a)) // 2, len(text) - room))
    end = min(len(text), start + room)
    if start > 0:  # cut after a blank, never inside a word
        space = text.find(" ", start, a + 1)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", max(start, b - 1), end + 1)
        end = space if space >= 0 else end
    while end > start and text[end - 1].isspace():
        end -= 1
    head = ELLIPSIS + " " if start > 0 else ""
    tail = " " + ELLIPSIS if end < len(text) else ""
    return Window(head + text[start:end] + tail, start, end, len(head))


def densest(words: Sequence[tuple[int, int]], room: int) -> tuple[int, int] | None:
    """The stretch of at most `room` characters holding the most of `words` (offsets)."""
    if not words:
        return None
    best, best_count = words[0], 0
    for i, (a, _) in enumerate(words):
        inside = [w for w in words[i:] if w[1] - a <= room]
        if len(inside) > best_count:
            best, best_count = (a, inside[-1][1]), len(inside)
    return best


def compose(question: str, passage_text: str, sentence: Sentence,
            words: Sequence[tuple[int, int]], max_chars: int = MAX_ANSWER_CHARS) -> Quote:
    """The quote of `sentence` of `passage_text`, plus the sentence that follows when both
    are short enough; `words`, the question's words in the passage (offsets), anchor a long
    sentence's window and pick the answering part among several."""
    after = _joined(passage_text, sentence, max_chars)
    pieces = [sentence] if after is None else [sentence, after]
    text = " ".join(p.text for p in pieces)
    local, offset = [], 0
    for piece in pieces:
        local += [(a - piece.start + offset, b - piece.start + offset) for a, b in words
                  if piece.start <= a and b <= piece.end]
        offset += len(piece.text) + 1
    found = answering_span(question, text, local)
    anchor = found or densest(local, max_chars // 2) or (0, min(len(text), max_chars))
    shown = window(text, anchor, max_chars)
    mark = shown.place(found) if found is not None else None
    return Quote(shown.shown, pieces[0].start, pieces[-1].end, mark)


def quote_highlight(quote: Quote, words: Sequence[tuple[int, int]] = ()) -> str:
    """The quote HTML-escaped, its answering part in <mark> (else the question's `words`,
    offsets in the quote's text)."""
    spans = [quote.mark] if quote.mark is not None else sorted(words)
    parts, last = [], 0
    for a, b in spans:
        if a < last:
            continue
        parts += [html.escape(quote.text[last:a]), "<mark>", html.escape(quote.text[a:b]),
                  "</mark>"]
        last = b
    parts.append(html.escape(quote.text[last:]))
    return "".join(parts)


def _following(passage_text: str, sentence: Sentence) -> Sentence | None:
    return next((s for s in split_sentences(passage_text) if s.start >= sentence.end), None)


def _joined(passage_text: str, sentence: Sentence, max_chars: int) -> Sentence | None:
    """The sentence that follows `sentence` in its quote (None: it is quoted alone)."""
    after = _following(passage_text, sentence)
    if after is None or len(sentence.text) + 1 + len(after.text) > max_chars:
        return None
    if len(sentence.text) < SHORT or is_heading(passage_text, sentence):
        return after
    return None


def first_quotable(candidates: Sequence[Any], passage_texts: dict[int, str],
                   max_chars: int = MAX_ANSWER_CHARS) -> Any:
    """The best candidate, unless it is a heading that would be quoted alone (nothing
    follows it in its passage): then the next one (the best when all are)."""
    for cand in candidates:
        text = passage_texts[cand.passage_index]
        if not is_heading(text, cand.sentence) or _joined(text, cand.sentence, max_chars):
            return cand
    return candidates[0] if candidates else None


def quoted_lines(passage_text: str, start_line: int, end_line: int, start: int, end: int,
                 paragraphs: Sequence[Sequence[int]] = ()) -> tuple[int, int]:
    """The source lines of `passage_text[start:end]`: those of the paragraphs it overlaps
    (`paragraphs`: the passage's [offset, start_line, end_line] rows, stored at build),
    narrowed inside a paragraph whose text lines are its source lines one for one. Without
    the rows (an index built before them), the passage's lines, narrowed the same way."""
    if not paragraphs:
        return _one_for_one(passage_text, start_line, end_line, start, end)
    stops = [int(row[0]) - 1 for row in paragraphs[1:]] + [len(passage_text)]
    found = [_one_for_one(passage_text[off:stop], a, b, max(start, off) - off,
                          min(end, stop) - off)
             for (off, a, b), stop in zip(paragraphs, stops, strict=True)
             if off < max(end, start + 1) and start < max(stop, off + 1)]
    if not found:
        return start_line, end_line
    return min(f[0] for f in found), max(f[1] for f in found)


def _one_for_one(text: str, start_line: int, end_line: int, start: int, end: int
                 ) -> tuple[int, int]:
    """`text[start:end]`'s lines when `text` has as many lines as its source; else all."""
    if text.count("\n") + 1 != end_line - start_line + 1:
        return start_line, end_line
    first = start_line + text.count("\n", 0, start)
    return first, first + text.count("\n", start, max(start, end - 1))
