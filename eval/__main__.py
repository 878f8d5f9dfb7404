"""`python -m eval run|calibrate|report|bench`: retrieval quality, its report, its speed.

- `run --index DIR [--mode M] [--split S] [--url URL]`: print the metrics tables;
- `calibrate --index DIR`: choose the confidence threshold;
- `report --index DIR [--out-dir D]`: write eval/report.md and its plots;
- `bench [--sizes ...] [--json PATH]`: build, latency, concurrency, memory and FAISS scale;
- `cost --index DIR`: CPU cost of the longest valid query against a typical one;
- `harvest --since DATE --out FILE [--db PATH] [--members]`: unanswered questions from the
  query log, as candidates in the question set's shape (no qrels), for a person to judge.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from eval.backends import add_backend_options, private_ids_of_index
from eval.data import SPLITS, QuestionSetError, default_eval_dir, load_question_set
from eval.metrics import format_table
from eval.runner import RunReport, http_backend, in_process_backend, run_questions
from eval.tables import fixed_table

MODES = ("dense", "bm25", "hybrid")


def print_report(report: RunReport) -> None:
    who = "members" if report.member else "public"
    print(f"\n== mode {report.mode} · split {report.split} · {who} ==")
    print(format_table(report.rows))
    na = report.no_answer
    print(f"no-answer: precision {na['precision']:.3f} recall {na['recall']:.3f} "
          f"({na['true_positives']}/{na['unanswerable']} flagged right, {na['flagged']} flagged)"
          f"; false abstention {na['false_abstention']:.3f}")
    print(f"answer-span containment: {report.containment:.3f}")
    leaks = sum(len(v) for v in report.leaks.values())
    print(f"private leaks: {leaks}" + (f" {report.leaks}" if leaks else ""))


def _searcher(args: argparse.Namespace) -> Any:
    """The version's own configuration; --fusion/--dense-weight compare alternatives on dev."""
    from dataclasses import replace

    from eval.backends import open_searcher

    searcher = open_searcher(args)
    changes = {k: v for k, v in (("fusion", args.fusion), ("dense_weight", args.dense_weight))
               if v is not None}
    if changes:
        searcher.config = replace(searcher.config, **changes)
    return searcher


def cmd_run(args: argparse.Namespace) -> int:
    qs = load_question_set(args.eval_dir)
    modes = MODES if args.mode == "all" else (args.mode,)
    splits = SPLITS if args.split == "all" else (args.split,)
    from indexer.settings import Settings

    token = Settings().eval_token if args.member else None
    private = private_ids_of_index(args.index)
    if args.url:
        backend = http_backend(args.url, token=token)
    else:
        from eval.backends import private_ids

        searcher = _searcher(args)
        backend, private = in_process_backend(searcher, member=args.member), private_ids(searcher)
    reports = []
    for split in splits:
        for mode in modes:
            reports.append(run_questions(qs.split(split), backend, mode, split, private,
                                         member=args.member))
            print_report(reports[-1])
    if len(reports) > 1:
        from eval.report import baseline_table

        print("\n== summary (nDCG@10 per category) ==\n" + baseline_table(reports))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from eval.calibrate import choose, sweep
    from eval.runner import visible_qrels
    from search_service.loading import load_searcher

    qs = load_question_set(args.eval_dir).split(args.split)
    searcher = load_searcher(args.index)
    backend = in_process_backend(searcher)
    private = {r["id"] for r in searcher.data.resources if r["private"]}
    _, unanswerable = visible_qrels(qs, private, member=False)
    scores = {q.id: backend(q.text, "hybrid").confidence or 0.0 for q in qs.queries}
    rows = sweep(scores, unanswerable)
    print(fixed_table(("threshold", "precision", "recall", "F1", "answerable flagged"),
                      [(f"{r.threshold:.4f}", f"{r.precision:.3f}", f"{r.recall:.3f}",
                        f"{r.f1:.3f}", f"{r.answerable_flagged:.3f}") for r in rows]))
    best = choose(rows, args.max_flagged)
    if best is None:
        print("no threshold keeps normal questions unflagged")
        return 1
    print(f"\nchosen: answer.confidence_threshold {best.threshold} (F1 {best.f1:.3f}, "
          f"{best.answerable_flagged:.1%} of answerable questions flagged, split {args.split})")
    if args.write:
        from dataclasses import replace

        from indexer.search_config import config_text, read_config

        config = read_config(args.write)
        config = replace(config, answer=replace(config.answer, confidence_threshold=best.threshold))
        args.write.write_text(config_text(config), encoding="utf-8")
        print(f"wrote it into {args.write} (the next build copies it into its version)")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from eval.report import write_report
    from search_service.loading import load_searcher

    started = time.perf_counter()
    files = write_report(load_searcher(args.index), load_question_set(args.eval_dir),
                         args.out_dir, command=args.command_line)
    print(f"wrote {files.report} and {', '.join(p.name for p in files.plots)} "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from eval.bench import run_bench, write_json
    from eval.bench_options import bench_options
    from eval.bench_tables import format_bench

    try:
        results = run_bench(bench_options(args), log=lambda line: print(line, file=sys.stderr))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_bench(results))
    if args.json:
        write_json(results, args.json)
        print(f"\nwrote {args.json}")
    return 0 if results.get("ok", True) else 1


