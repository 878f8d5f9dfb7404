"""`python -m eval encoders`: float32, int8 and q4 encoders side by side, in one run.

Each encoder is measured in its own child process (so resident memory is its own): load
time and RSS, query-encode latency over the dev and test questions, passage-encode and
whole-build throughput on the seeds, then nDCG@10 on dev and test of an index built with
it and searched with it. The table ends with the encoder the rule picks: the fastest
query p50 that loses at most `MAX_DEV_LOSS` nDCG@10 on dev against float32.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.data import default_eval_dir, load_question_set
from eval.timing import environment, latency_summary, peak_rss_mb, per_s, rss_mb

ENCODERS = ("float32", "int8", "q4")
MAX_DEV_LOSS = 0.005
SPLITS = ("dev", "test")


def ndcg_by_split(index: Path, encoder: Any, eval_dir: Path) -> dict[str, float]:
    """nDCG@10 (hybrid, public) per split of the index at `index`, searched with `encoder`."""
    from eval.runner import in_process_backend, run_questions
    from search_service.loading import load_searcher

    searcher = load_searcher(index, embedder=encoder)
    private = {r["id"] for r in searcher.data.resources if r["private"]}
    qs, backend = load_question_set(eval_dir), in_process_backend(searcher)
    return {split: round(run_questions(qs.split(split), backend, "hybrid", split,
                                       private).rows["overall"]["nDCG@10"], 4)
            for split in SPLITS}


def measure(name: str, seeds: Path, work: Path, eval_dir: Path) -> dict[str, Any]:
    """Every number for encoder `name`, measured in this process."""
    from eval.bench import build_texts
    from indexer.build import build_index
    from indexer.encoders import load_named_encoder

    rss_start = rss_mb()
    started = time.perf_counter()
    encoder = load_named_encoder(name)
    load_s = time.perf_counter() - started
    rss_loaded = rss_mb()
    qs = load_question_set(eval_dir)
    questions = [q.text for split in SPLITS for q in qs.split(split).queries]
    for text in questions[:5]:  # warm-up
        encoder.encode_query(text)
    query_ms = []
    for text in questions:
        started = time.perf_counter()
        encoder.encode_query(text)
        query_ms.append((time.perf_counter() - started) * 1000)
    texts, _ = build_texts(seeds, encoder)
    started = time.perf_counter()
    encoder.encode_passages(texts, batch_size=16)
    encode_s = time.perf_counter() - started
    summary = build_index(seeds, work / name, encoder, progress=False)
    return {
        "encoder": name, "load_s": round(load_s, 1),
        "query": latency_summary(query_ms),
        "encode_passages_per_s": per_s(len(texts), encode_s),
        "build_s": round(summary.seconds, 1),
        "build_passages_per_s": per_s(summary.passages, summary.seconds),
        "rss_start_mb": rss_start, "rss_loaded_mb": rss_loaded,
        "ndcg10": ndcg_by_split(work / name, encoder, eval_dir),
        "rss_peak_mb": peak_rss_mb(_pid()), "torch_loaded": "torch" in sys.modules,
    }


def _pid() -> int:
    import os

    return os.getpid()


def choose(rows: list[dict[str, Any]], max_loss: float = MAX_DEV_LOSS) -> str:
    """The fastest encoder (query p50) within `max_loss` nDCG@10 on dev of float32's."""
    reference = next(r for r in rows if r["encoder"] == "float32")["ndcg10"]["dev"]
    allowed = [r for r in rows if r["ndcg10"]["dev"] >= reference - max_loss]
    return min(allowed, key=lambda r: r["query"]["p50_ms"])["encoder"]


def format_table(rows: list[dict[str, Any]]) -> str:
    head = ("| encoder | query p50 ms | query p95 ms | passages/s (encode) | build s "
            "| RSS loaded MB | RSS peak MB | nDCG@10 dev | nDCG@10 test |")
    lines = [head, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['encoder']} | {r['query']['p50_ms']} | {r['query']['p95_ms']} "
                     f"| {r['encode_passages_per_s']} | {r['build_s']} | {r['rss_loaded_mb']} "
                     f"| {r['rss_peak_mb']} | {r['ndcg10']['dev']:.4f} "
                     f"| {r['ndcg10']['test']:.4f} |")
    return "\n".join(lines)


def run_all(seeds: Path, eval_dir: Path, encoders: tuple[str, ...] = ENCODERS
            ) -> dict[str, Any]:
    """Each encoder in a child process, one after the other; the rows and the choice."""
    env = environment()
    rows = []
    with tempfile.TemporaryDirectory(prefix="rtes-encoders-") as tmp:
        for name in encoders:
            out = Path(tmp) / f"{name}.json"
            subprocess.run([sys.executable, "-m", "eval.encoders", "--child", name,
                            "--seeds", str(seeds), "--eval-dir", str(eval_dir),
                            "--work", tmp, "--out", str(out)], check=True)
            rows.append(json.loads(out.read_text(encoding="utf-8")))
    chosen = choose(rows) if "float32" in encoders else None
    return {"environment": env, "rows": rows, "chosen": chosen, "max_dev_loss": MAX_DEV_LOSS}


def bench_encoder(index: Path | None) -> Any:
    """The encoder `eval bench` measures: the one `index` was built with, else RTES_ENCODER's
    (else the default), the one `indexer build` would use."""
    from indexer.encoders import DEFAULT_ENCODER, built_with, load_named_encoder
    from indexer.opening import read_manifest, resolve_version
    from indexer.settings import Settings

    if index is not None:
        return load_named_encoder(built_with(read_manifest(resolve_version(index))).kind)
    return load_named_encoder(Settings().encoder or DEFAULT_ENCODER)


def add_arguments(p: argparse.ArgumentParser) -> None:
    root = Path(__file__).resolve().parent.parent
    p.add_argument("--seeds", type=Path, default=root / "seeds")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    p.add_argument("--json", type=Path, help="also write every number to this JSON file")


def cmd_encoders(args: argparse.Namespace) -> int:
    results = run_all(args.seeds, args.eval_dir)
    print(format_table(results["rows"]))
    print(f"\nchosen (fastest within {MAX_DEV_LOSS} nDCG@10 of float32 on dev): "
          f"{results['chosen']}; load average at start "
          f"{results['environment']['load_average_at_start']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("encoders", help="float32, int8 and q4 encoders: query latency, "
                       "build throughput, memory, nDCG@10 on dev and test")
    add_arguments(p)
    p.set_defaults(func=cmd_encoders)


def _child(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="eval.encoders")
    p.add_argument("--child", choices=ENCODERS, required=True)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    add_arguments(p)
    args = p.parse_args(argv)
    row = measure(args.child, args.seeds, args.work, args.eval_dir)
    args.out.write_text(json.dumps(row) + "\n", encoding="utf-8")
    print(f"{args.child}: measured", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
