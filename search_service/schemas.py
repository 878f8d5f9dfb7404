"""The HTTP contract: what the widget, the evaluation and outside checks rely on."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SourceOut(BaseModel):
    file: str
    start_line: int = Field(description="1-based, inclusive (in a PDF, lines of `page`)")
    end_line: int = Field(description="1-based, inclusive (in a PDF, lines of `page`)")
    page: int | None = Field(None, description="a PDF's page, 1-based; none for text and HTML")


class ResourceOut(BaseModel):
    id: str
    title: str
    kind: str
    date: str | None
    keywords: list[str]
    private: bool
    source: SourceOut
    level: str | None = None
    parent: str | None = None
    fiche_number: str | None = None
    same_as: list[str] = []
    url: str | None = Field(None, description="a web page's canonical URL (http or https)")


class PassageOut(BaseModel):
    id: str = Field(description="63-bit id as a string, so JavaScript never rounds it")
    text: str
    highlight: str = Field(description="HTML-escaped text with <mark> around matches")
    section: str | None
    score: float
    source: SourceOut


class Scores(BaseModel):
    dense: float = Field(description="cosine of the best passage (-1 when not retrieved)")
    lexical: float = Field(description="BM25 of the best passage (0 when no term matched)")
    # The hybrid ranking's other signals (search_service.ranking); null in dense/bm25 mode.
    ngram: float | None = Field(None, description="BM25 on edge n-grams, best passage")
    lexicon: float | None = Field(
        None, description="BM25 of the field lexicon's expansions, best passage (null when "
                          "the question brought none or its own words covered it)")
    resource: float | None = Field(None, description="cosine of the resource's own vector")
    name: float | None = Field(None, description="bonus for naming the resource")
    hierarchy: float | None = Field(
        None, description="what a catalogue section or chapter gained from its best child")
    rm3: float | None = Field(
        None, description="BM25 of the feedback terms the first pass's best passages lent the "
                          "question (RM3), best passage")


class ResultOut(BaseModel):
    resource: ResourceOut
    score: float
    scores: Scores
    passages: list[PassageOut]


class AnswerOut(BaseModel):
    text: str
    resource_id: str
    passage_id: str
    score: float
    highlight: str | None = Field(None, description="the quote HTML-escaped, the part that "
                                  "answers (a number, a date, a name, a place) in <mark>, else "
                                  "the question's words")
    source: SourceOut | None = Field(None, description="where the quoted sentence stands: its "
                                     "lines when the passage's lines map one for one onto "
                                     "the source's, else the passage's")


class SearchResponse(BaseModel):
    query: str
    language: str | None
    confident: bool
    confidence: float = Field(description="best answer sentence's cosine minus the closest "
                              "out-of-scope reference question's; compared with the threshold. "
                              "-1 when the corpus the caller sees cannot answer: no result, no "
                              "word of the question in it, or a name it never mentions")
    took_ms: float
    answer: AnswerOut | None
    results: list[ResultOut]
    query_id: str | None = Field(None, description="opaque id for POST /api/feedback; none "
                                 "when the query log is off or the client is allow-listed")

    model_config = {"json_schema_extra": {"examples": [{
        "query": "comment une collectivité soutient une épicerie solidaire",
        "language": "fr", "confident": True, "confidence": 0.02, "took_ms": 48.2,
        "answer": {"text": "…", "resource_id": "catalogue-section-epiceries-solidaires",
                   "passage_id": "1234567890123456789", "score": 0.91},
        "results": [],
    }]}}


class ErrorOut(BaseModel):
    detail: str
    message: dict[str, str] = Field(description="the same message in French (fr) and English (en)")


class ReadyOut(BaseModel):
    status: str
    resources: int
    passages: int
    model: str
    built_at: str
    version: str


class ReloadOut(BaseModel):
    reloaded: bool
    version: str
    error: str | None = None


class ReloadRefusedOut(ErrorOut):
    """409 from POST /admin/reload: the version `current` points to was refused."""

    reloaded: bool = False
    version: str = Field(description="the version still serving")
    error: str = Field(description="the file at fault and why")
