"""Issue 18 §1: which sentence to quote. For each factual question of a split (public run),
every sentence of the top resources' passages with its features (`sentence_features`), the
hand score of today's `answer.score_sentences`, and whether it holds the gold span; then a
logistic regression against the hand score on the same question-grouped folds.

    python -m eval.answer_study --index DIR --split dev [--why] [--drop FEATURE ...]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.data import default_eval_dir, load_question_set
from eval.metrics import normalize_answer
from eval.runner import visible_qrels


@dataclass
class Pool:
    """One question's candidates: features, hand scores, labels, what each would quote."""

    qid: str
    question: str
    span: str
    x: np.ndarray
    hand: np.ndarray
    label: np.ndarray
    quotes: list[str]
    today: np.ndarray  # in today's pool (3 passages of the top 2 results)


def pools(searcher: Any, split: str, top: int = 5) -> list[Pool]:
    from search_service.answer_choice import candidates

    qs = load_question_set(default_eval_dir()).split(split)
    private = {rid for rid, r in searcher.resources.items() if r["private"]}
    qrels, _ = visible_qrels(qs, private, member=False)
    spans = {q: s for q, s in qs.answer_spans().items() if q in qrels}
    out = []
    for q in qs.queries:
        if q.id not in spans:
            continue
        found = candidates(searcher, q.text, top=top)
        gold = normalize_answer(spans[q.id])
        out.append(Pool(q.id, q.text, spans[q.id], found.x, found.hand,
                        np.array([gold in normalize_answer(t) for t in found.quotes]),
                        found.quotes, found.today))
    return out


def top1(scores: np.ndarray, pool: Pool, mask: np.ndarray | None = None) -> bool:
    s = np.where(mask, scores, -np.inf) if mask is not None else scores
    return bool(len(s)) and bool(pool.label[int(np.argmax(s))])


def fit(train: list[Pool], keep: list[int], c: float) -> tuple[Any, np.ndarray, np.ndarray]:
    """A logistic regression on standardised features: (model, means, scales)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([p.x[:, keep] for p in train])
    y = np.concatenate([p.label for p in train])
    mu, sd = x.mean(0), x.std(0) + 1e-9
    return LogisticRegression(C=c, max_iter=3000).fit((x - mu) / sd, y), mu, sd


def cross_validate(data: list[Pool], keep: list[int], c: float, folds: int = 5) -> int:
    """Questions whose best learned candidate holds the span, each question scored by a
    model fitted on the other folds (folds by question, in file order modulo `folds`)."""
    hits = 0
    for k in range(folds):
        model, mu, sd = fit([p for i, p in enumerate(data) if i % folds != k], keep, c)
        hits += sum(top1(model.decision_function((p.x[:, keep] - mu) / sd), p)
                    for i, p in enumerate(data) if i % folds == k)
    return hits


def write_model(data: list[Pool], c: float, split: str, path: Path) -> None:
    """Fit on every question of the split and store the weights in the answer section of
    the search configuration `path`."""
    import datetime
    import json

    from search_service.sentence_features import FEATURES

    model, mu, sd = fit(data, list(range(len(FEATURES))), c)
    config = json.loads(path.read_text(encoding="utf-8"))
    config["answer"]["sentence_model"] = {
        "features": list(FEATURES), "means": [round(float(v), 6) for v in mu],
        "scales": [round(float(v), 6) for v in sd],
        "weights": [round(float(v), 6) for v in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
        "fitted": f"{split}, {len(data)} factual questions, {datetime.date.today()}, "
                  f"logistic regression C {c} (python -m eval.answer_study --fit)"}
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def why(data: list[Pool]) -> None:
    """Each miss of today's hand scoring on today's pool: the question, the span, the quote,
    the rank of the first holding candidate in the wider pool."""
    for p in data:
        if top1(p.hand, p, p.today):
            continue
        order = np.argsort(-p.hand)
        ranks = [r for r, i in enumerate(order) if p.label[i]]
        best = int(np.argmax(np.where(p.today, p.hand, -np.inf))) if p.today.any() else None
        print(f"\n{p.qid} {p.question}\n  gold: {p.span}\n  quoted: "
              f"{p.quotes[best][:160] if best is not None else None!r}\n  gold rank (wide pool, "
              f"hand): {ranks[0] + 1 if ranks else 'absent'} of {len(order)}; in today's pool: "
              f"{bool((p.label & p.today).any())}")


def main(argv: list[str] | None = None) -> int:
    from search_service.loading import load_searcher
    from search_service.sentence_features import FEATURES

    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--why", action="store_true")
    ap.add_argument("--save", type=Path, help="write the pools (pickle) for later study")
    ap.add_argument("-C", type=float, nargs="+", default=[0.01])
    ap.add_argument("--fit", action="store_true",
                    help="store the first C's model, fitted on the whole split, in "
                         "indexer/data/search_config.json")
    args = ap.parse_args(argv)
    if args.split == "holdout":
        raise SystemExit("the holdout is never used to choose anything")
    data = pools(load_searcher(args.index), args.split, args.top)
    if args.save:
        import pickle

        args.save.write_bytes(pickle.dumps(data))
    n = len(data)
    print(f"{n} questions; span in today's pool {sum((p.label & p.today).any() for p in data)}, "
          f"in the wide pool {sum(p.label.any() for p in data)}; hand top-1 today's pool "
          f"{sum(top1(p.hand, p, p.today) for p in data)}, wide pool "
          f"{sum(top1(p.hand, p) for p in data)}")
    if args.why:
        why(data)
    every = list(range(len(FEATURES)))
    for c in args.C:
        print(f"C {c}: learned (5-fold) {cross_validate(data, every, c)}/{n}")
    for j, name in enumerate(FEATURES):
        print(f"  without {name}: {cross_validate(data, [i for i in every if i != j], args.C[0])}"
              f"/{n}")
    if args.fit:
        from indexer.search_config import DEFAULT_CONFIG

        write_model(data, args.C[0], args.split, DEFAULT_CONFIG)
        print(f"written: {DEFAULT_CONFIG} answer.sentence_model")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
