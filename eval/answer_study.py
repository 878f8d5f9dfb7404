"""Issue 18 §1: which sentence to quote. For each factual question of a split (public run),
every sentence of the top resources' passages with its features (`sentence_features`), the
hand score of today's `answer.score_sentences`, and whether it holds the gold span; then a
logistic regression against the hand score on the same question-grouped folds.

    python -m eval.answer_study [--index DIR] [--split dev] [--why] [--nested] [--fit]

`--fit` chooses C and the features by 5-fold CV grouped by question (backward elimination,
`select`), fits on every question of the split and writes the model where the search
configuration expects it (indexer/data/search_config.json → answer.sentence_model).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.data import default_eval_dir, load_question_set
from eval.metrics import normalize_answer
from eval.runner import visible_qrels
from eval.study_cli import study_parser, study_rows


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


def reciprocal_rank(scores: np.ndarray, pool: Pool) -> float:
    """1 / the rank of the first candidate holding the span (0: none holds it)."""
    held = pool.label[np.argsort(-scores, kind="stable")]
    return 1.0 / (int(np.argmax(held)) + 1) if held.any() else 0.0


def fit(train: list[Pool], keep: list[int], c: float) -> tuple[Any, np.ndarray, np.ndarray]:
    """A logistic regression on standardised features: (model, means, scales)."""
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([p.x[:, keep] for p in train])
    y = np.concatenate([p.label for p in train])
    mu, sd = x.mean(0), x.std(0) + 1e-9
    return LogisticRegression(C=c, max_iter=3000).fit((x - mu) / sd, y), mu, sd


@dataclass(frozen=True)
class Score:
    """A cross-validated figure: questions whose best candidate holds the span, and the mean
    reciprocal rank of the first holding candidate (breaks ties between equal counts)."""

    top1: int
    mrr: float

    def __str__(self) -> str:
        return f"{self.top1} (MRR {self.mrr:.3f})"


def cross_validate(data: list[Pool], keep: list[int], c: float, folds: int = 5) -> Score:
    """Each question scored by a model fitted on the other folds (folds by question, in
    file order modulo `folds`, so a question's candidates never straddle two folds)."""
    return held_out(data, lambda train: (keep, c), folds)


def held_out(data: list[Pool], choose: Callable[[list[Pool]], tuple[list[int], float]],
             folds: int = 5) -> Score:
    """Each fold's questions scored by a model whose features and C `choose` picks from the
    other folds, then fitted on them."""
    hits, rr = 0, 0.0
    for k in range(folds):
        train = [p for i, p in enumerate(data) if i % folds != k]
        if not train:
            continue
        keep, c = choose(train)
        model, mu, sd = fit(train, keep, c)
        for p in (p for i, p in enumerate(data) if i % folds == k):
            s = model.decision_function((p.x[:, keep] - mu) / sd)
            hits += top1(s, p)
            rr += reciprocal_rank(s, p)
    return Score(hits, rr / max(len(data), 1))


GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
MRR_SLACK = 0.01  # a removal may cost this much cross-validated MRR, never a top-1 question


def best_c(data: list[Pool], keep: list[int], grid: Sequence[float] = GRID
           ) -> tuple[float, Score]:
    """The C with the best CV figure (ties: the smaller C, the more regularised)."""
    scored = [(c, cross_validate(data, keep, c)) for c in grid]
    return max(scored, key=lambda cs: (cs[1].top1, round(cs[1].mrr, 6), -cs[0]))


def select(data: list[Pool], names: Sequence[str], log: Any = None
           ) -> tuple[list[int], float, Score]:
    """C chosen by CV, then backward elimination at that C: drop, one at a time, the feature
    whose removal keeps CV best, as long as CV top-1 is not lower than with every feature
    and CV MRR not lower by more than `MRR_SLACK`; C re-chosen for what is left."""
    keep = list(range(len(names)))
    c, ref = best_c(data, keep)
    if log:
        log(f"all {len(keep)} features: C {c} (chosen by CV among {list(GRID)}), CV {ref}")
    while len(keep) > 1:
        trials = [(cross_validate(data, [i for i in keep if i != j], c), j) for j in keep]
        rs, j = max(trials, key=lambda t: (t[0].top1, round(t[0].mrr, 6)))
        if rs.top1 < ref.top1 or rs.mrr < ref.mrr - MRR_SLACK:
            if log:
                log(f"  stop: dropping {names[j]} (the least useful) gives CV {rs}")
            break
        keep = [i for i in keep if i != j]
        if log:
            log(f"  drop {names[j]}: CV {rs}")
    c, score = best_c(data, keep)
    if log:
        log(f"  C re-chosen for {len(keep)} features: {c}")
    return keep, c, score


def nested(data: list[Pool], names: Sequence[str], folds: int = 5) -> Score:
    """An honest figure for the whole procedure: `select` run on four folds, its model
    scored on the fifth."""
    return held_out(data, lambda train: select(train, names)[:2], folds)


def write_model(data: list[Pool], keep: list[int], c: float, split: str, path: Path,
                cv: Score) -> None:
    """Fit on every question of the split and store the weights in the answer section of
    the search configuration `path`."""
    import datetime
    import json

    from search_service.sentence_features import FEATURES

    model, mu, sd = fit(data, keep, c)
    config = json.loads(path.read_text(encoding="utf-8"))
    config["answer"]["sentence_model"] = {
        "features": [FEATURES[i] for i in keep],
        "means": [round(float(v), 6) for v in mu],
        "scales": [round(float(v), 6) for v in sd],
        "weights": [round(float(v), 6) for v in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6),
        "fitted": f"{split}, {len(data)} factual questions, {datetime.date.today()}, "
                  f"logistic regression C {c}, features and C chosen by 5-fold CV grouped "
                  f"by question (CV top-1 {cv.top1}/{len(data)}) "
                  f"(python -m eval.answer_study --fit)"}
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
    from search_service.sentence_features import FEATURES

    ap = study_parser("pools")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--why", action="store_true")
    ap.add_argument("-C", type=float, nargs="+", default=[],
                    help="also cross-validate every feature at these C")
    ap.add_argument("--features", nargs="+", help="start from these FEATURES (default: all)")
    ap.add_argument("--nested", action="store_true",
                    help="also score the whole selection by nested CV (slow)")
    ap.add_argument("--fit", action="store_true",
                    help="select features and C by CV, fit on the whole split and store the "
                         "model in indexer/data/search_config.json")
    args = ap.parse_args(argv)
    data = study_rows(args, lambda searcher, split: pools(searcher, split, args.top))
    n = len(data)
    print(f"{args.split}: {n} factual questions; span in today's pool "
          f"{sum((p.label & p.today).any() for p in data)}, in the wide pool "
          f"{sum(p.label.any() for p in data)}; hand score top-1: today's pool "
          f"{sum(top1(p.hand, p, p.today) for p in data)}, wide pool "
          f"{sum(top1(p.hand, p) for p in data)}")
    if args.why:
        why(data)
    start = [FEATURES.index(f) for f in (args.features or FEATURES)]
    names = [FEATURES[i] for i in start]
    for c in args.C:
        every = list(range(len(start)))
        print(f"C {c}: 5-fold CV {cross_validate(_columns(data, start), every, c)}/{n}")
        for j, name in enumerate(names):
            rest = [i for i in every if i != j]
            print(f"  without {name}: {cross_validate(_columns(data, start), rest, c)}")
    sub = _columns(data, start)
    keep, c, score = select(sub, names, log=print)
    print(f"selected: {[names[i] for i in keep]}, C {c}: 5-fold CV top-1 {score.top1}/{n} "
          f"(MRR {score.mrr:.3f})")
    if args.nested:
        print(f"nested CV (selection redone inside each fold): {nested(sub, names)}/{n}")
    if args.fit:
        from indexer.search_config import DEFAULT_CONFIG

        write_model(data, [start[i] for i in keep], c, args.split, DEFAULT_CONFIG, score)
        print(f"written: {DEFAULT_CONFIG} answer.sentence_model")
    return 0


def _columns(data: list[Pool], cols: list[int]) -> list[Pool]:
    """The pools with only the feature columns `cols`."""
    import dataclasses

    return [dataclasses.replace(p, x=p.x[:, cols]) for p in data]


if __name__ == "__main__":
    raise SystemExit(main())
