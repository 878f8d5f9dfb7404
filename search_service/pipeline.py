"""One search request from query text to its `SearchResult`: retrieval, quoting, confidence."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from indexer.search_config import AnswerConfig
from search_service.abstain import NO_ANSWER, abstain_reason
from search_service.answer import Candidate
from search_service.answer_choice import (
    Choice,
    by_hand,
    learned_choice,
    score_passages,
    wide_pool,
)
from search_service.encoding import Steps, await_through, wait_through
from search_service.no_answer import REFUSED, features_of, probability
from search_service.question import analyse
from search_service.quote_window import first_quotable
from search_service.quoted import answer_out
from search_service.results import (
    ResourceInfo,
    ResultItem,
    ResultPassage,
    Scores,
    SearchResult,
    source_of,
)
from search_service.retrieval import Filters, ResourceHit, Searcher


@dataclass(frozen=True)
class Quoting:
    """What sentence scoring decided: highlighted spans, the answer, the confidence signal."""

    spans: dict[int, tuple[int, int]]
    answer: Candidate | None
    best_cosine: float
    choice: Choice | None = None  # the learned model's ranking, when configured


def quote(searcher: Searcher, question: str, hits: list[ResourceHit], texts: dict[int, str],
          qvec: np.ndarray, terms: set[str], config: AnswerConfig,
          member: bool = False) -> Quoting:
    """Score by hand, once, the sentences of the answer passages, of the hits found by
    meaning only and (with a learned model) of the learned choice's wider pool; the answer
    is the learned model's choice when the configuration has one, else the hand score's
    among the answer passages."""
    semantic_only = [p.index for h in hits for p in h.passages
                     if not terms & searcher.passage_terms(p.index)]
    answer_idx = [p.index for h in hits[: config.answer_results]
                  for p in h.passages][: config.answer_passages]
    learned = bool(config.sentence_model.weights)
    wide = wide_pool(hits, config.candidate_results) if learned else []
    scored = score_passages(searcher, question, answer_idx + semantic_only + wide, qvec, terms)
    spans: dict[int, tuple[int, int]] = {}
    for cand in by_hand(scored, semantic_only):
        if cand.passage_index not in spans:
            spans[cand.passage_index] = (cand.sentence.start, cand.sentence.end)
    in_answer = by_hand(scored, answer_idx)
    best_cosine = max((c.cosine for c in in_answer), default=-1.0)
    if not learned:
        return Quoting(spans, first_quotable(in_answer, texts), best_cosine)
    choice = learned_choice(searcher, question, hits, qvec, terms, member, config, scored)
    return Quoting(spans, first_quotable(choice.ranked, texts), best_cosine, choice)


def run_search(searcher: Searcher, query: str, *, k: int = 10,
               filters: Filters | None = None, mode: str = "hybrid",
               config: AnswerConfig | None = None) -> SearchResult:
    """One search on this thread (`search_steps`, waited through)."""
    return wait_through(search_steps(searcher, query, k=k, filters=filters, mode=mode,
                                     config=config))


async def run_search_async(searcher: Searcher, query: str, *, k: int = 10,
                           filters: Filters | None = None, mode: str = "hybrid",
                           config: AnswerConfig | None = None) -> SearchResult:
    """The same search on the event loop: it awaits the question's encoding instead of
    blocking a thread (`search_service.encoding.await_through`)."""
    return await await_through(search_steps(searcher, query, k=k, filters=filters,
                                            mode=mode, config=config))


def search_steps(searcher: Searcher, query: str, *, k: int = 10,
                 filters: Filters | None = None, mode: str = "hybrid",
                 config: AnswerConfig | None = None) -> Steps[SearchResult]:
    """The search as steps: it yields the encoding's future where it needs the vector."""
    started = time.perf_counter()
    config = config or searcher.answer_config
    question = analyse(searcher, query, mode)
    hits = yield from searcher.search_steps(question, k=k, filters=filters, mode=mode)
    qvec = question.vector  # read after the search, whose lexical part overlaps the encoding
    terms = set(question.terms)
    texts = {p.index: searcher.data.passages[p.index]["text"] for h in hits for p in h.passages}
    member = bool(filters and filters.member)
    learned = bool(config.no_answer_model.weights and config.sentence_model.weights)
    if learned and hits and qvec is None:  # bm25 mode: the vector only for the answer
        encoding = searcher.encode_query_soon(query)
        yield encoding
        qvec = encoding.result()
    confident, answer = bool(hits), None
    confidence = (REFUSED if learned else 1.0) if hits else (REFUSED if learned else NO_ANSWER)
    quoting = None
    if qvec is not None and hits:
        quoting = quote(searcher, query, hits, texts, qvec, terms, config, member)
        confidence = _confidence(searcher, quoting, terms, member, qvec, config)
        confident = confidence >= config.decision_threshold
    if hits and abstain_reason(searcher, question, member):
        confident, confidence = False, REFUSED if learned else NO_ANSWER
    if confident and quoting is not None and quoting.answer is not None:
        answer = answer_out(searcher, query, quoting.answer, terms)
    spans = quoting.spans if quoting is not None and mode != "bm25" else {}
    results = [_result(searcher, h, terms, spans) for h in hits]
    took = (time.perf_counter() - started) * 1000
    return SearchResult(query=query, language=question.language, confident=confident,
                        confidence=round(confidence, 4), took_ms=round(took, 1),
                        answer=answer, results=tuple(results))


def _confidence(searcher: Searcher, quoting: Quoting, terms: set[str], member: bool,
                qvec: np.ndarray, config: AnswerConfig) -> float:
    """The no-answer model's probability that the visible corpus answers, when the version
    has one (and the learned sentence choice it reads); else the old cosine difference."""
    if quoting.choice is not None and config.no_answer_model.weights:
        values = features_of(searcher, quoting.choice, terms, member, qvec,
                             quoting.best_cosine)
        return probability(values, config.no_answer_model)
    return quoting.best_cosine - searcher.out_of_scope_similarity(qvec)


def _result(searcher: Searcher, hit: ResourceHit, terms: set[str],
            spans: dict[int, tuple[int, int]]) -> ResultItem:
    passages = []
    for p in hit.passages:
        row = searcher.data.passages[p.index]
        passages.append(ResultPassage(
            id=row["id"], text=row["text"],
            highlight=searcher.passage_markup(p.index).highlight(terms, spans.get(p.index)),
            section=row.get("section"), score=round(p.score, 4),
            source=source_of(row["source"]),
        ))
    return ResultItem(resource=ResourceInfo.of(hit.resource), score=round(hit.score, 4),
                      scores=Scores(dense=round(hit.dense, 4), lexical=round(hit.lexical, 4),
                                    **{k: round(v, 4) for k, v in hit.signals.items()}),
                      passages=tuple(passages))
