"""A learned combination of the hybrid ranking's signals against the hand-set fusion, under
5-fold cross-validation on dev grouped by question (issue 17).

For each question, the first `DEPTH` resources of the hand-set ranking are re-ordered by a
logistic regression (relevant: grade ≥ 1) over their per-signal scores; resources below
`DEPTH` keep their place. Each fold trains on the other folds' questions and is scored on
its own; the hand-set fusion is scored on the same folds.

    python -m eval.learned --index DIR
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from eval.ablation import parse_variant, score
from eval.data import default_eval_dir, load_question_set

DEPTH = 30
SIGNALS = ("ngram", "lexicon", "rm3", "name", "resource", "hierarchy")


def features(searcher: Any, query: str, vector: np.ndarray, hits: list[Any]) -> np.ndarray:
    """One row per hit: its score, rank, cosine, BM25 (over the question's best), the other
    signals, its best sentence cosine, and the question's lexical coverage."""
    from search_service.hybrid import rank_hybrid
    from search_service.question import analyse
    from search_service.retrieval import Filters

    mask = searcher.allowed(Filters())
    question = analyse(searcher, query, vector=vector)
    ranking = rank_hybrid(searcher, question, searcher.dense_scores(vector, mask),
                          searcher.lexical_scores(list(question.tokens), mask, False), mask,
                          False)
    sentence = best_sentence(searcher, vector)
    top_lexical = max((h.lexical for h in hits), default=0.0) or 1.0
    rows = []
    for rank, hit in enumerate(hits):
        extra = [hit.signals.get(name, 0.0) for name in SIGNALS]
        rows.append([hit.score, np.log1p(rank), hit.dense, hit.lexical / top_lexical, *extra,
                     sentence.get(hit.resource["id"], -1.0), ranking.coverage])
    return np.array(rows, dtype=np.float64)


def best_sentence(searcher: Any, vector: np.ndarray) -> dict[str, float]:
    """Each public resource's best sentence cosine to the question (the build's vectors)."""
    if searcher.data.sentence_vectors is None:
        return {}
    cosines = searcher.data.sentence_vectors.astype(np.float64) @ vector.astype(np.float64)
    best: dict[str, float] = {}
    for row, sentence in enumerate(searcher.data.sentences):
        rid = searcher.passage_resource(int(sentence["passage"]))
        if not searcher.resources[rid]["private"]:
            best[rid] = max(best.get(rid, -1.0), float(cosines[row]))
    return best


def collect(searcher: Any, qs: Any) -> dict[str, tuple[list[str], np.ndarray]]:
    from search_service.retrieval import Filters

    out = {}
    for q in qs.queries:
        vector = searcher.encode_query(q.text)
        hits = searcher.search(q.text, k=DEPTH, filters=Filters(), query_vector=vector)
        out[q.id] = ([h.resource["id"] for h in hits], features(searcher, q.text, vector, hits))
    return out


def cross_validate(searcher: Any, qs: Any, folds: int = 5, c: float = 1.0,
                   pooled: dict[str, dict[str, list[str]]] | None = None
                   ) -> list[tuple[float, float]]:
    """(hand-set, learned) nDCG@10 of each fold; `pooled`, when given, receives every
    question's held-out ranking of both (keys "hand", "learned"), to score by category."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler

    data = collect(searcher, qs)
    qids = [q for q in data if len(data[q][0])]
    results = []
    for train, test in GroupKFold(n_splits=folds).split(qids, groups=qids):
        x, y = [], []
        for i in train:
            ids, rows = data[qids[i]]
            grades = qs.qrels.get(qids[i], {})
            x.append(rows)
            y.extend(int(grades.get(rid, 0) >= 1) for rid in ids)
        scaler = StandardScaler().fit(np.vstack(x))
        model = LogisticRegression(C=c, max_iter=1000).fit(scaler.transform(np.vstack(x)), y)
        held = [qids[i] for i in test]
        fold = _subset(qs, held)
        hand = {q: data[q][0][:10] for q in held}
        learned = {}
        for q in held:
            ids, rows = data[q]
            p = model.decision_function(scaler.transform(rows))
            learned[q] = [ids[j] for j in np.argsort(-p, kind="stable")][:10]
        if pooled is not None:
            pooled.setdefault("hand", {}).update(hand)
            pooled.setdefault("learned", {}).update(learned)
        results.append((score(searcher, fold, hand)["overall"]["nDCG@10"],
                        score(searcher, fold, learned)["overall"]["nDCG@10"]))
    return results


def _subset(qs: Any, ids: list[str]) -> Any:
    from eval.data import QuestionSet

    keep = set(ids)
    return QuestionSet([q for q in qs.queries if q.id in keep],
                       {q: r for q, r in qs.qrels.items() if q in keep})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.learned")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    parser.add_argument("-C", type=float, nargs="+", default=[1.0])
    parser.add_argument("--ranking", default="", help="RankingConfig changes, key=value,...")
    args = parser.parse_args(argv)
    from search_service.loading import load_searcher

    searcher = load_searcher(args.index)
    changes = parse_variant(f"x:{args.ranking}")[1]
    searcher.config = dataclasses.replace(
        searcher.config, ranking=searcher.config.ranking.replace(**changes))
    qs = load_question_set(args.eval_dir).split("dev")
    for c in args.C:
        pooled: dict[str, dict[str, list[str]]] = {}
        folds = cross_validate(searcher, qs, c=c, pooled=pooled)
        hand, learned = (float(np.mean(v)) for v in zip(*folds, strict=True))
        print(f"C={c}: hand-set {hand:.4f}, learned {learned:.4f}; folds "
              + ", ".join(f"{h:.3f}/{lv:.3f}" for h, lv in folds))
        for name, ranked in pooled.items():
            rows = score(searcher, qs, ranked)
            print(f"  {name} (held-out rankings pooled): "
                  + ", ".join(f"{k} {v['nDCG@10']:.4f}" for k, v in rows.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
