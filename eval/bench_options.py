"""The benchmark's options: what `python -m eval bench` accepts and the dataclass it fills."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from eval.data import default_eval_dir
from eval.scale import DEFAULT_SIZES, ScaleSettings

PARTS = ("build", "service", "baseline", "scale", "postgres", "pgscale")
DEFAULT_PARTS = ("build", "service", "baseline", "scale")
DEFAULT_CONCURRENCY = (1, 4, 16)


@dataclass(frozen=True)
class BenchOptions:
    seeds: Path
    index: Path | None = None  # serve this index instead of the one the build part makes
    parts: tuple[str, ...] = DEFAULT_PARTS
    queries: int | None = None  # questions for the single-query latencies (None: all)
    requests: int = 160  # per concurrency level
    concurrency: tuple[int, ...] = DEFAULT_CONCURRENCY
    sizes: tuple[int, ...] = DEFAULT_SIZES
    pg_sizes: tuple[int, ...] = (100_000,)  # the synthetic pgvector table (pgscale part)
    scale: ScaleSettings = ScaleSettings()
    eval_dir: Path = default_eval_dir()
    mode: str = "hybrid"
    timeout: float = 180.0


def int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v.replace("_", "")) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") \
            from exc
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def parse_parts(text: str) -> tuple[str, ...]:
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
    p.add_argument("--parts", type=parse_parts, default=DEFAULT_PARTS,
                   help="comma-separated subset of build,service,baseline,scale,postgres,pgscale "
                        "(default: the first four); baseline: the float32 encoder's build, "
                        "floor, throughput and nDCG@10; postgres: run_search on a pgserver "
                        "PostgreSQL against the embedded path; pgscale: pgvector HNSW over "
                        "--pg-sizes synthetic rows")
    p.add_argument("--queries", type=int, default=None,
                   help="questions for single-query latency (default: the whole question set)")
    p.add_argument("--requests", type=int, default=160,
                   help="requests per concurrency level (default 160)")
    p.add_argument("--concurrency", type=int_list, default=DEFAULT_CONCURRENCY,
                   help="concurrency levels (default 1,4,16)")
    p.add_argument("--sizes", type=int_list, default=DEFAULT_SIZES,
                   help="synthetic corpus sizes for FAISS (default 10000,100000,1000000)")
    p.add_argument("--pg-sizes", type=int_list, default=(100_000,),
                   help="synthetic table sizes for the pgscale part (default 100000)")
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
                        pg_sizes=args.pg_sizes,
                        eval_dir=args.eval_dir)
