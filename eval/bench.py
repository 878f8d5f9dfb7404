"""`python -m eval bench`: how fast the index builds and the service answers, and at what cost.

Every measurement sits beside its floor, the part no service code can beat: the build
beside the model encoding the same texts, an HTTP search beside encoding the query and
one FAISS search. The server is the real one (`python -m search_service`) in its own
process on loopback (`eval/server.py`), started with `RTES_RATE_LIMIT_EXEMPT=127.0.0.1`
so the per-client rate limit does not throttle the benchmark itself. Options are in
`bench_options.py`, the HTTP requests in `http_load.py`, the printed tables in
`bench_tables.py`.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.bench_baseline import NO_QUERY_CACHE, bench_baseline, floor_ms
from eval.bench_options import BenchOptions
from eval.data import load_question_set
from eval.encoders import ndcg_by_split
from eval.http_load import http_connection, load_test, search_path, timed_request, timed_requests
from eval.scale import run_scale
from eval.server import RATE_LIMIT_ENV, running_server
from eval.timing import environment, latency_summary, peak_rss_mb, per_s, rss_mb

Log = Callable[[str], None]
# NO_QUERY_CACHE: the questions cycle at every concurrency level; with the service's query
# cache every later request would take its vector from it, not from the encoder.


def build_texts(seeds: Path, embedder: Any) -> tuple[list[str], list[str]]:
    """The passage texts (with their header) and sentence texts the build encodes."""
    from indexer.chunk import ChunkSettings, chunk_resources
    from indexer.embed import embedding_text
    from indexer.parse import parse_seeds
    from indexer.sentences import split_sentences

    resources = parse_seeds(seeds).resources
    by_id = {r.id: r for r in resources}
    passages = chunk_resources(resources, ChunkSettings())
    texts = [embedding_text(p, by_id[p.resource_id], embedder.settings.header_format)
             for p in passages]
    sentences = [s.text for p in passages for s in split_sentences(p.text)]
    return texts, sentences


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_build(seeds: Path, out_dir: Path, embedder: Any, log: Log) -> dict[str, Any]:
    """A full build into an empty directory, beside the model encoding the same texts."""
    from indexer.build import build_index

    texts, sentences = build_texts(seeds, embedder)
    embedder.encode_passages(texts[:16])  # warm-up: first calls allocate
    passages_s = _timed(lambda: embedder.encode_passages(texts, batch_size=16))
    sentences_s = _timed(lambda: embedder.encode_passages(sentences, batch_size=32))
    log(f"build: encoding floor {passages_s:.1f} s passages + {sentences_s:.1f} s sentences")
    summary = build_index(seeds, out_dir, embedder, progress=False)
    log(f"build: {summary.passages} passages in {summary.seconds:.1f} s")
    return {
        "passages": summary.passages, "sentences": summary.sentences,
        "build_s": round(summary.seconds, 2),
        "build_passages_per_s": per_s(summary.passages, summary.seconds),
        "encode_passages_s": round(passages_s, 2),
        "encode_passages_per_s": per_s(len(texts), passages_s),
        "encode_sentences_s": round(sentences_s, 2),
        "encode_all_s": round(passages_s + sentences_s, 2),
    }


def _environment_of(pid: int, names: Sequence[str]) -> dict[str, str | None]:
    """The variables as the server process really has them (read back, not assumed)."""
    import psutil

    try:
        env = psutil.Process(pid).environ()
    except (psutil.Error, OSError):
        return {name: None for name in names}
    return {name: env.get(name) for name in names}


def interleaved_latencies(searcher: Any, host: str, port: int, queries: Sequence[str],
                          mode: str) -> tuple[list[float], list[float], list[tuple[float, str]]]:
    """Per question, one after the other: the floor (encoding + one FAISS search, in this
    process), the whole pipeline in this process, and the same search over HTTP to the real
    server. Interleaved, so a change of the machine's load shifts all three alike and their
    ratios hold within the run (measured phase after phase, they did not on shared cores)."""
    from search_service.pipeline import run_search

    paths = [search_path(q, mode) for q in queries]
    timed_requests(host, port, paths[:3])  # warm-up, as for the two in-process paths
    for query in queries[:3]:
        run_search(searcher, query, mode=mode)
    floor, pipeline, http = [], [], []
    conn = http_connection(host, port)
    try:
        for query, path in zip(queries, paths, strict=True):
            floor.append(floor_ms(searcher, query))
            started = time.perf_counter()
            run_search(searcher, query, mode=mode)
            pipeline.append((time.perf_counter() - started) * 1000)
            conn, timed = timed_request(conn, host, port, path)
            http.append(timed)
    finally:
        conn.close()
    return floor, pipeline, http


def bench_service(index_dir: Path, queries: Sequence[str], embedder: Any, options: BenchOptions,
                  work_dir: Path, log: Log) -> dict[str, Any]:
    """The real server beside the in-process pipeline and its floor (interleaved), then
    concurrency and memory."""
    from search_service.loading import load_searcher

    searcher = load_searcher(index_dir, embedder=embedder)
    paths = [search_path(q, options.mode) for q in queries]
    with running_server(index_dir, work_dir / "server.log", options.timeout,
                        env=NO_QUERY_CACHE) as server:
        pid = server.process.pid
        memory = {"rss_ready_mb": rss_mb(pid)}
        floor, pipeline, sequential = interleaved_latencies(
            searcher, server.host, server.port, queries, options.mode)
        errors = sum(status != "200" for _, status in sequential)
        http_row = {"path": f"HTTP GET /api/search ({options.mode})",
                    **latency_summary([ms for ms, s in sequential if s == "200"]),
                    "errors": errors}
        log(f"service: HTTP p50 {http_row['p50_ms']} ms over {len(paths)} questions "
            "(in-process and floor interleaved with it)")
        cycle = [paths[i % len(paths)] for i in range(options.requests)]
        levels = []
        for concurrency in options.concurrency:
            levels.append(load_test(server.host, server.port, cycle, concurrency))
            log(f"service: concurrency {concurrency}: {levels[-1]['throughput_rps']} req/s, "
                f"{levels[-1]['errors']} errors")
        memory.update({"rss_after_load_mb": rss_mb(pid), "rss_peak_mb": peak_rss_mb(pid)})
        server_env = _environment_of(pid, RATE_LIMIT_ENV)
    k = searcher.config.candidates
    floors = [
        {"path": f"in-process run_search ({options.mode}, no HTTP)", **latency_summary(pipeline)},
        {"path": f"floor: encode_query + FAISS search (k={k})", **latency_summary(floor)},
    ]
    return {"latency": [http_row, *floors], "concurrency": levels, "memory": memory,
            "server_env": server_env}


def run_bench(options: BenchOptions, log: Log = lambda _: None) -> dict[str, Any]:
    """Run the chosen parts; every number lands in one JSON-ready dict."""
    started = time.perf_counter()
    results: dict[str, Any] = {"environment": environment(), "parts": list(options.parts)}
    needs_model = bool({"build", "service", "postgres"} & set(options.parts))
    if ({"service", "postgres"} & set(options.parts) and options.index is None
            and "build" not in options.parts):
        raise ValueError("the service and postgres parts need --index DIR, or the build part")
    embedder = None
    if needs_model:
        from eval.encoders import bench_encoder

        embedder = bench_encoder(options.index)
    with tempfile.TemporaryDirectory(prefix="rtes-bench-") as tmp:
        work = Path(tmp)
        index_dir = options.index
        if "build" in options.parts:
            results["build"] = bench_build(options.seeds, work / "index", embedder, log)
            index_dir = index_dir or work / "index"
        questions = [q.text for q in load_question_set(options.eval_dir).queries]
        questions = questions[: options.queries] if options.queries else questions
        if "service" in options.parts:
            results["service"] = bench_service(index_dir, questions, embedder, options,
                                               work, log)
        if "baseline" in options.parts:
            results["baseline"] = bench_baseline(options.seeds, work, questions, options, log)
            if "service" in options.parts:
                results["service"]["ndcg10"] = ndcg_by_split(index_dir, embedder,
                                                             options.eval_dir)
        if "postgres" in options.parts:
            from eval.bench_pg import bench_postgres

            results["postgres"] = bench_postgres(index_dir, questions, embedder, options.mode,
                                                 log)
    if "scale" in options.parts:
        results["scale"] = run_scale(options.sizes, options.scale, log)
    if "pgscale" in options.parts:
        from eval.bench_pg import bench_pg_scale

        results["pgscale"] = [bench_pg_scale(n, options.scale, log) for n in options.pg_sizes]
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    service = results.get("service", {})
    results["ok"] = not any(r.get("errors") for r in
                            [*service.get("latency", []), *service.get("concurrency", [])])
    return results


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, allow_nan=True) + "\n",
                    encoding="utf-8")
