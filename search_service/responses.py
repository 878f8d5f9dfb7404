"""The core's results mapped to the HTTP contract (`search_service.schemas`), at the web edge.

The search core (`search_service.pipeline` and what it calls) returns frozen dataclasses
(`search_service.results`) and never imports pydantic's response models; the routes call
these functions, so the JSON body keeps the schema's field names and order.

A body is built as plain dicts and validated once, at its top (pydantic-core's validator
runs through the nesting), not model by model: some 80 nested models a search cost ~0.6 ms
built one by one against ~0.3 ms this way (by hand, 150 dev questions).
"""

from __future__ import annotations

from typing import Any

from search_service import schemas
from search_service.results import (
    Answer,
    ResourceInfo,
    ResultItem,
    ResultPassage,
    SearchResult,
    Source,
)

Body = dict[str, Any]


def _source(source: Source) -> Body:
    return {"file": source.file, "start_line": source.start_line,
            "end_line": source.end_line, "page": source.page}


def _resource(info: ResourceInfo) -> Body:
    return {"id": info.id, "title": info.title, "kind": info.kind, "date": info.date,
            "keywords": list(info.keywords), "private": info.private,
            "source": _source(info.source), "level": info.level, "parent": info.parent,
            "fiche_number": info.fiche_number, "same_as": list(info.same_as),
            "url": info.url}


def _passage(passage: ResultPassage) -> Body:
    return {"id": passage.id, "text": passage.text, "highlight": passage.highlight,
            "section": passage.section, "score": passage.score,
            "source": _source(passage.source)}


def _result(item: ResultItem) -> Body:
    s = item.scores
    scores = {"dense": s.dense, "lexical": s.lexical, "ngram": s.ngram, "lexicon": s.lexicon,
              "resource": s.resource, "name": s.name, "hierarchy": s.hierarchy, "rm3": s.rm3}
    return {"resource": _resource(item.resource), "score": item.score, "scores": scores,
            "passages": [_passage(p) for p in item.passages]}


def _answer(answer: Answer) -> Body:
    return {"text": answer.text, "resource_id": answer.resource_id,
            "passage_id": answer.passage_id, "score": answer.score,
            "highlight": answer.highlight, "source": _source(answer.source)}


def resource_out(info: ResourceInfo) -> schemas.ResourceOut:
    return schemas.ResourceOut.model_validate(_resource(info))


def search_response(result: SearchResult) -> schemas.SearchResponse:
    """The body of `GET /api/search` (its `query_id` is the query log's to set)."""
    return schemas.SearchResponse.model_validate({
        "query": result.query, "language": result.language, "confident": result.confident,
        "confidence": result.confidence, "took_ms": result.took_ms,
        "answer": _answer(result.answer) if result.answer is not None else None,
        "results": [_result(r) for r in result.results],
    })
