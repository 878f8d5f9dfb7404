"""Issue 18 §2: a calibrated probability that the visible corpus answers. For each question
of a split (public hybrid run), the features of `search_service.no_answer`, whether the
hard rules of `abstain.py` refuse it, and whether it is answerable for the public; then a
logistic regression cross-validated by question, its threshold the one that flags the most
unanswerable questions while flagging at most `--max-false` of the answerable ones.

    python -m eval.no_answer_study --index DIR --split dev [--fit]
"""

from __future__ import annotations

import argparse
import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.data import default_eval_dir, load_question_set
from eval.runner import visible_qrels


@dataclass
class Rows:
    ids: list[str]
    x: np.ndarray
    rule: np.ndarray  # refused by abstain.py
    answerable: np.ndarray


def collect(searcher: Any, split: str) -> Rows:
    from search_service.abstain import abstain_reason
    from search_service.no_answer import search_features

    qs = load_question_set(default_eval_dir()).split(split)
    private = {rid for rid, r in searcher.resources.items() if r["private"]}
    qrels, _ = visible_qrels(qs, private, member=False)
    ids, x, rule = [], [], []
    for q in qs.queries:
        ids.append(q.id)
        x.append(search_features(searcher, q.text, member=False))
        rule.append(abstain_reason(searcher, q.text, False) is not None)
    return Rows(ids, np.array(x), np.array(rule), np.array([q in qrels for q in ids]))


def fit(x: np.ndarray, y: np.ndarray, c: float) -> tuple[Any, np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    mu, sd = x.mean(0), x.std(0) + 1e-9
    return LogisticRegression(C=c, max_iter=3000).fit((x - mu) / sd, y), mu, sd


def out_of_fold(rows: Rows, keep: list[int], c: float, folds: int = 5) -> np.ndarray:
    """Each question's probability from a model fitted on the other folds."""
    p = np.zeros(len(rows.ids))
    for k in range(folds):
        test = np.arange(len(rows.ids)) % folds == k
        model, mu, sd = fit(rows.x[~test][:, keep], rows.answerable[~test], c)
        p[test] = model.predict_proba((rows.x[test][:, keep] - mu) / sd)[:, 1]
    return p


def scores(flagged: np.ndarray, answerable: np.ndarray) -> tuple[float, float, float]:
    """No-answer precision, recall, false abstention."""
    hits = int((flagged & ~answerable).sum())
    return (hits / max(int(flagged.sum()), 1), hits / max(int((~answerable).sum()), 1),
            int((flagged & answerable).sum()) / max(int(answerable.sum()), 1))


def threshold(p: np.ndarray, rows: Rows, max_false: float, rules: bool) -> float:
    """The highest threshold (most flagged) whose false abstention stays ≤ `max_false`."""
    best = 0.0
    for t in sorted(set(np.round(p, 4))):
        flagged = (p < t) | (rows.rule if rules else False)
        if scores(flagged, rows.answerable)[2] <= max_false:
            best = t
    return float(best)


def report(label: str, p: np.ndarray, rows: Rows, t: float, rules: bool) -> None:
    flagged = (p < t) | (rows.rule if rules else False)
    pr, rc, fa = scores(flagged, rows.answerable)
    print(f"{label}: threshold {t:.4f}  NA P {pr:.3f} R {rc:.3f} "
          f"({int((flagged & ~rows.answerable).sum())}/{int((~rows.answerable).sum())}) "
          f"false abstention {fa:.3f}")


def write_model(rows: Rows, keep: list[int], c: float, max_false: float, split: str,
                path: Path) -> float:
    """Fit on the whole split, choose the threshold on its probabilities (false abstention
    ≤ `max_false`, the rules included) and store both in `path`'s answer section."""
    from search_service.no_answer import NA_FEATURES

    model, mu, sd = fit(rows.x[:, keep], rows.answerable, c)
    t = threshold(model.predict_proba((rows.x[:, keep] - mu) / sd)[:, 1], rows, max_false, True)
    config = json.loads(path.read_text(encoding="utf-8"))
    config["answer"]["no_answer_model"] = {
        "features": [NA_FEATURES[i] for i in keep],
        "means": [round(float(v), 6) for v in mu], "scales": [round(float(v), 6) for v in sd],
        "weights": [round(float(v), 6) for v in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6), "threshold": round(t, 4),
        "fitted": f"{split}, {len(rows.ids)} questions, {datetime.date.today()}, logistic "
                  f"regression C {c}; threshold: false abstention <= {max_false} on {split} "
                  f"with the rules of abstain.py (python -m eval.no_answer_study --fit)"}
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return t


def main(argv: list[str] | None = None) -> int:
    from search_service.loading import load_searcher
    from search_service.no_answer import NA_FEATURES

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--split", default="dev")
    ap.add_argument("-C", type=float, nargs="+", default=[1.0])
    ap.add_argument("--max-false", type=float, default=0.03)
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--save", type=Path, help="write the rows (pickle) for later study")
    ap.add_argument("--features", nargs="+", help="a subset of NA_FEATURES (default: all)")
    args = ap.parse_args(argv)
    if args.split == "holdout":
        raise SystemExit("the holdout is never used to choose anything")
    rows = collect(load_searcher(args.index), args.split)
    if args.save:
        import pickle

        args.save.write_bytes(pickle.dumps(rows))
    every = [NA_FEATURES.index(f) for f in (args.features or NA_FEATURES)]
    for c in args.C:
        p = out_of_fold(rows, every, c)
        for rules in (True, False):
            report(f"C {c} {'with' if rules else 'without'} rules", p, rows,
                   threshold(p, rows, args.max_false, rules), rules)
    c = args.C[0]
    for j in every:
        name = NA_FEATURES[j]
        p = out_of_fold(rows, [i for i in every if i != j], c)
        report(f"  without {name}", p, rows, threshold(p, rows, args.max_false, True), True)
    if args.fit:
        from indexer.search_config import DEFAULT_CONFIG

        t = write_model(rows, every, c, args.max_false, args.split, DEFAULT_CONFIG)
        print(f"written: {DEFAULT_CONFIG} answer.no_answer_model (threshold {t:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
