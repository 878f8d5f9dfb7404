"""Dev ablation of the hybrid ranking's signals (issue 17): one searcher, each question's
vector encoded once, each variant a change of `RankingConfig`, scored as `eval run` scores
a public hybrid run (nDCG@10 overall and per category).

    python -m eval.ablation --index DIR --split dev full "no sentence:sentence_mix=0"

A variant is `label` (today's configuration) or `label:key=value,key=value`; a key is a
`RankingConfig` field, or `dense_weight` / `name_boost` of the retrieval section.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eval.data import QuestionSet, default_eval_dir, load_question_set
from eval.metrics import evaluate
from eval.runner import visible_qrels

# Keys of `RetrievalConfig` itself (not of its `ranking`) a variant may change.
RETRIEVAL_KEYS = ("dense_weight", "name_boost")
COLUMNS = ("overall", "paraphrase", "thematic", "keyword", "factual", "typo", "foreign")


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """`label:key=value,...` → (label, changes): true/false, a float (with a dot), an int."""
    label, _, rest = text.partition(":")
    changes: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        lowered = value.strip().lower()
        changes[key.strip()] = (lowered == "true" if lowered in ("true", "false")
                                else float(value) if "." in value else int(value))
    return label, changes


def ranked_lists(searcher: Any, qs: QuestionSet, vectors: dict[str, np.ndarray],
                 changes: dict[str, Any], k: int = 10) -> dict[str, list[str]]:
    """Each question's public hybrid ranking with the ranking constants changed."""
    from search_service.retrieval import Filters

    saved = searcher.config
    top = {k: v for k, v in changes.items() if k in RETRIEVAL_KEYS}
    ranking = saved.ranking.replace(**{k: v for k, v in changes.items() if k not in top})
    searcher.config = dataclasses.replace(saved, ranking=ranking, **top)
    try:
        return {q.id: [h.resource["id"] for h in searcher.search(
            q.text, k=k, filters=Filters(), query_vector=vectors[q.id])]
            for q in qs.queries}
    finally:
        searcher.config = saved


def score(searcher: Any, qs: QuestionSet, results: dict[str, list[str]]
          ) -> dict[str, dict[str, float]]:
    private = {rid for rid, r in searcher.resources.items() if r["private"]}
    qrels, _ = visible_qrels(qs, private, member=False)
    return evaluate(results, qrels, qs.categories())


def table(rows: Sequence[tuple[str, dict[str, dict[str, float]]]]) -> str:
    head = "| variant | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|:---|" + "---:|" * len(COLUMNS)]
    for label, row in rows:
        cells = [f"{row[c]['nDCG@10']:.4f}" if c in row else "—" for c in COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.ablation")
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    parser.add_argument("--eval-dir", type=Path, default=default_eval_dir())
    parser.add_argument("variants", nargs="+")
    args = parser.parse_args(argv)
    from search_service.loading import load_searcher

    searcher = load_searcher(args.index)
    qs = load_question_set(args.eval_dir).split(args.split)
    vectors = {q.id: searcher.encode_query(q.text) for q in qs.queries}
    rows = []
    for text in args.variants:
        label, changes = parse_variant(text)
        rows.append((label, score(searcher, qs, ranked_lists(searcher, qs, vectors, changes))))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
