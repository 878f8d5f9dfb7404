"""The benchmark's code paths on tiny sizes: the rows and fields it reports, never its timings."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from eval.__main__ import build_parser, main
from eval.bench import bench_build, bench_service
from eval.bench_baseline import goals
from eval.bench_options import BenchOptions, int_list, parse_parts
from eval.bench_tables import format_bench
from eval.scale import ScaleSettings, clustered_vectors, recall_at_k, run_scale
from indexer.store import HNSW_M

LATENCY_FIELDS = {"path", "n", "p50_ms", "p95_ms", "p99_ms", "mean_ms"}
LEVEL_FIELDS = {"concurrency", "requests", "errors", "statuses", "seconds", "throughput_rps",
                "p50_ms", "p95_ms", "p99_ms", "mean_ms"}
SCALE_FIELDS = {"n", "index", "build_s", "p50_ms", "p95_ms", "recall_at_10", "index_mb",
                "rss_delta_mb", "hnsw_m", "ef_construction", "ef_search"}
TINY = ScaleSettings(queries=12, latency_queries=4, min_clusters=20, extra_ef_search=(64,))


def test_list_options_parse_and_reject_nonsense() -> None:
    assert int_list("10000,100_000,1000000") == (10_000, 100_000, 1_000_000)
    assert parse_parts("scale,build") == ("scale", "build")
    for bad in ("", "ten", "0,5"):
        with pytest.raises(argparse.ArgumentTypeError):
            int_list(bad)
    with pytest.raises(argparse.ArgumentTypeError):
        parse_parts("build,cooking")


def test_help_says_the_server_is_started_rate_limit_exempt(capsys) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "--help"])
    assert "RTES_RATE_LIMIT_EXEMPT=127.0.0.1" in " ".join(capsys.readouterr().out.split())


def test_clustered_vectors_are_unit_rows_and_chunking_keeps_the_shape() -> None:
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((5, 16)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = clustered_vectors(25, centres, 0.05, rng, chunk=7)
    assert vectors.shape == (25, 16) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # Points sit near a centre: the clusters are real.
    assert (vectors @ centres.T).max(axis=1).min() > 0.5


def test_recall_at_k_counts_shared_ids_and_ignores_missing_ones() -> None:
    truth = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = np.array([[4, 3, 9, -1], [5, 6, 7, 8]])
    assert recall_at_k(found, truth) == pytest.approx((2 / 4 + 1) / 2)


def test_settings_lower_ef_construction_only_for_the_large_corpora() -> None:
    settings = ScaleSettings()
    assert settings.ef_construction(100_000) == 200
    assert settings.ef_construction(1_000_000) == settings.large_ef_construction
    assert settings.large_ef_construction >= 2 * HNSW_M  # the level-0 neighbour lists fill
    assert settings.clusters(10_000) == 1000 and settings.clusters(1_000_000) == 4000


def test_scale_rows_for_a_tiny_corpus() -> None:
    scale = run_scale((2000,), TINY)
    rows = scale["rows"]
    assert [(r["index"], r["ef_search"]) for r in rows] == [("flat", None), ("hnsw", 128),
                                                            ("hnsw", 64)]
    for row in rows:
        assert set(row) == SCALE_FIELDS and row["n"] == 2000
        assert 0.0 <= row["recall_at_10"] <= 1.0 and row["index_mb"] > 0
    assert rows[0]["recall_at_10"] == 1.0  # exact search is the truth
    # The stored index size is the vectors plus the id map (flat), plus links (HNSW).
    assert rows[0]["index_mb"] == pytest.approx(2000 * (384 * 4 + 8) / 2**20, abs=0.1)
    assert rows[1]["index_mb"] > rows[0]["index_mb"]
    assert scale["settings"]["clusters"] == {"2000": 20}


def test_bench_cli_prints_the_scale_table_and_writes_json(tmp_path: Path, capsys) -> None:
    out = tmp_path / "bench.json"
    code = main(["bench", "--parts", "scale", "--sizes", "2000", "--scale-queries", "8",
                 "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "FAISS scale" in printed and "| 2000 | flat |" in printed
    assert printed.count("| 2000 | hnsw |") == 2
    data = json.loads(out.read_text())
    assert data["parts"] == ["scale"] and data["ok"] is True
    assert len(data["scale"]["rows"]) == 3 and "environment" in data


def test_format_bench_prints_every_part_it_is_given() -> None:
    results = {
        "environment": {"cpus": 2, "load_average_at_start": [0.1, 0.2, 0.3],
                        "platform": "Linux", "faiss": "1"},
        "build": {"passages": 3, "sentences": 9, "build_s": 1.0, "build_passages_per_s": 3.0,
                  "encode_passages_s": 0.5, "encode_passages_per_s": 6.0,
                  "encode_sentences_s": 0.2, "encode_all_s": 0.7},
        "service": {
            "latency": [{"path": "HTTP", "n": 2, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 2.0,
                         "mean_ms": 1.5, "errors": 0}],
            "concurrency": [{"concurrency": 4, "requests": 8, "errors": 1, "seconds": 1.0,
                             "throughput_rps": 8.0, "p50_ms": 1.0, "p95_ms": 2.0,
                             "p99_ms": 3.0}],
            "memory": {"rss_ready_mb": 100.0, "rss_after_load_mb": 110.0,
                       "rss_peak_mb": None}},
        "elapsed_s": 3.0,
    }
    text = format_bench(results)
    assert "| full build" in text and "| floor: encode_passages on the passage texts | 3 |" in text
    assert "| 4 | 8 | 1 | 1 | 8 |" in text
    assert "| peak (VmHWM) | - |" in text
    assert "FAISS scale" not in text


def test_the_goals_table_divides_the_runs_numbers() -> None:
    def row(path: str, p50: float) -> dict:
        return {"path": path, "n": 2, "p50_ms": p50, "p95_ms": p50, "p99_ms": p50,
                "mean_ms": p50}

    def level(c: int, rps: float) -> dict:
        return {"concurrency": c, "requests": 8, "errors": 0, "seconds": 1.0,
                "throughput_rps": rps, "p50_ms": 10.0, "p95_ms": 30.0, "p99_ms": 40.0}

    results = {"service": {
        "latency": [row("HTTP GET /api/search (hybrid)", 12.0),
                    row("in-process run_search (hybrid, no HTTP)", 11.0),
                    row("floor: encode_query + FAISS search (k=100)", 10.0)],
        "concurrency": [level(1, 80.0), level(4, 120.0)],
        "memory": {"rss_ready_mb": 300.0, "rss_after_load_mb": 320.0, "rss_peak_mb": 330.0},
        "ndcg10": {"dev": 0.77, "test": 0.75}},
        "baseline": {"floor": row("floor: float32 …", 40.0), "build_s": 60.0,
                     "concurrency": [level(1, 20.0), level(4, 30.0)],
                     "ndcg10": {"dev": 0.775, "test": 0.76}}}
    rows = {measure: value for measure, value, _ in goals(results)}
    assert rows["HTTP p50 / floor p50"] == "1.20"
    assert rows["floor p50 / float32 floor p50"] == "0.25"
    assert rows["req/s at concurrency 4 / float32's"] == "120.0 / 30.0 = 4.0"
    assert rows["p95 at concurrency 4 / single-query HTTP p50"] == "2.50"
    assert rows["nDCG@10 dev: served encoder / float32"] == "0.7700 / 0.7750"
    assert goals({"service": {"latency": [row("HTTP", 1.0)]}}) == []


@pytest.mark.slow
def test_bench_build_on_one_seed_file(seeds_dir: Path, tmp_path: Path, embedder) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    smallest = min(seeds_dir.glob("*.txt"), key=lambda p: p.stat().st_size)
    shutil.copy(smallest, seeds / smallest.name)
    build = bench_build(seeds, tmp_path / "index", embedder, log=lambda _: None)
    assert build["passages"] > 0 and build["sentences"] >= build["passages"]
    assert set(build) == {"passages", "sentences", "build_s", "build_passages_per_s",
                          "encode_passages_s", "encode_passages_per_s", "encode_sentences_s",
                          "encode_all_s"}
    assert (tmp_path / "index" / "current" / "manifest.json").is_file()


@pytest.mark.slow
def test_bench_service_against_the_real_server(seed_index: Path, tmp_path: Path,
                                               embedder) -> None:
    options = BenchOptions(seeds=Path("unused"), requests=6, concurrency=(1, 3))
    queries = ["centre de santé Poitiers", "garage solidaire", "PTCE"]
    service = bench_service(seed_index, queries, embedder, options, tmp_path,
                            log=lambda _: None)
    paths = [row["path"] for row in service["latency"]]
    assert paths[0].startswith("HTTP GET /api/search") and len(paths) == 3
    for row in service["latency"]:
        assert set(row) >= LATENCY_FIELDS and row["n"] == len(queries)
    assert service["latency"][0]["errors"] == 0
    assert [r["concurrency"] for r in service["concurrency"]] == [1, 3]
    for level in service["concurrency"]:
        assert set(level) == LEVEL_FIELDS
        assert level["requests"] == 6 and level["errors"] == 0
        assert level["statuses"] == {"200": 6}
    assert service["memory"]["rss_ready_mb"] > 100
    assert service["server_env"] == {"RTES_RATE_LIMIT_EXEMPT": "127.0.0.1"}