def cmd_cost(args: argparse.Namespace) -> int:
    from eval.cost import BUDGET_RATIO, format_cost, measure_cost
    from search_service.loading import load_searcher

    report = measure_cost(load_searcher(args.index), repeats=args.repeats)
    print(format_cost(report))
    return 0 if report.ratio <= BUDGET_RATIO else 1


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the question set and print the metrics")
    p.add_argument("--index", type=Path, help="index directory (in-process search, and the "
                   "list of private resources for leak checks)")
    p.add_argument("--url", help="score a live service instead (e.g. http://127.0.0.1:8000)")
    p.add_argument("--mode", choices=(*MODES, "all"), default="hybrid")
    p.add_argument("--split", choices=(*SPLITS, "all"), default="dev",
                   help="holdout is reported, never tuned on")
    p.add_argument("--member", action="store_true",
                   help="search as a member (over --url, the token is read from RTES_EVAL_TOKEN)")
    p.add_argument("--fusion", choices=("weighted", "rrf"),
                   help="in-process only: fusion to try instead of the tuned one")
    p.add_argument("--dense-weight", type=float,
                   help="in-process only: dense weight of the weighted fusion (tuned: 0.6)")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    add_backend_options(p)
    p.set_defaults(func=cmd_run)


def _add_calibrate_and_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="choose the confidence threshold on a split")
    p.add_argument("--index", type=Path, required=True)
    # Never the holdout: it is written blind and must not choose anything.
    p.add_argument("--split", choices=("dev", "test"), default="dev")
    p.add_argument("--max-flagged", type=float, default=0.10,
                   help="largest share of answerable questions that may be flagged")
    p.add_argument("--write", type=Path, metavar="CONFIG",
                   help="write the chosen threshold into CONFIG (e.g. "
                        "indexer/data/search_config.json)")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    p.set_defaults(func=cmd_calibrate)
    p = sub.add_parser("report", help="write eval/report.md and its plots (PNG)")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--out-dir", type=Path, default=default_eval_dir(),
                   help="where report.md and the PNGs go (default: the eval package)")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    p.set_defaults(func=cmd_report)


def _add_bench_and_cost(sub: argparse._SubParsersAction) -> None:
    from eval.bench_options import add_bench_arguments

    p = sub.add_parser("bench", help="speed and scale benchmark (build, HTTP latency, "
                       "concurrency, memory, FAISS at 10k-1M passages)",
                       description=BENCH_DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_bench_arguments(p)
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser("cost", help="CPU cost of the longest valid query against a typical "
                       "one (the per-request budget)")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--repeats", type=int, default=7)
    p.set_defaults(func=cmd_cost)


def _add_load(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="16 clients while the index is rebuilt and swapped",
                       description="Load run on loopback: a real server (started with "
                       "RTES_RATE_LIMIT_EXEMPT=127.0.0.1 so the clients are allow-listed from "
                       "the rate limit), N clients looping over the questions, while the index "
                       "is rebuilt with `python -m indexer build` and hot-swapped SWAPS times.")
    p.add_argument("--index", type=Path, required=True,
                   help="index directory to serve and rebuild (built first if absent)")
    p.add_argument("--seeds", type=Path, default=Path("seeds"))
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--swaps", type=int, default=2)
    p.add_argument("--settle", type=float, default=15.0,
                   help="seconds of load before, between and after the swaps")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    p.set_defaults(func=cmd_load)


def build_parser() -> argparse.ArgumentParser:
    from eval.fixture import add_fixture_parser
    from eval.harvest import add_harvest_parser

    parser = argparse.ArgumentParser(prog="eval", description="Measure retrieval quality.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    _add_calibrate_and_report(sub)
    _add_bench_and_cost(sub)
    _add_load(sub)
    add_fixture_parser(sub)
    add_harvest_parser(sub)
    from eval.encoders import add_parser as add_encoders  # float32 against int8

    add_encoders(sub)
    from eval.peers import add_parser as add_peers  # off-the-shelf setups beside this one

    add_peers(sub)
    return parser


def cmd_load(args: argparse.Namespace) -> int:
    import subprocess

    from eval.load import print_load, run_load

    if not (args.index / "current").exists():
        subprocess.run([sys.executable, "-m", "indexer", "build", str(args.seeds), "--out",
                        str(args.index), "--quiet"], check=True)
    queries = [q.text for q in load_question_set(args.eval_dir).queries]
    report = run_load(args.index, args.seeds, queries, clients=args.clients, swaps=args.swaps,
                      settle=args.settle)
    print_load(report, args.clients)
    return 1 if any(not s.ok for s in report.samples) else 0


BENCH_DESCRIPTION = """\
Speed and scale benchmark. Builds the seed index into a temporary directory, starts the
real server (`python -m search_service`) on loopback as a subprocess, and measures build
throughput, single-query latency, latency and throughput under concurrency, and the
server's resident memory, each beside its floor (the model or FAISS alone); then times
FAISS flat vs HNSW on synthetic corpora.

The server is started with RTES_RATE_LIMIT_EXEMPT=127.0.0.1 in its environment so that
the per-client rate limit on /api/search does not throttle the benchmark's own requests
(run any other load test against the service with its client allow-listed the same way).
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    args.command_line = "python -m eval " + shlex.join(argv)
    if args.command == "run" and not (args.index or args.url or args.backend == "postgres"):
        print("error: give --index DIR (in-process), --backend postgres or --url URL",
              file=sys.stderr)
        return 2
    from indexer.errors import IndexerError

    try:
        return args.func(args)
    except (QuestionSetError, IndexerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
