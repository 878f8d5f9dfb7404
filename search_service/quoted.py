"""The answer of a response: the quote of the chosen sentence, its highlight and its lines."""

from __future__ import annotations

from typing import Any

from search_service.quote_window import compose, quote_highlight, quoted_lines
from search_service.results import Answer, source_of


def answer_out(searcher: Any, question: str, candidate: Any, terms: set[str]) -> Answer:
    """`candidate` (a `search_service.answer.Candidate`) quoted for `question`, whose
    analyzed terms are `terms`."""
    passage = searcher.data.passages[candidate.passage_index]
    text = passage["text"]
    words = [(a, b) for a, b, t in searcher.passage_words(candidate.passage_index)
             if t and t in terms]
    quote = compose(question, text, candidate.sentence, words)
    shown = [(a, b) for a, b, t in _words(searcher, quote.text) if t and t in terms]
    src = passage["source"]
    first, last = quoted_lines(text, int(src["start_line"]), int(src["end_line"]),
                               quote.start, quote.end, passage.get("lines", ()))
    return Answer(text=quote.text, resource_id=passage["resource_id"],
                  passage_id=passage["id"], score=round(candidate.score, 4),
                  highlight=quote_highlight(quote, shown),
                  source=source_of({**src, "start_line": first, "end_line": last}))


def _words(searcher: Any, text: str) -> tuple[tuple[int, int, str], ...]:
    from search_service.answer import analyze_words

    return analyze_words(text, searcher.analyzer)
