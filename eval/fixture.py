"""A recorded run of the question set: what the search returns, to prove a refactor changes
nothing (`python -m eval fixture --index DIR --out eval/fixtures/seed_run.jsonl`).

One row per dev and test question (never the holdout): the hybrid public top 10 with scores,
the answer, `confident` and the confidence. `compare_runs` tolerates float noise in the last
digits (another CPU, another BLAS) but not a different result, rank or answer.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FIXTURE_SPLITS = ("dev", "test")
SCORE_TOLERANCE = 2e-3
DEFAULT_FIXTURE = Path(__file__).parent / "fixtures" / "seed_run.jsonl"


@dataclass(frozen=True)
class RecordedQuery:
    id: str
    ranked: list[tuple[str, float]]
    answer: str | None
    confident: bool
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "ranked": [[r, s] for r, s in self.ranked],
                "answer": self.answer, "confident": self.confident,
                "confidence": self.confidence}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> RecordedQuery:
        return cls(row["id"], [(r, float(s)) for r, s in row["ranked"]], row["answer"],
                   bool(row["confident"]), float(row["confidence"]))


def record(questions: Iterable[tuple[str, str]],
           search: Callable[[str], dict[str, Any]]) -> list[RecordedQuery]:
    """`search(text)` returns a response body: the HTTP contract's JSON, or `asdict` of the
    core's `SearchResult` (`search_service.results`), which holds the same fields."""
    rows = []
    for qid, text in questions:
        body = search(text)
        rows.append(RecordedQuery(
            qid, [(r["resource"]["id"], round(r["score"], 4)) for r in body["results"]],
            (body.get("answer") or {}).get("text"), bool(body["confident"]),
            round(float(body["confidence"]), 4)))
    return rows


def _same_ranking(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    """Same ids in the same order, or swapped only between scores equal within tolerance."""
    if sorted(r for r, _ in a) != sorted(r for r, _ in b):
        return False
    scores_b = dict(b)
    for (rid_a, sa), (rid_b, _) in zip(a, b, strict=True):
        if abs(sa - scores_b[rid_a]) > SCORE_TOLERANCE:
            return False
        if rid_a != rid_b and abs(sa - scores_b[rid_b]) > SCORE_TOLERANCE:
            return False
    return True


def compare_runs(expected: list[RecordedQuery], got: list[RecordedQuery],
                 threshold: float) -> list[str]:
    """Differences, one line each (empty: the same run). A `confident` flip is noise only
    when the confidence sits within tolerance of the threshold."""
    by_id = {r.id: r for r in got}
    problems = []
    for want in expected:
        have = by_id.get(want.id)
        if have is None:
            problems.append(f"{want.id}: not in the new run")
            continue
        if not _same_ranking(want.ranked, have.ranked):
            problems.append(f"{want.id}: ranking {want.ranked[:3]} → {have.ranked[:3]}")
        if abs(want.confidence - have.confidence) > SCORE_TOLERANCE:
            problems.append(f"{want.id}: confidence {want.confidence} → {have.confidence}")
        near = abs(want.confidence - threshold) <= SCORE_TOLERANCE
        if want.confident != have.confident and not near:
            problems.append(f"{want.id}: confident {want.confident} → {have.confident}")
        if want.answer != have.answer and not near:
            problems.append(f"{want.id}: answer {str(want.answer)[:60]!r} → "
                            f"{str(have.answer)[:60]!r}")
    extra = sorted(set(by_id) - {r.id for r in expected})
    problems.extend(f"{qid}: not in the recorded run" for qid in extra)
    return problems


def read_fixture(path: Path) -> list[RecordedQuery]:
    return [RecordedQuery.from_dict(json.loads(line))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_fixture(rows: list[RecordedQuery], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")


# `python -m eval fixture`: its command and arguments live here, beside what they use.
def cmd_fixture(args: argparse.Namespace) -> int:
    from eval.data import load_question_set
    from search_service.loading import load_searcher
    from search_service.pipeline import run_search

    searcher = load_searcher(args.index)
    qs = load_question_set(args.eval_dir)
    questions = [(q.id, q.text) for q in qs.queries if q.split in FIXTURE_SPLITS]
    rows = record(questions, lambda text: asdict(run_search(searcher, text)))
    if args.check:
        problems = compare_runs(read_fixture(args.out), rows, searcher.answer_config
                                .decision_threshold)
        print("\n".join(problems) or f"same run as {args.out} ({len(rows)} questions)")
        return 1 if problems else 0
    write_fixture(rows, args.out)
    print(f"wrote {args.out} ({len(rows)} questions)")
    return 0


def add_fixture_parser(sub: argparse._SubParsersAction) -> None:
    from eval.data import default_eval_dir

    p = sub.add_parser("fixture", help="record the dev+test run (or --check it against the "
                       "recorded one): proof that a refactor changes no result")
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--out", type=Path, default=DEFAULT_FIXTURE)
    p.add_argument("--check", action="store_true", help="compare instead of writing")
    p.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    p.set_defaults(func=cmd_fixture)
