"""Hybrid retrieval: dense (FAISS) and lexical (BM25) passage scores, fused, grouped by resource.

Visibility and filters are applied before ranking, so a private resource never
takes a rank, a count or a score in an anonymous search; and the corpus statistics
an anonymous search uses (BM25, the name table) are built over public passages only
(the rule is written in `indexer.visibility`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from indexer.embed import Embedder
from indexer.lexical import Analyzer
from indexer.opening import IndexData
from indexer.search_config import AnswerConfig, RetrievalConfig
from indexer.visibility import VISIBILITIES, visibility, visible, visible_positions
from search_service.answer import analyze_words
from search_service.encoding import Steps, encode_soon, wait_through
from search_service.framing import load_framing
from search_service.fusion import fuse
from search_service.hits import PassageHit, ResourceHit, group_fused
from search_service.hybrid import fixed_signals, group_ranked, rank_hybrid
from search_service.markup import PassageMarkup
from search_service.names import NameTable
from search_service.prf import TermMatrix
from search_service.question import Question, analyse, content_words, edge_ngrams
from search_service.signals import LexicalField, ResourceSignals
from search_service.storage import EmbeddedStorage, Storage

if TYPE_CHECKING:
    from indexer.ngrams import NgramSettings
    from search_service.lexicon import Lexicon

__all__ = ["Filters", "PassageHit", "ResourceHit", "RetrievalConfig", "Searcher"]

Words = tuple[tuple[int, int, str], ...]


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    member: bool = False


class Searcher:
    """Everything needed to answer a query, loaded once and shared by all requests."""

    def __init__(self, data: IndexData, embedder: Embedder,
                 config: RetrievalConfig | None = None,
                 answer_config: AnswerConfig | None = None, *,
                 ngram: tuple[NgramSettings, Mapping[str, Any]] | None = None,
                 resource_vectors: np.ndarray | None = None,
                 lexicon: Lexicon | None = None, storage: Storage | None = None) -> None:
        """Parameters come from the version's configuration file unless given (eval compares
        alternatives). `ngram`'s indexes: visibility (public, member) → the n-gram BM25 over
        the passages it sees; `resource_vectors`: one row per resource of `data`; `storage`:
        where candidates come from (default: FAISS and bm25s, `EmbeddedStorage`)."""
        if data.analyzer is None:
            raise ValueError("the version has no lexical section")
        self.data = data
        self.embedder = embedder
        self.bm25: Mapping[str, Any] = data.bm25
        self.analyzer: Analyzer = data.analyzer
        self.config = config or data.config.retrieval
        self.answer_config = answer_config or data.config.answer
        self.resources = {r["id"]: r for r in data.resources}
        rids = [p["resource_id"] for p in data.passages]
        self._passage_resource = rids
        private = self._filter_arrays(rids)
        self.out_of_scope = np.zeros((0, embedder.dimension), dtype=np.float32)
        self._sentences_of: list[list[int]] = [[] for _ in data.passages]
        for row_index, row in enumerate(data.sentences):
            self._sentences_of[row["passage"]].append(row_index)
        self._ranking_signals(private, rids, ngram, resource_vectors)
        self.storage: Storage = storage or EmbeddedStorage(data.faiss_index, self._ids,
                                                           self.stemmed_field)
        self.lexicon = lexicon
        self.framing = load_framing(self.analyzer)
        self._names = {who: NameTable.build((r for r in data.resources
                                             if visible(r["private"], who)), self.analyzer)
                       for who in VISIBILITIES}
        self._passages_of: dict[str, list[int]] = {}
        for i, rid in enumerate(rids):
            self._passages_of.setdefault(rid, []).append(i)
        # Analysis of passages and sentences: all of it at load (`analyse_texts`).
        self._words: dict[int, Words] = {}
        self._markup: dict[int, PassageMarkup] = {}
        self._passage_terms: dict[int, frozenset[str]] = {}
        self._sentence_terms: dict[int, frozenset[str]] = {}

    def analyse_texts(self) -> None:
        """Analyse every passage and sentence now, at load, so that no request does it:
        highlighting and quoting then read word positions and term sets from memory."""
        for index in range(self.size):
            self.passage_words(index)
            self.passage_markup(index)
            self.passage_terms(index)
        for row in range(len(self.data.sentences)):
            self.sentence_terms(row)

    def _filter_arrays(self, rids: list[str]) -> list[bool]:
        """Per passage, what filters read: private, kind, year (-1 undated), and the FAISS id
        ↔ position maps. Returns the private flags."""
        private = [bool(self.resources[r]["private"]) for r in rids]
        self._private = np.array(private, dtype=bool)
        self._kind = np.array([self.resources[r]["kind"] for r in rids])
        years = [(self.resources[r]["date"] or "")[:4] for r in rids]
        self._year = np.array([int(y) if y.isdigit() else -1 for y in years])
        self._ids = np.array([int(p["id"]) for p in self.data.passages], dtype=np.int64)
        return private

    def _ranking_signals(self, private: list[bool], rids: list[str],
                         ngram: tuple[NgramSettings, Mapping[str, Any]] | None,
                         resource_vectors: np.ndarray | None) -> None:
        """The lexical fields (stemmed, n-gram) with each visibility's passage positions,
        and the resource vectors' signal."""
        self._lexical_positions = {who: np.array(visible_positions(private, who), dtype=np.int64)
                                   for who in VISIBILITIES}
        self.stemmed_field = LexicalField(self.bm25, self._lexical_positions, self.size)
        self.ngram_settings = ngram[0] if ngram else None
        self.ngram_field = (LexicalField(ngram[1], self._lexical_positions, self.size)
                            if ngram else None)
        self.resource_signals = ResourceSignals(self.data.resources, resource_vectors, rids)
        self.term_matrices = {who: TermMatrix(index, self._lexical_positions[who], self.size)
                              for who, index in self.bm25.items()}

    def set_out_of_scope(self, questions: Sequence[str]) -> None:
        """Reference questions the corpus does not answer; see `out_of_scope_similarity`."""
        self.out_of_scope = self.embedder.encode_queries(list(questions))

    def out_of_scope_similarity(self, query_vector: np.ndarray) -> float:
        """How close the question is to the reference out-of-scope questions (0 without them)."""
        if not len(self.out_of_scope):
            return 0.0
        return float((self.out_of_scope @ query_vector).max())

    def passage_resource(self, index: int) -> str:
        return self._passage_resource[index]

    def ngram_tokens(self, query: str) -> list[str]:
        """The question's edge n-grams, from its first `max_query_terms` words (without the
        framing words when the ranking drops them, as `question.analyse` does)."""
        words = content_words(query, self.analyzer, self.ngram_settings)
        if self.config.ranking.framing_words:
            words = self.framing.content(words)
        return edge_ngrams(self, words)

    def query_tokens(self, query: str) -> list[str]:
        """The question's analyzed terms, at most `max_query_terms` of them."""
        return self.analyzer.tokens(query)[: self.config.max_query_terms]

    def encode_query(self, query: str) -> np.ndarray:
        """The question's vector, from at most `max_query_tokens` model tokens."""
        return self.embedder.encode_query(query, max_tokens=self.config.max_query_tokens)

    def encode_query_soon(self, query: str) -> Future[np.ndarray]:
        """`encode_query` started beside the caller's work (`search_service.encoding`)."""
        return encode_soon(self.embedder, query, self.config.max_query_tokens)

    def passage_words(self, index: int) -> Words:
        """(start, end, analyzed term or "") of every word of a passage, for highlighting."""
        words = self._words.get(index)
        if words is None:
            words = analyze_words(self.data.passages[index]["text"], self.analyzer)
            self._words[index] = words
        return words

    def passage_markup(self, index: int) -> PassageMarkup:
        """The passage escaped and its terms located, for highlighting (`markup`)."""
        markup = self._markup.get(index)
        if markup is None:
            markup = PassageMarkup.of(self.data.passages[index]["text"], self.passage_words(index))
            self._markup[index] = markup
        return markup

    def passage_terms(self, index: int) -> frozenset[str]:
        terms = self._passage_terms.get(index)
        if terms is None:
            terms = frozenset(self.analyzer.tokens(self.data.passages[index]["text"]))
            self._passage_terms[index] = terms
        return terms

    def sentence_cosines(self, rows: list[int], query_vector: np.ndarray) -> np.ndarray:
        """The cosines to the question of the stored sentences `rows` (vectors from the
        build)."""
        if not rows or self.data.sentence_vectors is None:
            return np.zeros(len(rows), dtype=np.float32)
        return self.data.sentence_vectors[rows] @ query_vector

    def sentence_terms(self, row: int) -> frozenset[str]:
        """The analyzed terms of the stored sentence `data.sentences[row]`."""
        terms = self._sentence_terms.get(row)
        if terms is None:
            found = self.data.sentences[row]
            text = self.data.passages[found["passage"]]["text"][found["start"]:found["end"]]
            terms = frozenset(self.analyzer.tokens(text))
            self._sentence_terms[row] = terms
        return terms

    @property
    def size(self) -> int:
        return len(self.data.passages)

    def allowed(self, filters: Filters) -> np.ndarray:
        mask = np.ones(self.size, dtype=bool)
        if not filters.member:
            mask &= ~self._private
        if filters.kinds:
            mask &= np.isin(self._kind, list(filters.kinds))
        if filters.year_from is not None:
            mask &= self._year >= filters.year_from
        if filters.year_to is not None:
            mask &= (self._year >= 0) & (self._year <= filters.year_to)
        return mask

    def dense_scores(self, query_vector: np.ndarray, mask: np.ndarray,
                     filters: Filters | None = None) -> np.ndarray:
        """Cosine of every allowed passage among the storage's top candidates; -1 elsewhere."""
        return self.storage.dense_scores(query_vector, mask, filters or Filters(),
                                         self.config.candidates)

    def lexical_scores(self, tokens: list[str], mask: np.ndarray, member: bool,
                       filters: Filters | None = None) -> np.ndarray:
        """BM25 with the statistics of the caller's visibility, 0 outside `mask`."""
        return self.storage.lexical_scores(tokens, visibility(member), mask,
                                           filters or Filters(member=member))

    def fuse(self, dense: np.ndarray, lexical: np.ndarray, mask: np.ndarray,
             mode: str) -> np.ndarray:
        cfg = self.config
        return fuse(dense, lexical, mask, mode, fusion=cfg.fusion,
                    dense_weight=cfg.dense_weight, candidates=cfg.candidates)

    def name_boost(self, tokens: Sequence[str], query: str, member: bool) -> np.ndarray:
        """Per passage: a bonus when the question names its resource (a rare title word, a
        fiche number), so an exact name is not outranked by a semantic near-miss."""
        boost = np.zeros(self.size, dtype=np.float32)
        for rid, value in self._names[visibility(member)].bonus(set(tokens), query).items():
            boost[self._passages_of[rid]] = value
        return self.config.name_boost * boost

    def search(self, query: str | Question, k: int = 10, filters: Filters | None = None,
               mode: str = "hybrid", query_vector: np.ndarray | None = None
               ) -> list[ResourceHit]:
        """The top `k` resources; `query` is the question analysed at the entrance
        (`search_service.question.analyse`), or its text, analysed here."""
        return wait_through(self.search_steps(query, k, filters, mode, query_vector))

    def search_steps(self, query: str | Question, k: int = 10, filters: Filters | None = None,
                     mode: str = "hybrid", query_vector: np.ndarray | None = None
                     ) -> Steps[list[ResourceHit]]:
        """`search` as steps: what needs no vector first, then it yields the encoding's
        future (`search_service.encoding`) and ranks once the vector is there, so the
        caller chooses how to wait (a thread blocks, the HTTP route awaits)."""
        filters = filters or Filters()
        mask = self.allowed(filters)
        question = (query if isinstance(query, Question)
                    else analyse(self, query, mode, query_vector))
        # What needs no vector first: it overlaps the question's encoding (`analyse`).
        lexical = (self.lexical_scores(list(question.lexical_tokens), mask, filters.member,
                                       filters)
                   if mode != "dense"
                   else np.zeros(self.size, dtype=np.float32))
        fixed = (fixed_signals(self, question, lexical, mask, filters.member)
                 if mode == "hybrid" else None)
        if isinstance(question.encoding, Future):
            yield question.encoding
        query_vector = question.vector
        dense = (self.dense_scores(query_vector, mask, filters) if query_vector is not None
                 else np.full(self.size, -1.0, dtype=np.float32))
        if mode == "hybrid":
            ranking = rank_hybrid(self, question, dense, lexical, mask, filters.member, fixed)
            return group_ranked(self, ranking, dense, lexical, k)
        return group_fused(self.fuse(dense, lexical, mask, mode), dense, lexical,
                           self._passage_resource, self.resources, k,
                           self.config.passages_per_resource)
