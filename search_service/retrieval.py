"""Hybrid retrieval: dense (FAISS) and lexical (BM25) passage scores, fused, grouped by resource.

Visibility and filters are applied before ranking, so a private resource never
takes a rank, a count or a score in an anonymous search.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer.embed import Embedder
from indexer.lexical import Analyzer
from indexer.sentences import Sentence
from indexer.store import IndexData

RRF_K = 60


@dataclass(frozen=True)
class RetrievalConfig:
    """Tuned on the dev split of the question set (see eval/README.md)."""

    fusion: str = "weighted"  # "weighted" or "rrf"
    dense_weight: float = 0.6
    candidates: int = 100
    passages_per_resource: int = 3
    name_boost: float = 0.25


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    member: bool = False


@dataclass
class PassageHit:
    index: int
    score: float
    dense: float
    lexical: float


@dataclass
class ResourceHit:
    resource: dict[str, Any]
    score: float
    dense: float
    lexical: float
    passages: list[PassageHit] = field(default_factory=list)


def _minmax(scores: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scale the allowed scores to [0, 1]; BM25 and cosine live on different scales."""
    out = np.zeros_like(scores, dtype=np.float32)
    if not mask.any():
        return out
    allowed = scores[mask]
    lo, hi = float(allowed.min()), float(allowed.max())
    if hi > lo:
        out[mask] = (allowed - lo) / (hi - lo)
    elif hi > 0:
        out[mask] = 1.0
    return out


def _ranks(scores: np.ndarray, mask: np.ndarray, limit: int) -> dict[int, int]:
    order = [i for i in np.argsort(-scores, kind="stable") if mask[i]][:limit]
    return {int(i): r for r, i in enumerate(order, 1)}


