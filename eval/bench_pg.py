"""The postgres backend in the benchmark: its single-query cost against the embedded path in
the same run, and pgvector's HNSW over a synthetic table of N passages.

Both start a real PostgreSQL with pgserver in a temporary directory (the `dev` extra
installs it), so the figures need no database set up beforehand.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from eval.scale import ScaleSettings, make_corpus, recall_at_k
from eval.timing import latency_summary

Log = Callable[[str], None]
PG_HNSW = {"m": 16, "ef_construction": 64}  # as `indexer.pg_store.HNSW`
PG_EF_SEARCH = (40, 100)  # pgvector's default, and what the service sets


@contextmanager
def temporary_postgres() -> Iterator[str]:
    """A PostgreSQL of its own (pgserver) for the length of the block; its URL."""
    import pgserver
    from pgserver._commands import pg_ctl

    with tempfile.TemporaryDirectory(prefix="rtes-pg-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode=None)
        try:
            yield server.get_uri()
        finally:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def _interleaved(searchers: dict[str, Any], queries: Sequence[str], mode: str
                 ) -> dict[str, list[float]]:
    """Each question on every backend in turn, so load on the machine hits both alike."""
    from search_service.pipeline import run_search

    times: dict[str, list[float]] = {name: [] for name in searchers}
    for query in queries:
        for name, searcher in searchers.items():
            started = time.perf_counter()
            run_search(searcher, query, mode=mode)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def bench_postgres(index_dir: Path, queries: Sequence[str], embedder: Any, mode: str,
                   log: Log) -> dict[str, Any]:
    """Publish `index_dir`'s version into a fresh PostgreSQL, then time `run_search` on both
    backends over the same questions (one process, the same encoder)."""
    from indexer.opening import open_version
    from indexer.pg_store import publish
    from search_service.loading import load_searcher
    from search_service.pg_loading import database_for, load_pg_searcher

    with temporary_postgres() as url:
        started = time.perf_counter()
        publish(url, open_version(index_dir))
        publish_s = time.perf_counter() - started
        started = time.perf_counter()
        pg = load_pg_searcher(database_for(url), embedder=embedder)
        load_s = time.perf_counter() - started
        searchers = {"embedded": load_searcher(index_dir, embedder=embedder), "postgres": pg}
        _interleaved(searchers, queries[:3], mode)  # warm-up
        times = _interleaved(searchers, queries, mode)
        database_for(url).close()
    rows = [{"backend": name, **latency_summary(ms)} for name, ms in times.items()]
    ratio = rows[1]["p50_ms"] / rows[0]["p50_ms"] if rows[0]["p50_ms"] else float("nan")
    log(f"postgres: run_search p50 {rows[1]['p50_ms']} ms against {rows[0]['p50_ms']} ms "
        f"embedded ({ratio:.2f}x)")
    return {"rows": rows, "p50_ratio": round(ratio, 2), "publish_s": round(publish_s, 2),
            "load_s": round(load_s, 2), "questions": len(queries), "mode": mode}


def binary_rows(vectors: np.ndarray, first: int) -> bytes:
    """Rows (pos int, embedding vector) in COPY's binary format: pgvector's binary form is
    int16 dimension, int16 unused, then big-endian float4s (no text to parse)."""
    dim = vectors.shape[1]
    row = np.dtype([("fields", ">i2"), ("len1", ">i4"), ("pos", ">i4"), ("len2", ">i4"),
                    ("dim", ">i2"), ("unused", ">i2"), ("v", ">f4", (dim,))])
    out = np.zeros(len(vectors), dtype=row)
    out["fields"], out["len1"], out["len2"], out["dim"] = 2, 4, 4 + 4 * dim, dim
    out["pos"] = np.arange(first, first + len(vectors))
    out["v"] = vectors
    return out.tobytes()


def _copy_vectors(conn: Any, vectors: np.ndarray, batch: int = 50_000) -> None:
    """The synthetic rows through binary COPY, a batch at a time."""
    with conn.cursor() as cur, cur.copy("COPY synthetic (pos, embedding) FROM STDIN "
                                        "WITH (FORMAT BINARY)") as cp:
        cp.write(b"PGCOPY\n\xff\r\n\x00" + bytes(8))  # signature, flags, no extension
        for start in range(0, len(vectors), batch):
            cp.write(binary_rows(vectors[start:start + batch], start))
        cp.write(b"\xff\xff")  # end of data


def _query_ms(conn: Any, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    sql = "SELECT pos FROM synthetic ORDER BY embedding <#> %s::vector LIMIT %s"
    times, found = [], []
    for row in queries:
        text = "[" + ",".join(map(repr, row.tolist())) + "]"
        started = time.perf_counter()
        got = [pos for (pos,) in conn.execute(sql, (text, k)).fetchall()]
        times.append((time.perf_counter() - started) * 1000)
        found.append(got + [-1] * (k - len(got)))
    return times, np.array(found)


def _exact_truth(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The exact top k by inner product (NumPy, 10 queries at a time)."""
    out = []
    for start in range(0, len(queries), 10):
        scores = queries[start:start + 10] @ vectors.T
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        out.append(np.take_along_axis(top, order, axis=1))
    return np.concatenate(out)


def bench_pg_scale(n: int, settings: ScaleSettings, log: Log) -> dict[str, Any]:
    """Load N synthetic vectors, build the HNSW index, time queries, recall@10 vs exact."""
    import psycopg

    vectors, queries = make_corpus(n, settings)
    truth = _exact_truth(vectors, queries, settings.k)
    timed = queries[: settings.latency_queries]
    with temporary_postgres() as url, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute(f"CREATE TABLE synthetic (pos int PRIMARY KEY, "
                     f"embedding vector({settings.dim}) NOT NULL)")
        started = time.perf_counter()
        _copy_vectors(conn, vectors)
        load_s = time.perf_counter() - started
        log(f"postgres scale {n}: rows loaded in {load_s:.1f} s")
        conn.execute("SET maintenance_work_mem = '2GB'")
        started = time.perf_counter()
        conn.execute(f"CREATE INDEX ON synthetic USING hnsw (embedding vector_ip_ops) WITH "
                     f"(m = {PG_HNSW['m']}, ef_construction = {PG_HNSW['ef_construction']})")
        build_s = time.perf_counter() - started
        log(f"postgres scale {n}: HNSW built in {build_s:.1f} s")
        conn.execute("ANALYZE synthetic")
        rows = []
        for ef in PG_EF_SEARCH:
            conn.execute(f"SET hnsw.ef_search = {ef}")
            times, _ = _query_ms(conn, timed, settings.k)
            _, found = _query_ms(conn, queries, settings.k)
            rows.append({"index": "hnsw", "ef_search": ef, **latency_summary(times),
                         "recall_at_10": round(recall_at_k(found, truth), 4)})
        conn.execute("SET enable_indexscan = off")
        exact, found = _query_ms(conn, timed[:20], settings.k)
        rows.append({"index": "exact (seq scan)", "ef_search": None, **latency_summary(exact),
                     "recall_at_10": round(recall_at_k(found, truth[:20]), 4)})
        size = conn.execute("SELECT pg_total_relation_size('synthetic')").fetchone()[0]
    return {"n": n, "load_s": round(load_s, 1), "build_s": round(build_s, 1),
            "table_mb": round(size / 2**20, 1), "hnsw": PG_HNSW, "rows": rows}
