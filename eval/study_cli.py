"""What the two studies of issue 18 (`eval.answer_study`, `eval.no_answer_study`) share on
their command line: the index and split, rows saved or loaded, the holdout refused."""

from __future__ import annotations

import argparse
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def study_parser(what: str) -> argparse.ArgumentParser:
    """A parser with --index, --split, --save and --load; `what`, what --save writes."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, default=Path("var/f32"),
                    help="a seed index (default var/f32: `python -m indexer build seeds "
                         "--out var/f32 --encoder float32`)")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--save", type=Path, help=f"write the {what} (pickle) for later study")
    ap.add_argument("--load", type=Path, help="read what --save wrote (no search)")
    return ap


def study_rows(args: argparse.Namespace, collect: Callable[[Any, str], T]) -> T:
    """`collect(searcher, split)` on the index of `args`, or what `--load` names; written to
    `--save` when given. The holdout is refused: it never chooses anything."""
    if args.split == "holdout":
        raise SystemExit("the holdout is never used to choose anything")
    if args.load:
        rows = pickle.loads(args.load.read_bytes())
    else:
        from search_service.loading import load_searcher

        if not (args.index / "current").exists():
            raise SystemExit(f"no index at {args.index}: python -m indexer build seeds --out "
                             f"{args.index} --encoder float32")
        rows = collect(load_searcher(args.index), args.split)
    if args.save:
        args.save.write_bytes(pickle.dumps(rows))
    return rows
