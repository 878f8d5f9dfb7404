"""`python -m eval bench`: how fast the index builds and the service answers, and at what cost.

Every measurement sits beside its floor, the part no service code can beat: the build
beside the model encoding the same texts, an HTTP search beside encoding the query and
one FAISS search. The server is the real one (`python -m search_service`) in its own
process on loopback, started with `RTES_RATE_LIMIT_EXEMPT=127.0.0.1` so the per-client
rate limit does not throttle the benchmark itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.data import default_eval_dir, load_question_set
from eval.scale import DEFAULT_SIZES, ScaleSettings, run_scale
from eval.timing import environment, latency_summary, peak_rss_mb, rss_mb
from indexer.settings import child_environment

PARTS = ("build", "service", "scale")
DEFAULT_CONCURRENCY = (1, 4, 16)
RATE_LIMIT_ENV = {"RTES_RATE_LIMIT_EXEMPT": "127.0.0.1"}
Log = Callable[[str], None]


@dataclass(frozen=True)
class BenchOptions:
    seeds: Path
    index: Path | None = None  # serve this index instead of the one the build part makes
    parts: tuple[str, ...] = PARTS
    queries: int | None = None  # questions for the single-query latencies (None: all)
    requests: int = 160  # per concurrency level
    concurrency: tuple[int, ...] = DEFAULT_CONCURRENCY
    sizes: tuple[int, ...] = DEFAULT_SIZES
    scale: ScaleSettings = ScaleSettings()
    eval_dir: Path = default_eval_dir()
    mode: str = "hybrid"
    timeout: float = 180.0


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v.replace("_", "")) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") \
            from exc
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _parts(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        raise argparse.ArgumentTypeError(f"parts are {', '.join(PARTS)}; got {text!r}")
    return parts


def add_bench_arguments(p: argparse.ArgumentParser) -> None:
    root = Path(__file__).resolve().parent.parent
    p.add_argument("--seeds", type=Path, default=root / "seeds",
                   help="seed exports to build from (default: the repository's seeds/)")
    p.add_argument("--index", type=Path,
                   help="serve this index instead of the one built by the build part")
    p.add_argument("--parts", type=_parts, default=PARTS,
                   help="comma-separated subset of build,service,scale (default: all)")
    p.add_argument("--queries", type=int, default=None,
                   help="questions for single-query latency (default: the whole question set)")
    p.add_argument("--requests", type=int, default=160,
                   help="requests per concurrency level (default 160)")
    p.add_argument("--concurrency", type=_int_list, default=DEFAULT_CONCURRENCY,
                   help="concurrency levels (default 1,4,16)")
    p.add_argument("--sizes", type=_int_list, default=DEFAULT_SIZES,
                   help="synthetic corpus sizes for FAISS (default 10000,100000,1000000)")
    p.add_argument("--scale-queries", type=int, default=ScaleSettings().queries,
                   help="queries per synthetic corpus (default 200)")
    p.add_argument("--large-ef-construction", type=int,
                   default=ScaleSettings().large_ef_construction,
                   help="HNSW efConstruction above 100k vectors (default 80; the store's 200 "
                        "below), so the 1M build fits in the time budget; keep it >= 2*M = 64")
    p.add_argument("--json", type=Path, help="also write every number to this JSON file")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())


def bench_options(args: argparse.Namespace) -> BenchOptions:
    scale = ScaleSettings(queries=args.scale_queries,
                          large_ef_construction=args.large_ef_construction)
    return BenchOptions(seeds=args.seeds, index=args.index, parts=args.parts,
                        queries=args.queries, requests=args.requests,
                        concurrency=args.concurrency, sizes=args.sizes, scale=scale,
                        eval_dir=args.eval_dir)


# -- build --------------------------------------------------------------------------------


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


def _per_s(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("nan")


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
        "build_passages_per_s": _per_s(summary.passages, summary.seconds),
        "encode_passages_s": round(passages_s, 2),
        "encode_passages_per_s": _per_s(len(texts), passages_s),
        "encode_sentences_s": round(sentences_s, 2),
        "encode_all_s": round(passages_s + sentences_s, 2),
    }


# -- service ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen
    host: str
    port: int


def _ready(host: str, port: int) -> bool:
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        return _get(conn, "/readyz") == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


@contextmanager
def running_server(index_dir: Path, log_path: Path, timeout: float = 180.0,
                   env: dict[str, str] | None = None) -> Iterator[Server]:
    """`python -m search_service` on a free loopback port, rate-limit exempt; stopped after."""
    host, port = "127.0.0.1", free_port()
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "search_service", "--index", str(index_dir),
             "--host", host, "--port", str(port)],
            env=child_environment({**RATE_LIMIT_ENV, **(env or {})}), stdout=log_file,
            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while not _ready(host, port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"server on port {port} did not become ready: {tail}")
            time.sleep(0.5)
        yield Server(process, host, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _environment_of(pid: int, names: Sequence[str]) -> dict[str, str | None]:
    """The variables as the server process really has them (read back, not assumed)."""
    import psutil

    try:
        env = psutil.Process(pid).environ()
    except (psutil.Error, OSError):
        return {name: None for name in names}
    return {name: env.get(name) for name in names}


def _get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


def search_path(query: str, mode: str, k: int = 10) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": query, "k": k, "mode": mode})


def timed_requests(host: str, port: int, paths: Sequence[str]) -> list[tuple[float, str]]:
    """Each path once, in order, on one keep-alive connection: (milliseconds, status)."""
    conn = http.client.HTTPConnection(host, port, timeout=60)
    out = []
    try:
        for path in paths:
            started = time.perf_counter()
            try:
                status = str(_get(conn, path))
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
            out.append(((time.perf_counter() - started) * 1000, status))
    finally:
        conn.close()
    return out


def load_test(host: str, port: int, paths: Sequence[str], concurrency: int) -> dict[str, Any]:
    """`len(paths)` requests spread over `concurrency` threads, each with its own connection."""
    shares = [list(paths[i::concurrency]) for i in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = [r for part in pool.map(lambda s: timed_requests(host, port, s), shares)
                   for r in part]
    seconds = time.perf_counter() - started
    statuses = Counter(status for _, status in results)
    ok = [ms for ms, status in results if status == "200"]
    return {"concurrency": concurrency, "requests": len(results),
            "errors": len(results) - statuses["200"], "statuses": dict(statuses),
            "seconds": round(seconds, 2), "throughput_rps": _per_s(len(results), seconds),
            **{k: v for k, v in latency_summary(ok).items() if k != "n"}}


def floor_latencies(index_dir: Path, queries: Sequence[str], embedder: Any, mode: str
                    ) -> list[dict[str, Any]]:
    """In-process: the whole pipeline without HTTP, and encoding + one FAISS search alone."""
    from search_service.loading import load_searcher
    from search_service.pipeline import run_search

    searcher = load_searcher(index_dir, embedder=embedder)
    k = searcher.config.candidates
    for query in queries[:3]:  # warm-up
        run_search(searcher, query, mode=mode)
    encode_search, pipeline = [], []
    for query in queries:
        started = time.perf_counter()
        vector = searcher.embedder.encode_query(query)
        searcher.data.faiss_index.search(vector.reshape(1, -1), k)
        encode_search.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        run_search(searcher, query, mode=mode)
        pipeline.append((time.perf_counter() - started) * 1000)
    return [
        {"path": f"in-process run_search ({mode}, no HTTP)", **latency_summary(pipeline)},
        {"path": f"floor: encode_query + FAISS search (k={k})", **latency_summary(encode_search)},
    ]


def bench_service(index_dir: Path, queries: Sequence[str], embedder: Any, options: BenchOptions,
                  work_dir: Path, log: Log) -> dict[str, Any]:
    """Latency floors in-process, then the real server: latency, concurrency, memory."""
    floors = floor_latencies(index_dir, queries, embedder, options.mode)
    log(f"service: in-process floors measured over {len(queries)} questions")
    paths = [search_path(q, options.mode) for q in queries]
    with running_server(index_dir, work_dir / "server.log", options.timeout) as server:
        pid = server.process.pid
        memory = {"rss_ready_mb": rss_mb(pid)}
        timed_requests(server.host, server.port, paths[:3])  # warm-up
        sequential = timed_requests(server.host, server.port, paths)
        errors = sum(status != "200" for _, status in sequential)
        http_row = {"path": f"HTTP GET /api/search ({options.mode})",
                    **latency_summary([ms for ms, s in sequential if s == "200"]),
                    "errors": errors}
        log(f"service: HTTP p50 {http_row['p50_ms']} ms over {len(paths)} questions")
        cycle = [paths[i % len(paths)] for i in range(options.requests)]
        levels = []
        for concurrency in options.concurrency:
            levels.append(load_test(server.host, server.port, cycle, concurrency))
            log(f"service: concurrency {concurrency}: {levels[-1]['throughput_rps']} req/s, "
                f"{levels[-1]['errors']} errors")
        memory.update({"rss_after_load_mb": rss_mb(pid), "rss_peak_mb": peak_rss_mb(pid)})
        server_env = _environment_of(pid, RATE_LIMIT_ENV)
    return {"latency": [http_row, *floors], "concurrency": levels, "memory": memory,
            "server_env": server_env}


# -- the whole run ------------------------------------------------------------------------


def run_bench(options: BenchOptions, log: Log = lambda _: None) -> dict[str, Any]:
    """Run the chosen parts; every number lands in one JSON-ready dict."""
    started = time.perf_counter()
    results: dict[str, Any] = {"environment": environment(), "parts": list(options.parts)}
    needs_model = "build" in options.parts or "service" in options.parts
    if "service" in options.parts and options.index is None and "build" not in options.parts:
        raise ValueError("the service part needs --index DIR, or the build part to make one")
    embedder = None
    if needs_model:
        from indexer.embed import load_embedder

        embedder = load_embedder()
    with tempfile.TemporaryDirectory(prefix="rtes-bench-") as tmp:
        work = Path(tmp)
        index_dir = options.index
        if "build" in options.parts:
            results["build"] = bench_build(options.seeds, work / "index", embedder, log)
            index_dir = index_dir or work / "index"
        if "service" in options.parts:
            questions = [q.text for q in load_question_set(options.eval_dir).queries]
            questions = questions[: options.queries] if options.queries else questions
            results["service"] = bench_service(index_dir, questions, embedder, options,
                                               work, log)
    if "scale" in options.parts:
        results["scale"] = run_scale(options.sizes, options.scale, log)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    service = results.get("service", {})
    results["ok"] = not any(r.get("errors") for r in
                            [*service.get("latency", []), *service.get("concurrency", [])])
    return results


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, allow_nan=True) + "\n",
                    encoding="utf-8")


# -- printing -----------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:g}"
    return str(value)


def text_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (readable as plain text too), so it can be pasted into the README."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _build_table(build: dict[str, Any]) -> str:
    return text_table(
        ("step", "texts", "seconds", "passages/s"),
        [("full build (parse, chunk, encode passages + sentences, BM25, write)",
          f"{build['passages']} passages + {build['sentences']} sentences",
          build["build_s"], build["build_passages_per_s"]),
         ("floor: encode_passages on the passage texts", build["passages"],
          build["encode_passages_s"], build["encode_passages_per_s"]),
         ("floor: encode_passages on the sentence texts", build["sentences"],
          build["encode_sentences_s"], "-")])


def _service_tables(service: dict[str, Any]) -> list[str]:
    latency = text_table(("path", "n", "p50 ms", "p95 ms", "p99 ms", "mean ms"),
                         [(r["path"], r["n"], r["p50_ms"], r["p95_ms"], r["p99_ms"],
                           r["mean_ms"]) for r in service["latency"]])
    levels = text_table(("concurrency", "requests", "errors", "seconds", "req/s", "p50 ms",
                         "p95 ms", "p99 ms"),
                        [(r["concurrency"], r["requests"], r["errors"], r["seconds"],
                          r["throughput_rps"], r["p50_ms"], r["p95_ms"], r["p99_ms"])
                         for r in service["concurrency"]])
    mem = service["memory"]
    memory = text_table(("server RSS", "MiB"),
                        [("after start-up (index and model loaded)", mem["rss_ready_mb"]),
                         ("after the load test", mem["rss_after_load_mb"]),
                         ("peak (VmHWM)", mem["rss_peak_mb"])])
    return [f"Single-query latency:\n\n{latency}",
            f"Concurrency (loopback, hybrid):\n\n{levels}", f"Memory:\n\n{memory}"]


def _scale_table(scale: dict[str, Any]) -> str:
    rows = [(r["n"], r["index"], r["build_s"], r["p50_ms"], r["p95_ms"], r["recall_at_10"],
             r["index_mb"], r["rss_delta_mb"],
             f"M={r['hnsw_m']}, efC={r['ef_construction']}, efS={r['ef_search']}"
             if r["index"] == "hnsw" else "exact") for r in scale["rows"]]
    table = text_table(("passages", "index", "build s", "p50 ms", "p95 ms", "recall@10",
                        "index MiB", "RSS Δ MiB", "parameters"), rows)
    s = scale["settings"]
    note = (f"dim {s['dim']}, {s['queries']} queries, k={s['k']}, clusters per size "
            f"{s['clusters']}, noise σ={s['noise']}, seed {s['seed']}; latency: one query at a "
            "time, FAISS on 1 thread; recall@10 against exact search; index MiB: vectors, "
            "links and ids as stored; RSS Δ: resident growth of this process during the build "
            "(meaningless below ~100k, where the allocator reuses freed memory).")
    return f"{table}\n\n{note}"


def format_bench(results: dict[str, Any]) -> str:
    env = results["environment"]
    out = [f"Machine: {env['cpus']} CPUs, load average at start "
           f"{env['load_average_at_start']}, {env['platform']}, faiss {env['faiss']}"]
    if "build" in results:
        out.append(f"Index build (seeds):\n\n{_build_table(results['build'])}")
    if "service" in results:
        out += _service_tables(results["service"])
    if "scale" in results:
        out.append(f"FAISS scale (synthetic clustered vectors):\n\n"
                   f"{_scale_table(results['scale'])}")
    out.append(f"Elapsed: {results['elapsed_s']} s")
    return "\n\n".join(out)
