"""The core's results mapped to the HTTP contract (`search_service.schemas`), at the web edge.

The search core (`search_service.pipeline` and what it calls) returns frozen dataclasses
(`search_service.results`) and never imports pydantic's response models; the routes call
these functions, so the JSON body keeps the schema's field names and order.
"""

from __future__ import annotations

from search_service import schemas
from search_service.results import (
    Answer,
    ResourceInfo,
    ResultItem,
    ResultPassage,
    SearchResult,
    Source,
)


def source_out(source: Source) -> schemas.SourceOut:
    return schemas.SourceOut(file=source.file, start_line=source.start_line,
                             end_line=source.end_line, page=source.page)


def resource_out(info: ResourceInfo) -> schemas.ResourceOut:
    return schemas.ResourceOut(
        id=info.id, title=info.title, kind=info.kind, date=info.date,
        keywords=list(info.keywords), private=info.private, source=source_out(info.source),
        level=info.level, parent=info.parent, fiche_number=info.fiche_number,
        same_as=list(info.same_as), url=info.url,
    )


def passage_out(passage: ResultPassage) -> schemas.PassageOut:
    return schemas.PassageOut(id=passage.id, text=passage.text, highlight=passage.highlight,
                              section=passage.section, score=passage.score,
                              source=source_out(passage.source))


def result_out(item: ResultItem) -> schemas.ResultOut:
    s = item.scores
    scores = schemas.Scores(dense=s.dense, lexical=s.lexical, ngram=s.ngram, lexicon=s.lexicon,
                            resource=s.resource, name=s.name, hierarchy=s.hierarchy,
                            rm3=s.rm3)
    return schemas.ResultOut(resource=resource_out(item.resource), score=item.score,
                             scores=scores, passages=[passage_out(p) for p in item.passages])


def answer_out(answer: Answer) -> schemas.AnswerOut:
    return schemas.AnswerOut(text=answer.text, resource_id=answer.resource_id,
                             passage_id=answer.passage_id, score=answer.score,
                             highlight=answer.highlight, source=source_out(answer.source))


def search_response(result: SearchResult) -> schemas.SearchResponse:
    """The body of `GET /api/search` (its `query_id` is the query log's to set)."""
    return schemas.SearchResponse(
        query=result.query, language=result.language, confident=result.confident,
        confidence=result.confidence, took_ms=result.took_ms,
        answer=answer_out(result.answer) if result.answer is not None else None,
        results=[result_out(r) for r in result.results],
    )
