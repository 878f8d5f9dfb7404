"""Where each resource of a website export lies: its title, body, metadata and summary.

A website export is a run of blocks: title, body (sometimes absent), a metadata
block (`Catégorie`?, `Type de ressource`, `Ressource privée`, `Résumé`), then the
summary. Nothing marks where a summary ends and the next title starts; since a
summary repeats its body, the next title is the line just before the text that
the next summary repeats (or, when that block has no body, the line just before
its metadata).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer import clean
from indexer.errors import SeedFileError
from indexer.repeats import near_identical
from indexer.text import normalize_line

_TYPE = "Type de ressource"
_PRIVATE = "Ressource privée"
_SUMMARY = "Résumé"
_CATEGORY = "Catégorie"
_PRIVATE_VALUES = {"Oui": True, "Non": False}
PROBES = 3  # summary lines tried, in turn, to find where the block's body starts


@dataclass(frozen=True)
class _Meta:
    """A metadata block: 0-based index of its first line, of the summary's first line."""

    start: int
    summary_start: int
    private: bool


@dataclass(frozen=True)
class Block:
    """One resource's place in the file, as 0-based line indices (end exclusive)."""

    title: int
    body: range
    summary: range
    end: int  # index of the block's last non-blank line
    private: bool


def _norm(lines: Sequence[str], i: int) -> str:
    return normalize_line(lines[i]) if 0 <= i < len(lines) else ""


def _metadata_blocks(file_name: str, lines: Sequence[str]) -> list[_Meta]:
    metas: list[_Meta] = []
    for i in range(len(lines)):
        if _norm(lines, i) != _TYPE:
            continue
        if _norm(lines, i + 2) != _PRIVATE or _norm(lines, i + 4) != _SUMMARY:
            raise SeedFileError(
                file_name,
                f"line {i + 1}: metadata block should read « {_TYPE} », its value, "
                f"« {_PRIVATE} », Oui/Non, « {_SUMMARY} »",
            )
        private = _PRIVATE_VALUES.get(_norm(lines, i + 3))
        if private is None:
            raise SeedFileError(
                file_name, f"line {i + 4}: « {_PRIVATE} » must be followed by Oui or Non"
            )
        start = i - 1 if _norm(lines, i - 1) == _CATEGORY else i
        metas.append(_Meta(start=start, summary_start=i + 5, private=private))
    return metas


def text_indices(lines: Sequence[str], indices: Iterable[int]) -> list[int]:
    """Indices of lines that hold text (not blank, not junk)."""
    return [i for i in indices if normalize_line(lines[i]) and not clean.is_junk(lines[i])]


def _summary_probes(lines: Sequence[str], start: int, stop: int) -> list[str]:
    """The first lines of real text in a summary: what its body should begin with."""
    probes = [lines[i] for i in text_indices(lines, range(start, stop))[:PROBES * 2]
              if not clean.is_boilerplate(lines[i])]
    return probes[:PROBES]


def _agreement(lines: Sequence[str], candidates: Sequence[int], start: int,
               probes: Sequence[str]) -> int:
    """How many probes the lines from `candidates[start]` on repeat, in order, one for one."""
    return sum(
        start + n < len(candidates) and near_identical(lines[candidates[start + n]], probe)
        for n, probe in enumerate(probes)
    )


def _find_title(lines: Sequence[str], region: range, probes: Sequence[str]) -> int:
    """The title's index in `region` (previous summary + title + body).

    The body is the text the block's own summary repeats: it starts where the most of
    the summary's first lines come again, in order, line for line (near-identical: a
    title must not pass for its summary's extended first line; a summary that rewords
    its first line still agrees on the next ones). A page that repeats its opening
    paragraph lower down agrees there on that line only, so the body starts at the
    first copy; of equal agreements the last wins, so a teaser of the block in the
    previous summary (a newsletter quoting a fiche) is passed over. The title is the
    line of text just before the body, or the region's last line of text when the
    block has no body.
    """
    candidates = [i for i in text_indices(lines, region) if not clean.is_boilerplate(lines[i])]
    best, best_agreement = None, 0
    for start in range(len(candidates) - 1, 0, -1):
        agreement = _agreement(lines, candidates, start, probes)
        if agreement > best_agreement:
            best, best_agreement = start, agreement
    return candidates[-1] if best is None else candidates[best - 1]


def last_text_line(lines: Sequence[str], start: int, stop: int) -> int:
    """The last line of text before `stop`; a site header there heads the next page."""
    for i in range(stop - 1, start - 1, -1):
        if normalize_line(lines[i]) and clean.furniture(lines[i]) is not clean.SITE_HEADER:
            return i
    return start


def find_blocks(file_name: str, lines: Sequence[str]) -> list[Block]:
    metas = _metadata_blocks(file_name, lines)
    if not metas:
        raise SeedFileError(file_name, f"no « {_TYPE} » metadata block found")
    firsts = [i for i in text_indices(lines, range(metas[0].start))
              if not clean.is_boilerplate(lines[i])]
    if not firsts:
        raise SeedFileError(file_name, f"line {metas[0].start + 1}: metadata block without title")
    titles = [firsts[0]]
    for previous, meta in zip(metas, metas[1:], strict=False):
        region = range(previous.summary_start, meta.start)
        if not text_indices(lines, region):
            raise SeedFileError(file_name, f"line {meta.start + 1}: metadata block without title")
        probes = _summary_probes(lines, meta.summary_start, len(lines))
        titles.append(_find_title(lines, region, probes))
    ends = [*titles[1:], len(lines)]
    return [
        Block(
            title=title,
            body=range(title + 1, meta.start),
            summary=range(meta.summary_start, stop),
            end=last_text_line(lines, meta.summary_start, stop),
            private=meta.private,
        )
        for title, meta, stop in zip(titles, metas, ends, strict=True)
    ]
