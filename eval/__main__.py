"""`python -m eval run --index DIR [--mode M] [--split S] [--url URL]`: retrieval quality."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from eval.data import QuestionSetError, default_eval_dir, load_question_set
from eval.metrics import format_table
from eval.runner import RunReport, http_backend, in_process_backend, run_questions

MODES = ("dense", "bm25", "hybrid")


def print_report(report: RunReport) -> None:
    who = "members" if report.member else "public"
    print(f"\n== mode {report.mode} · split {report.split} · {who} ==")
    print(format_table(report.rows))
    na = report.no_answer
    print(f"no-answer: precision {na['precision']:.3f} recall {na['recall']:.3f} "
          f"({na['true_positives']}/{na['unanswerable']} flagged right, {na['flagged']} flagged)")
    print(f"answer-span containment: {report.containment:.3f}")
    leaks = sum(len(v) for v in report.leaks.values())
    print(f"private leaks: {leaks}" + (f" {report.leaks}" if leaks else ""))


def _private_ids(index: Path | None) -> set[str]:
    if index is None:
        return set()
    import json

    from indexer.store import RESOURCES_FILE, resolve_version
    version = resolve_version(index)
    rows = [json.loads(line) for line in (version / RESOURCES_FILE).read_text().splitlines()]
    return {r["id"] for r in rows if r["private"]}


def cmd_run(args: argparse.Namespace) -> int:
    qs = load_question_set(args.eval_dir)
    modes = MODES if args.mode == "all" else (args.mode,)
    splits = ("dev", "test") if args.split == "all" else (args.split,)
    token = os.environ.get("RTES_EVAL_TOKEN") if args.member else None
    if args.url:
        backend = http_backend(args.url, token=token)
    else:
        from search_service.loading import load_searcher

        backend = in_process_backend(load_searcher(args.index), member=args.member)
    private = _private_ids(args.index)
    for split in splits:
        for mode in modes:
            print_report(run_questions(qs.split(split), backend, mode, split, private,
                                       member=args.member))
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
    print(f"{'threshold':>9}  {'precision':>9}  {'recall':>6}  {'F1':>6}  answerable flagged")
    for row in rows:
        print(f"{row.threshold:>9.4f}  {row.precision:>9.3f}  {row.recall:>6.3f}  "
              f"{row.f1:>6.3f}  {row.answerable_flagged:.3f}")
    best = choose(rows, args.max_flagged)
    if best is None:
        print("no threshold keeps normal questions unflagged")
        return 1
    print(f"\nchosen: RTES_CONFIDENCE_THRESHOLD={best.threshold} (F1 {best.f1:.3f}, "
          f"{best.answerable_flagged:.1%} of answerable questions flagged, split {args.split})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eval", description="Measure retrieval quality.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run the question set and print the metrics")
    p.add_argument("--index", type=Path, help="index directory (in-process search, and the "
                   "list of private resources for leak checks)")
    p.add_argument("--url", help="score a live service instead (e.g. http://127.0.0.1:8000)")
    p.add_argument("--mode", choices=(*MODES, "all"), default="hybrid")
    p.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    p.add_argument("--member", action="store_true",
                   help="search as a member (over --url, the token is read from RTES_EVAL_TOKEN)")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("calibrate", help="choose the confidence threshold on a split")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--split", choices=("dev", "test"), default="dev")
    p.add_argument("--max-flagged", type=float, default=0.10,
                   help="largest share of answerable questions that may be flagged")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    p.set_defaults(func=cmd_calibrate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run" and not (args.index or args.url):
        print("error: give --index DIR (in-process) or --url URL", file=sys.stderr)
        return 2
    from indexer.errors import IndexerError

    try:
        return args.func(args)
    except (QuestionSetError, IndexerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
