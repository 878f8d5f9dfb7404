"""A passage prepared at load for highlighting: its text HTML-escaped once, and where each of
its analyzed terms occurs, so a request's highlight is a few slices of one string — no
escaping, no pass over every word (the result building's most frequent call).

`search_service.answer.highlight` is the plain computation; this gives the same string."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate


@dataclass(frozen=True)
class PassageMarkup:
    html: str  # html.escape(text)
    at: tuple[int, ...]  # per raw character offset (and the end), where its escape starts
    where: dict[str, tuple[tuple[int, int], ...]]  # analyzed term → (start, end) of its words

    @classmethod
    def of(cls, text: str, words: Sequence[tuple[int, int, str]]) -> PassageMarkup:
        """`words`: (start, end, analyzed term or "") of each word, as `analyze_words`."""
        pieces = [html.escape(c) for c in text]
        where: dict[str, list[tuple[int, int]]] = {}
        for start, end, term in words:
            if term:
                where.setdefault(term, []).append((start, end))
        return cls("".join(pieces), (0, *accumulate(len(p) for p in pieces)),
                   {term: tuple(spans) for term, spans in where.items()})

    def slice(self, start: int, end: int | None = None) -> str:
        """`html.escape(text[start:end])`: escaping works character by character."""
        at = self.at
        return self.html[at[start]:at[len(at) - 1 if end is None else end]]

    def located(self, terms: Iterable[str]) -> list[tuple[int, int]]:
        """(start, end) of the words of `terms`, in the passage's order."""
        return sorted(s for term in terms for s in self.where.get(term, ()))

    def highlight(self, terms: Iterable[str], span: tuple[int, int] | None = None) -> str:
        """The escaped text with the words of `terms` in <mark>, or `span` (a whole
        sentence) marked instead."""
        if span is not None:
            a, b = span
            return self.slice(0, a) + "<mark>" + self.slice(a, b) + "</mark>" + self.slice(b)
        found = self.located(terms)
        parts: list[str] = []
        last = 0
        for start, end in found:
            parts += (self.slice(last, start), "<mark>", self.slice(start, end), "</mark>")
            last = end
        parts.append(self.slice(last))
        return "".join(parts)