class Searcher:
    """Everything needed to answer a query, loaded once and shared by all requests."""

    def __init__(self, data: IndexData, embedder: Embedder, bm25: Any, analyzer: Analyzer,
                 config: RetrievalConfig | None = None) -> None:
        self.data = data
        self.embedder = embedder
        self.bm25 = bm25
        self.analyzer = analyzer
        self.config = config or RetrievalConfig()
        self.resources = {r["id"]: r for r in data.resources}
        rids = [p["resource_id"] for p in data.passages]
        self._passage_resource = rids
        self._private = np.array([self.resources[r]["private"] for r in rids], dtype=bool)
        self._kind = np.array([self.resources[r]["kind"] for r in rids])
        years = [(self.resources[r]["date"] or "")[:4] for r in rids]
        self._year = np.array([int(y) if y.isdigit() else -1 for y in years])
        self._id_to_index = {int(p["id"]): i for i, p in enumerate(data.passages)}
        self._ids = np.array([int(p["id"]) for p in data.passages], dtype=np.int64)
        self._selectors: dict[bytes, tuple[int, Any]] = {}
        self.out_of_scope = np.zeros((0, embedder.dimension), dtype=np.float32)
        self._sentences_of: list[list[int]] = [[] for _ in data.passages]
        for row_index, row in enumerate(data.sentences):
            self._sentences_of[row["passage"]].append(row_index)
        self._names, self._fiches, self._passages_of = self._name_tables(analyzer)

    def set_out_of_scope(self, questions: Sequence[str]) -> None:
        """Reference questions the corpus does not answer; see `out_of_scope_similarity`."""
        self.out_of_scope = self.embedder.encode_queries(list(questions))

    def out_of_scope_similarity(self, query_vector: np.ndarray) -> float:
        """How close the question is to the reference out-of-scope questions (0 without them)."""
        if not len(self.out_of_scope):
            return 0.0
        return float((self.out_of_scope @ query_vector).max())

    def sentences(self, passage_index: int, query_vector: np.ndarray
                  ) -> tuple[list[Sentence], np.ndarray]:
        """A passage's sentences and their cosines to the question (vectors from the build)."""
        rows = self._sentences_of[passage_index]
        text = self.data.passages[passage_index]["text"]
        found = [self.data.sentences[r] for r in rows]
        sentences = [Sentence(text[s["start"]:s["end"]], s["start"], s["end"]) for s in found]
        if not rows or self.data.sentence_vectors is None:
            return sentences, np.zeros(len(rows), dtype=np.float32)
        return sentences, self.data.sentence_vectors[rows] @ query_vector

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

    def _selection(self, mask: np.ndarray) -> tuple[int, Any]:
        """How many passages are allowed, and a FAISS selector for them (None: all).

        Cached per distinct mask (public, member, each filter combination), so a query does
        no per-passage Python work before the FAISS search.
        """
        import faiss

        if mask.all():
            return self.size, None
        key = mask.tobytes()
        cached = self._selectors.get(key)
        if cached is None:
            ids = self._ids[mask]
            cached = (len(ids), faiss.IDSelectorBatch(ids) if len(ids) else None)
            if len(self._selectors) >= 256:
                self._selectors.pop(next(iter(self._selectors)))
            self._selectors[key] = cached
        return cached

    def dense_scores(self, query_vector: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Cosine of every allowed passage among FAISS's top candidates; -1 elsewhere."""
        import faiss

        scores = np.full(self.size, -1.0, dtype=np.float32)
        allowed, selector = self._selection(mask)
        if not allowed:
            return scores
        params = faiss.SearchParameters(sel=selector) if selector is not None else None
        k = min(allowed, max(self.config.candidates, 1))
        sims, ids = self.data.faiss_index.search(query_vector.reshape(1, -1), k, params=params)
        for sim, pid in zip(sims[0], ids[0], strict=True):
            if pid >= 0:
                scores[self._id_to_index[int(pid)]] = sim
        return scores

    def lexical_scores(self, query: str, mask: np.ndarray) -> np.ndarray:
        tokens = self.analyzer.tokens(query)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        scores = np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
        return np.where(mask, scores, 0.0).astype(np.float32)

    def fuse(self, dense: np.ndarray, lexical: np.ndarray, mask: np.ndarray,
             mode: str) -> np.ndarray:
        cfg = self.config
        if mode == "dense":
            return np.where(mask, dense, -np.inf)
        if mode == "bm25":
            return np.where(mask & (lexical > 0), lexical, -np.inf)
        dense_mask = mask & (dense > -1.0)
        if cfg.fusion == "rrf":
            fused = np.full(self.size, -np.inf, dtype=np.float32)
            for ranks in (_ranks(dense, dense_mask, cfg.candidates),
                          _ranks(lexical, mask & (lexical > 0), cfg.candidates)):
                for i, r in ranks.items():
                    fused[i] = max(fused[i], 0.0) + 1.0 / (RRF_K + r)
            return fused
        fused = (cfg.dense_weight * _minmax(dense, dense_mask)
                 + (1 - cfg.dense_weight) * _minmax(lexical, mask & (lexical > 0)))
        return np.where(dense_mask | (mask & (lexical > 0)), fused, -np.inf)

    def _name_tables(self, analyzer: Analyzer
                     ) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[int]]]:
        """Rare title words (in at most 2 titles) and fiche numbers → resources; resource →
        passages. Built once, so the name bonus costs a few look-ups per query."""
        titles = {rid: set(analyzer.tokens(r["title"])) for rid, r in self.resources.items()}
        df: Counter[str] = Counter(t for terms in titles.values() for t in terms)
        names: dict[str, list[str]] = {}
        for rid, terms in titles.items():
            for term in terms:
                if df[term] <= 2:
                    names.setdefault(term, []).append(rid)
        fiches: dict[str, list[str]] = {}
        for rid, r in self.resources.items():
            if r.get("fiche_number"):
                fiches.setdefault(r["fiche_number"], []).append(rid)
        passages: dict[str, list[int]] = {}
        for i, rid in enumerate(self._passage_resource):
            passages.setdefault(rid, []).append(i)
        return names, fiches, passages

    def name_boost(self, query: str) -> np.ndarray:
        """Per passage: a bonus when the question names its resource (a rare title word, a
        fiche number), so an exact name is not outranked by a semantic near-miss."""
        terms = set(self.analyzer.tokens(query))
        by_resource: Counter[str] = Counter()
        for term in terms:
            for rid in self._names.get(term, ()):
                by_resource[rid] += 1 / len(terms)
        for number in set(re.findall(r"\d+", query)):
            for rid in self._fiches.get(number, ()):
                by_resource[rid] += 1.0
        boost = np.zeros(self.size, dtype=np.float32)
        for rid, value in by_resource.items():
            boost[self._passages_of[rid]] = value
        return self.config.name_boost * boost

    def search(self, query: str, k: int = 10, filters: Filters | None = None,
               mode: str = "hybrid", query_vector: np.ndarray | None = None) -> list[ResourceHit]:
        filters = filters or Filters()
        mask = self.allowed(filters)
        if query_vector is None and mode != "bm25":
            query_vector = self.embedder.encode_query(query)
        dense = (self.dense_scores(query_vector, mask) if query_vector is not None
                 else np.full(self.size, -1.0, dtype=np.float32))
        lexical = self.lexical_scores(query, mask) if mode != "dense" else np.zeros(self.size)
        fused = self.fuse(dense, lexical, mask, mode)
        if mode == "hybrid" and self.config.name_boost:
            fused = fused + self.name_boost(query)
        return self.group(fused, dense, lexical, k)

    def group(self, fused: np.ndarray, dense: np.ndarray, lexical: np.ndarray,
              k: int) -> list[ResourceHit]:
        hits: dict[str, ResourceHit] = {}
        for i in np.argsort(-fused, kind="stable"):
            if not np.isfinite(fused[i]):
                break
            rid = self._passage_resource[i]
            hit = PassageHit(int(i), float(fused[i]), float(dense[i]), float(lexical[i]))
            group = hits.get(rid)
            if group is None:
                if len(hits) >= k:
                    continue
                hits[rid] = ResourceHit(self.resources[rid], hit.score, hit.dense, hit.lexical,
                                        [hit])
            elif len(group.passages) < self.config.passages_per_resource:
                group.passages.append(hit)
                group.dense = max(group.dense, hit.dense)
                group.lexical = max(group.lexical, hit.lexical)
        return list(hits.values())


def passage_texts(searcher: Searcher, hits: Sequence[ResourceHit]) -> list[str]:
    return [searcher.data.passages[p.index]["text"] for h in hits for p in h.passages]
