"""FAISS at scale: exact vs HNSW over synthetic corpora of 10k to 1M passages.

The seed corpus has 140 passages; the question is how the same search path
(`indexer.store.build_faiss`) behaves when RTES has a thousand times more. Random
unit vectors would make every neighbour equally far and HNSW look either perfect or
useless, so the vectors are clustered like real embeddings: Gaussian noise around
1k-4k unit centres, normalised. Queries are drawn the same way but are not in the corpus.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from eval.timing import latency_summary, rss_mb
from indexer.store import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, build_faiss

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


@dataclass(frozen=True)
class ScaleSettings:
    """Everything that decides the synthetic corpora and the HNSW build; recorded in the output."""

    dim: int = 384
    queries: int = 200  # recall@k is measured on all of them
    latency_queries: int = 100  # timed one by one (exact search at 1M takes ~0.1-0.3 s each)
    k: int = 10
    noise: float = 0.05  # per dimension: a point's cosine to its centre is about 0.7
    min_clusters: int = 1000
    max_clusters: int = 4000
    points_per_cluster: int = 250
    chunk: int = 100_000  # vectors generated at a time, to bound temporary memory
    seed: int = 0
    # The store's efConstruction (200) up to `large_from` vectors; a cheaper one above it, so
    # that the 1M build fits the benchmark's time budget on 2 cores (measured 235 s at 80
    # against ~600 s expected at 200). Stay at or above 2·M = 64: at 40 the level-0 lists
    # starve and recall@10 at 1M fell to 0.86 (0.998 at 80).
    large_from: int = 100_001
    large_ef_construction: int = 80
    # Besides the store's efSearch (128): what a wider search buys in recall and costs in time.
    extra_ef_search: tuple[int, ...] = (512,)

    def clusters(self, n: int) -> int:
        return int(np.clip(n // self.points_per_cluster, self.min_clusters, self.max_clusters))

    def ef_construction(self, n: int) -> int:
        return self.large_ef_construction if n >= self.large_from else HNSW_EF_CONSTRUCTION


def unit_rows(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def clustered_vectors(n: int, centres: np.ndarray, noise: float, rng: np.random.Generator,
                      chunk: int = 100_000) -> np.ndarray:
    """`n` unit vectors, each a random centre plus Gaussian noise, built `chunk` rows at a time."""
    out = np.empty((n, centres.shape[1]), dtype=np.float32)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        picks = rng.integers(0, len(centres), stop - start)
        block = rng.standard_normal((stop - start, centres.shape[1]), dtype=np.float32)
        block *= noise
        block += centres[picks]
        out[start:stop] = unit_rows(block)
    return out


def make_corpus(n: int, settings: ScaleSettings) -> tuple[np.ndarray, np.ndarray]:
    """The corpus vectors and the query vectors for size `n` (deterministic in the seed)."""
    rng = np.random.default_rng([settings.seed, n])
    centres = unit_rows(rng.standard_normal((settings.clusters(n), settings.dim),
                                            dtype=np.float32))
    corpus = clustered_vectors(n, centres, settings.noise, rng, settings.chunk)
    queries = clustered_vectors(settings.queries, centres, settings.noise, rng, settings.chunk)
    return corpus, queries


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the exact top k that the approximate top k found."""
    k = truth.shape[1]
    hits = [len(set(f[f >= 0].tolist()) & set(t.tolist())) for f, t in zip(found, truth,
                                                                          strict=True)]
    return float(np.mean(hits) / k) if hits else 0.0


