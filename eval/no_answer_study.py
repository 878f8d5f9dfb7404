"""Issue 18 §2: a calibrated probability that the visible corpus answers. For each question
of a split (public hybrid run), the features of `search_service.no_answer`, whether the
hard rules of `abstain.py` refuse it, and whether it is answerable for the public; then a
logistic regression cross-validated by question, its threshold the one that flags the most
unanswerable questions while flagging at most `--max-false` of the answerable ones.

    python -m eval.no_answer_study [--index DIR] [--split dev] [--fit [--switch-on]]

It prints today's rule (the cosine difference) beside the model, both cross-validated the
same way (threshold, and weights, chosen on the other four folds).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.data import default_eval_dir, load_question_set
from eval.runner import visible_qrels
from eval.study_cli import study_parser, study_rows


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
    show(f"{label}: threshold {t:.4f}", flagged, rows)


def show(label: str, flagged: np.ndarray, rows: Rows) -> None:
    pr, rc, fa = scores(flagged, rows.answerable)
    print(f"{label}  NA P {pr:.3f} R {rc:.3f} "
          f"({int((flagged & ~rows.answerable).sum())}/{int((~rows.answerable).sum())}, "
          f"{int(flagged.sum())} flagged) false abstention {fa:.3f}")


def _subset(rows: Rows, mask: np.ndarray) -> Rows:
    return Rows([i for i, m in zip(rows.ids, mask, strict=True) if m], rows.x[mask],
                rows.rule[mask], rows.answerable[mask])


def cv_flags(rows: Rows, keep: list[int], c: float | None, max_false: float,
             folds: int = 5) -> np.ndarray:
    """Each question flagged or not by a model fitted on the other folds, with the threshold
    chosen on those folds too (false abstention ≤ `max_false` there, rules included), so
    neither the weights nor the threshold saw it. `c` None: no model, the old signal
    (narrow_cosine − out_of_scope) with only its threshold chosen on the other folds."""
    flagged = np.zeros(len(rows.ids), dtype=bool)
    n = np.arange(len(rows.ids))
    for k in range(folds):
        test = n % folds == k
        train = _subset(rows, ~test)
        if c is None:
            signal = old_signal(rows.x)
            t = threshold(old_signal(train.x), train, max_false, True)
            flagged[test] = signal[test] < t
        else:
            model, mu, sd = fit(train.x[:, keep], train.answerable, c)
            t = threshold(model.predict_proba((train.x[:, keep] - mu) / sd)[:, 1], train,
                          max_false, True)
            flagged[test] = model.predict_proba((rows.x[test][:, keep] - mu) / sd)[:, 1] < t
    return flagged | rows.rule


def old_signal(x: np.ndarray) -> np.ndarray:
    """Today's confidence: the answer passages' best sentence cosine minus the out-of-scope
    similarity."""
    from search_service.no_answer import NA_FEATURES

    return (x[:, NA_FEATURES.index("narrow_cosine")]
            - x[:, NA_FEATURES.index("out_of_scope")])


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """How often an answerable question's probability beats an unanswerable one's."""
    pos, neg = p[y], p[~y]
    if not len(pos) or not len(neg):
        return 0.5
    return float(((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean())


GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


def cv_score(rows: Rows, keep: list[int], c: float, max_false: float) -> tuple[int, float]:
    """(unanswerable questions flagged right under CV, CV AUC of the probability)."""
    flagged = cv_flags(rows, keep, c, max_false)
    return (int((flagged & ~rows.answerable).sum()),
            round(auc(out_of_fold(rows, keep, c), rows.answerable), 4))


def select(rows: Rows, start: list[int], max_false: float, log: Any = print
           ) -> tuple[list[int], float]:
    """C chosen by CV (flagged right, then AUC; ties: the smaller C), then backward
    elimination at that C while CV flagged-right does not fall and AUC falls by ≤ 0.01."""
    from search_service.no_answer import NA_FEATURES

    c, ref = max(((c, cv_score(rows, start, c, max_false)) for c in GRID),
                 key=lambda cs: (cs[1], -cs[0]))
    log(f"all {len(start)} features: C {c}, CV {ref[0]} flagged right, AUC {ref[1]:.3f}")
    keep = list(start)
    while len(keep) > 1:
        trials = [(cv_score(rows, [i for i in keep if i != j], c, max_false), j) for j in keep]
        got, j = max(trials)
        if got[0] < ref[0] or got[1] < ref[1] - 0.01:
            log(f"  stop: dropping {NA_FEATURES[j]} gives CV {got[0]}, AUC {got[1]:.3f}")
            break
        keep = [i for i in keep if i != j]
        log(f"  drop {NA_FEATURES[j]}: CV {got[0]}, AUC {got[1]:.3f}")
    c = max(GRID, key=lambda g: (cv_score(rows, keep, g, max_false), -g))
    log(f"  C re-chosen for {[NA_FEATURES[i] for i in keep]}: {c}")
    return keep, c


NA_MODEL = Path(__file__).parent / "no_answer_model.json"


def write_model(rows: Rows, keep: list[int], c: float, max_false: float, split: str,
                path: Path, cv: str) -> float:
    """Fit on the whole split, choose the threshold on its probabilities (false abstention
    ≤ `max_false`, the rules included) and store both in `path`'s answer section (or, for
    eval/no_answer_model.json, at its top: off until copied into the configuration)."""
    from search_service.no_answer import NA_FEATURES

    model, mu, sd = fit(rows.x[:, keep], rows.answerable, c)
    t = threshold(model.predict_proba((rows.x[:, keep] - mu) / sd)[:, 1], rows, max_false, True)
    section = {
        "features": [NA_FEATURES[i] for i in keep],
        "means": [round(float(v), 6) for v in mu], "scales": [round(float(v), 6) for v in sd],
        "weights": [round(float(v), 6) for v in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 6), "threshold": round(t, 4),
        "fitted": f"{split}, {len(rows.ids)} questions, {datetime.date.today()}, logistic "
                  f"regression C {c}, features and C chosen by 5-fold CV; threshold: false "
                  f"abstention <= {max_false} on {split} with the rules of abstain.py; "
                  f"CV: {cv} (python -m eval.no_answer_study --fit)"}
    if path == NA_MODEL:
        config = {"no_answer_model": section}
    else:
        config = json.loads(path.read_text(encoding="utf-8"))
        config["answer"]["no_answer_model"] = section
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return t


def main(argv: list[str] | None = None) -> int:
    from search_service.no_answer import NA_FEATURES

    ap = study_parser("rows")
    ap.add_argument("--max-false", type=float, default=0.03)
    ap.add_argument("--fit", action="store_true",
                    help="select, fit on the whole split, write eval/no_answer_model.json")
    ap.add_argument("--switch-on", action="store_true",
                    help="with --fit: write the model into indexer/data/search_config.json")
    ap.add_argument("--features", nargs="+", help="start from these NA_FEATURES (default: all)")
    args = ap.parse_args(argv)
    rows = study_rows(args, collect)
    mf = args.max_false
    print(f"{args.split}: {len(rows.ids)} questions, {int((~rows.answerable).sum())} "
          f"unanswerable for the public; the rules alone flag {int(rows.rule.sum())}")
    show("today: cosine difference, threshold -0.013, + rules",
         (old_signal(rows.x) < -0.013) | rows.rule, rows)
    show(f"today's signal, threshold chosen by 5-fold CV (false abst. <= {mf}), + rules",
         cv_flags(rows, [], None, mf), rows)
    start = [NA_FEATURES.index(f) for f in (args.features or NA_FEATURES)]
    keep, c = select(rows, start, mf)
    flagged = cv_flags(rows, keep, c, mf)
    show(f"model {[NA_FEATURES[i] for i in keep]} C {c}, 5-fold CV (weights and threshold "
         f"fitted on the other folds), + rules", flagged, rows)
    p = out_of_fold(rows, keep, c)
    report("  same, threshold chosen on the pooled out-of-fold probabilities", p, rows,
           threshold(p, rows, mf, True), True)
    if args.fit:
        from indexer.search_config import DEFAULT_CONFIG

        pr, rc, fa = scores(flagged, rows.answerable)
        path = DEFAULT_CONFIG if args.switch_on else NA_MODEL
        t = write_model(rows, keep, c, mf, args.split, path,
                        f"NA P {pr:.3f} R {rc:.3f}, false abstention {fa:.3f}")
        print(f"written: {path} no_answer_model (threshold {t:.4f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
