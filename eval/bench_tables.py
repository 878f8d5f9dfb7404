"""The benchmark's results as the Markdown tables the README quotes."""

from __future__ import annotations

from typing import Any

from eval.bench_baseline import goals
from eval.tables import markdown_table


def text_table(header: tuple[str, ...], rows: list[Any]) -> str:
    """GitHub's default alignment, as the README's speed tables are written."""
    return markdown_table(header, rows, align="none")


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


def _baseline_tables(baseline: dict[str, Any]) -> str:
    floor = baseline["floor"]
    levels = text_table(("concurrency", "requests", "errors", "req/s", "p50 ms", "p95 ms"),
                        [(r["concurrency"], r["requests"], r["errors"], r["throughput_rps"],
                          r["p50_ms"], r["p95_ms"]) for r in baseline["concurrency"]])
    return (f"Baseline, float32 encoder (build {baseline['build_s']} s; {floor['path']}: "
            f"p50 {floor['p50_ms']} ms, p95 {floor['p95_ms']} ms; nDCG@10 dev "
            f"{baseline['ndcg10']['dev']:.4f}, test {baseline['ndcg10']['test']:.4f}):"
            f"\n\n{levels}")


def _postgres_tables(results: dict[str, Any]) -> list[str]:
    out = []
    if "postgres" in results:
        pg = results["postgres"]
        rows = [(r["backend"], r["p50_ms"], r["p95_ms"]) for r in pg["rows"]]
        out.append(f"In-process run_search ({pg['mode']}, {pg['questions']} questions, "
                   f"interleaved), postgres / embedded p50 {pg['p50_ratio']}x; publish "
                   f"{pg['publish_s']} s, load {pg['load_s']} s:\n\n"
                   + text_table(("backend", "p50 ms", "p95 ms"), rows))
    for size in results.get("pgscale", []):
        rows = [(r["index"], r["ef_search"] or "-", r["p50_ms"], r["p95_ms"],
                 r["recall_at_10"]) for r in size["rows"]]
        out.append(f"pgvector over {size['n']} synthetic rows (COPY {size['load_s']} s, "
                   f"HNSW build {size['build_s']} s, m={size['hnsw']['m']}, "
                   f"ef_construction={size['hnsw']['ef_construction']}, table "
                   f"{size['table_mb']} MiB):\n\n"
                   + text_table(("index", "ef_search", "p50 ms", "p95 ms", "recall@10"), rows))
    return out


def format_bench(results: dict[str, Any]) -> str:
    env = results["environment"]
    out = [f"Machine: {env['cpus']} CPUs, load average at start "
           f"{env['load_average_at_start']}, {env['platform']}, faiss {env['faiss']}"]
    if "build" in results:
        out.append(f"Index build (seeds):\n\n{_build_table(results['build'])}")
    if "service" in results:
        out += _service_tables(results["service"])
    if "baseline" in results:
        out.append(_baseline_tables(results["baseline"]))
    targets = goals(results)
    if targets:
        out.append("Against the goals (one run):\n\n"
                   + text_table(("measure", "value", "goal"), targets))
    if "scale" in results:
        out.append(f"FAISS scale (synthetic clustered vectors):\n\n"
                   f"{_scale_table(results['scale'])}")
    out += _postgres_tables(results)
    out.append(f"Elapsed: {results['elapsed_s']} s")
    return "\n\n".join(out)