def single_query_ms(index: Any, queries: np.ndarray, k: int) -> list[float]:
    """One query at a time on one thread: what a single request costs."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        times = []
        for row in queries:
            started = time.perf_counter()
            index.search(row.reshape(1, -1), k)
            times.append((time.perf_counter() - started) * 1000)
        return times
    finally:
        faiss.omp_set_num_threads(threads)


def index_bytes(index: Any) -> int:
    """Memory the index structure holds: vectors, HNSW links and levels, the id map."""
    import faiss

    inner = faiss.downcast_index(index.index)
    size = index.ntotal * 8  # the id map (int64 per vector)
    if isinstance(inner, faiss.IndexHNSW):
        hnsw = inner.hnsw
        size += inner.storage.ntotal * inner.storage.d * 4
        size += hnsw.neighbors.size() * 4 + hnsw.offsets.size() * 8 + hnsw.levels.size() * 4
    else:
        size += inner.ntotal * inner.d * 4
    return size


def build(vectors: np.ndarray, index_type: str, ef_construction: int) -> Any:
    """`build_faiss` itself for flat; for HNSW, its empty index with `ef_construction` set,
    then the same add (build_faiss does not take efConstruction as a parameter)."""
    import faiss

    ids = np.arange(len(vectors), dtype=np.int64)
    if index_type == "flat" or ef_construction == HNSW_EF_CONSTRUCTION:
        return build_faiss(vectors, ids, index_type)
    index = build_faiss(vectors[:0], ids[:0], index_type)
    faiss.downcast_index(index.index).hnsw.efConstruction = ef_construction
    index.add_with_ids(vectors, ids)
    return index


def search_row(index: Any, queries: np.ndarray, truth: np.ndarray | None,
               settings: ScaleSettings) -> tuple[dict[str, Any], np.ndarray]:
    """Latency (single queries) and recall@k (batch) of an index as it is now set."""
    _, found = index.search(queries, settings.k)
    latency = latency_summary(single_query_ms(index, queries[: settings.latency_queries],
                                              settings.k))
    recall = recall_at_k(found, truth if truth is not None else found)
    return {"p50_ms": latency["p50_ms"], "p95_ms": latency["p95_ms"],
            "recall_at_10": round(recall, 4)}, found


def measure_index(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray | None,
                  index_type: str, settings: ScaleSettings
                  ) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Build one index, time it, search with it; its rows (HNSW: one per efSearch tried) and
    its top-k ids at the store's settings."""
    import faiss

    n = len(vectors)
    hnsw = index_type == "hnsw"
    ef_c = settings.ef_construction(n) if hnsw else None
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    index = build(vectors, index_type, ef_c or 0)
    build_s = time.perf_counter() - started
    common = {"n": n, "index": index_type, "build_s": round(build_s, 2),
              "index_mb": round(index_bytes(index) / 2**20, 1),
              "rss_delta_mb": round(rss_mb() - before, 1),
              "hnsw_m": HNSW_M if hnsw else None, "ef_construction": ef_c}
    measured, found = search_row(index, queries, truth, settings)
    rows = [{**common, **measured, "ef_search": HNSW_EF_SEARCH if hnsw else None}]
    for ef_search in settings.extra_ef_search if hnsw else ():
        faiss.downcast_index(index.index).hnsw.efSearch = ef_search
        rows.append({**common, **search_row(index, queries, truth, settings)[0],
                     "ef_search": ef_search})
    del index
    gc.collect()
    return rows, found


def bench_size(n: int, settings: ScaleSettings, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Exact and HNSW rows for a corpus of `n` vectors; exact search is the recall truth."""
    started = time.perf_counter()
    vectors, queries = make_corpus(n, settings)
    log(f"scale n={n}: {settings.clusters(n)} clusters generated in "
        f"{time.perf_counter() - started:.1f} s")
    flat, truth = measure_index(vectors, queries, None, "flat", settings)
    log(f"scale n={n}: flat built in {flat[0]['build_s']} s, p50 {flat[0]['p50_ms']} ms")
    hnsw, _ = measure_index(vectors, queries, truth, "hnsw", settings)
    log(f"scale n={n}: hnsw built in {hnsw[0]['build_s']} s, p50 {hnsw[0]['p50_ms']} ms, "
        f"recall@10 {hnsw[0]['recall_at_10']}")
    del vectors
    gc.collect()
    return [*flat, *hnsw]


def run_scale(sizes: tuple[int, ...], settings: ScaleSettings | None = None,
              log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    settings = settings or ScaleSettings()
    rows = [row for n in sizes for row in bench_size(n, settings, log)]
    params = {**asdict(settings), "clusters": {str(n): settings.clusters(n) for n in sizes},
              "hnsw_m": HNSW_M, "hnsw_ef_search": HNSW_EF_SEARCH,
              "faiss_threads_for_latency": 1}
    return {"rows": rows, "settings": params}
