"""Lines and paragraphs that say the same thing twice: a website summary repeats its body.

A line counts once only when it is the same line after folding case, accents, spaces
and punctuation (`same_line`); the one tolerance is between the body and the summary,
whose paragraph may stand for the body paragraph in its place that it rewords or
extends (`same_paragraph`, `merge_body_and_summary`).
"""

from __future__ import annotations

from collections.abc import Sequence

from indexer.clean import words
from indexer.documents import Paragraph

# Share of words a summary line must have in common with the body line it repeats (reworded);
# never used to drop one of two lines of the same text (see `same_line`).
NEAR_DUPLICATE = 0.8
SHORT = 8  # words: a label this short that begins another one is the same label


def word_overlap(a: str, b: str) -> float:
    """Share of distinct words two texts have in common, over the larger vocabulary."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return 1.0 if wa == wb else 0.0
    return len(wa & wb) / max(len(wa), len(wb))


def near_identical(a: str, b: str) -> bool:
    """At least 80 % of the larger text's words shared: a copy, not an extension."""
    return word_overlap(a, b) >= NEAR_DUPLICATE


def same_line(a: str, b: str) -> bool:
    """The same text once case, accents, spaces and punctuation are folded."""
    return words(a) == words(b)


def same_paragraph(a: str, b: str) -> bool:
    """A body paragraph and the summary's version of it, possibly reworded or extended.

    Equal after folding spaces and punctuation; a short label another begins with; or
    at least 80 % of words shared — of the larger paragraph's words or, when the two
    are of comparable length (five words or more, at most twice as long), of the
    smaller's, so a body paragraph that the summary extends counts once. Only ever
    asked of a body paragraph and the summary paragraph in its place (see
    `merge_body_and_summary`): two lines of one text that merely share words are two.
    """
    wa, wb = words(a), words(b)
    if wa == wb:
        return True
    short, long_ = sorted((wa, wb), key=len)
    if len(long_) <= SHORT and short and long_[: len(short)] == short:
        return True  # « Calendrier : » and « Calendrier et périmètre : »
    sa, sb = set(wa), set(wb)
    if not sa or not sb:
        return False
    shared = len(sa & sb)
    small, large = sorted((len(sa), len(sb)))
    if shared / large >= NEAR_DUPLICATE:
        return True
    return small >= 5 and 2 * small >= large and shared / small >= NEAR_DUPLICATE


def _dedupe(paragraphs: Sequence[Paragraph]) -> list[Paragraph]:
    """Each paragraph once: a later one that is the same line (`same_line`) goes.

    Lines that only share words (« Rôle de la collectivité : » under two sections,
    two statistics a year apart) are different lines and both stay.
    """
    kept: list[Paragraph] = []
    for par in paragraphs:
        if not any(same_line(par.text, k.text) for k in kept):
            kept.append(par)
    return kept


def merge_body_and_summary(
    body: Sequence[Paragraph], summary: Sequence[Paragraph]
) -> list[Paragraph]:
    """The summary's paragraphs, plus the body's that the summary lacks, in reading order.

    A body paragraph the summary repeats is dropped for the summary's version: the same
    line anywhere in the summary, or else a reworded or extended version
    (`same_paragraph`) further on than the last one matched and not already standing
    for another body paragraph — the summary repeats the body in order, line for
    line, so a body line that only shares words with some summary line is kept. A
    body paragraph the summary lacks goes in after the summary's version of the body
    paragraph that precedes it.
    """
    kept = _dedupe(summary)
    reworded = {id(par) for par in kept}  # summary paragraphs free to stand for a reworded one
    anchor = -1  # index in `kept` after which the next body-only paragraph goes
    for par in body:
        match = next((i for i, s in enumerate(kept) if same_line(par.text, s.text)), None)
        if match is None:
            match = next((i for i, s in enumerate(kept) if i > anchor and id(s) in reworded
                          and same_paragraph(par.text, s.text)), None)
        if match is not None:
            reworded.discard(id(kept[match]))
            anchor = max(anchor, match)
            continue
        anchor += 1
        kept.insert(anchor, par)
    return kept
