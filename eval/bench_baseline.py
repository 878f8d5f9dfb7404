"""The float32 baseline, measured in the same run as the served encoder (`--parts baseline`).

The int8 encoder is judged against float32 (the encoder the service ran with before it):
on the same machine, at the same moment, one build of the seeds with the float32 model,
its floor (encode_query + one FAISS search), its real server's throughput at each
concurrency, and nDCG@10 on dev and test of both indexes. Ratios between the two hold where
absolute times on a shared machine do not.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.encoders import SPLITS, ndcg_by_split
from eval.http_load import load_test, search_path
from eval.server import running_server
from eval.timing import latency_summary

Log = Callable[[str], None]
NO_QUERY_CACHE = {"RTES_QUERY_CACHE": "0"}


def floor_ms(searcher: Any, query: str) -> float:
    """The floor of one search: encode_query + one FAISS search of the searcher's candidates."""
    started = time.perf_counter()
    vector = searcher.embedder.encode_query(query)
    searcher.data.faiss_index.search(vector.reshape(1, -1), searcher.config.candidates)
    return (time.perf_counter() - started) * 1000


def floor_row(index: Path, queries: Sequence[str], encoder: Any, label: str
              ) -> dict[str, Any]:
    """`floor_ms` for each question, after a warm-up, as a latency row."""
    from search_service.loading import load_searcher

    searcher = load_searcher(index, embedder=encoder)
    for query in queries[:3]:  # warm-up
        searcher.embedder.encode_query(query)
    ms = [floor_ms(searcher, query) for query in queries]
    return {"path": f"floor: {label} encode_query + FAISS search "
                    f"(k={searcher.config.candidates})", **latency_summary(ms)}


def bench_baseline(seeds: Path, work: Path, queries: Sequence[str], options: Any,
                   log: Log) -> dict[str, Any]:
    """Build the seeds with float32, then its floor, throughput and nDCG@10."""
    from indexer.build import build_index
    from indexer.encoders import load_named_encoder

    encoder = load_named_encoder("float32")
    index = work / "float32-index"
    summary = build_index(seeds, index, encoder, progress=False)
    log(f"baseline: float32 build {summary.seconds:.1f} s")
    floor = floor_row(index, queries, encoder, "float32")
    log(f"baseline: float32 floor p50 {floor['p50_ms']} ms")
    paths = [search_path(q, options.mode) for q in queries]
    cycle = [paths[i % len(paths)] for i in range(options.requests)]
    env = {**NO_QUERY_CACHE, "RTES_ENCODER": "float32"}
    with running_server(index, work / "float32-server.log", options.timeout, env=env) as server:
        load_test(server.host, server.port, paths[:3], 1)  # warm-up
        levels = [load_test(server.host, server.port, cycle, c) for c in options.concurrency]
    log("baseline: float32 server " + ", ".join(
        f"c={r['concurrency']} {r['throughput_rps']} req/s" for r in levels))
    return {"build_s": round(summary.seconds, 1), "floor": floor, "concurrency": levels,
            "ndcg10": ndcg_by_split(index, encoder, options.eval_dir)}


def goals(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Issue 19's targets as (measure, value, goal) rows, from one run's numbers."""
    service, baseline = results.get("service"), results.get("baseline")
    if not service:
        return []
    latency = {row["path"].split(" (")[0].split(":")[0]: row for row in service["latency"]}
    http, floor = latency.get("HTTP GET /api/search"), latency.get("floor")
    if http is None or floor is None:
        return []
    rows = [("HTTP p50 / floor p50", f"{http['p50_ms'] / floor['p50_ms']:.2f}", "≤ 1.3")]
    levels = {r["concurrency"]: r for r in service["concurrency"]}
    if 4 in levels and 1 in levels:
        rows.append(("p95 at concurrency 4 / single-query HTTP p50",
                     f"{levels[4]['p95_ms'] / http['p50_ms']:.2f}", "≤ 4"))
    memory = service["memory"]
    rows.append(("server RSS after start-up / peak, MiB",
                 f"{memory['rss_ready_mb']} / {memory['rss_peak_mb']}", "≤ 500"))
    if baseline:
        rows.append(("floor p50 / float32 floor p50",
                     f"{floor['p50_ms'] / baseline['floor']['p50_ms']:.2f}", "≤ 0.35"))
        base_levels = {r["concurrency"]: r for r in baseline["concurrency"]}
        for c in sorted(set(levels) & set(base_levels)):
            rows.append((f"req/s at concurrency {c} / float32's",
                         f"{levels[c]['throughput_rps']} / {base_levels[c]['throughput_rps']}"
                         f" = {levels[c]['throughput_rps'] / base_levels[c]['throughput_rps']:.1f}",
                         "≥ 3 at 4" if c == 4 else "-"))
        served = service.get("ndcg10", {})
        for split in SPLITS:
            rows.append((f"nDCG@10 {split}: served encoder / float32",
                         f"{served.get(split, float('nan')):.4f} / "
                         f"{baseline['ndcg10'][split]:.4f}", "loss ≤ 0.005 on dev"))
    return rows
