"""Retrieval and answering metrics: pure functions over BEIR-shaped inputs.

`ranked` is a query's result list of resource ids, best first; `rels` its graded
judgements `{resource_id: grade}` (2 answers the question, 1 is about the topic,
0 or absent is not relevant). Nothing here mutates its inputs.

Conventions shared by the ranking metrics:
- a resource repeated in `ranked` counts once, at its first rank (so nDCG ≤ 1);
- a query with no relevant resource scores 0.0: `evaluate` leaves such queries
  (the no_answer ones) out of the means rather than averaging those zeros in.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from eval.tables import fixed_table

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})


def _top_k(ranked: Sequence[str], k: int) -> list[str]:
    """The first `k` distinct ids of `ranked`."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    seen: dict[str, None] = {}
    for doc in ranked:
        if len(seen) == k:
            break
        seen.setdefault(doc, None)
    return list(seen)


def _relevant(rels: Mapping[str, int]) -> set[str]:
    return {doc for doc, grade in rels.items() if grade >= 1}


def _dcg(gains: Iterable[float]) -> float:
    """Σ gain_i / log2(i + 1) over ranks i = 1, 2, ..."""
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def ndcg_at_k(ranked: Sequence[str], rels: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k, linear gain (the grade), as pytrec_eval/BEIR compute it; 0.0 if nothing is relevant.

    The ideal DCG orders all judged grades, not only those retrieved, so missing a
    relevant resource costs even when everything retrieved is relevant.
    """
    top = _top_k(ranked, k)
    ideal = _dcg(sorted((g for g in rels.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return _dcg(max(rels.get(doc, 0), 0) for doc in top) / ideal


def mrr_at_k(ranked: Sequence[str], rels: Mapping[str, int], k: int = 10) -> float:
    """1 / rank of the first resource with grade ≥ 1 in the top k, else 0.0."""
    relevant = _relevant(rels)
    for rank, doc in enumerate(_top_k(ranked, k), start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked: Sequence[str], rels: Mapping[str, int], k: int = 10) -> float:
    """Share of the resources with grade ≥ 1 found in the top k; 0.0 if none is relevant."""
    relevant = _relevant(rels)
    if not relevant:
        return 0.0
    return len(relevant.intersection(_top_k(ranked, k))) / len(relevant)


def _query_scores(
    ranked: Sequence[str], rels: Mapping[str, int], ks: Sequence[int]
) -> dict[str, float]:
    k_max = max(ks)
    scores = {
        f"nDCG@{k_max}": ndcg_at_k(ranked, rels, k_max),
        f"MRR@{k_max}": mrr_at_k(ranked, rels, k_max),
    }
    scores.update({f"Recall@{k}": recall_at_k(ranked, rels, k) for k in sorted(ks)})
    return scores


def _mean_row(per_query: list[dict[str, float]], keys: list[str]) -> dict[str, float]:
    n = len(per_query)
    row: dict[str, float] = {key: sum(s[key] for s in per_query) / n if n else 0.0 for key in keys}
    row["n"] = n
    return row


def evaluate(
    results: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    categories: Mapping[str, str],
    ks: Sequence[int] = (5, 10),
) -> dict[str, dict[str, float]]:
    """Mean ranking metrics: `{"overall": {...}, category: {...}}`, each row with a count `n`.

    With the default `ks` the keys are `nDCG@10`, `MRR@10`, `Recall@5`, `Recall@10`
    (nDCG and MRR at the largest k, recall at each k). Only queries with at least one
    relevant judgement count; a judged query missing from `results` counts as an empty
    ranking (a failed run must not look like a better one). `overall` always exists
    (all zeros with n = 0 if nothing was judged); a category appears only if it has queries.
    """
    if not ks:
        raise ValueError("ks must name at least one cut-off")
    judged = sorted(qid for qid, rels in qrels.items() if _relevant(rels))
    missing = [qid for qid in judged if qid not in categories]
    if missing:
        raise ValueError(f"no category for judged queries {missing}")
    per_query = {qid: _query_scores(results.get(qid, ()), qrels[qid], ks) for qid in judged}
    keys = list(_query_scores((), {}, ks))
    rows = {"overall": _mean_row(list(per_query.values()), keys)}
    for category in sorted({categories[qid] for qid in judged}):
        members = [per_query[qid] for qid in judged if categories[qid] == category]
        rows[category] = _mean_row(members, keys)
    return rows


def no_answer_scores(confident: Mapping[str, bool], unanswerable: set[str]) -> dict[str, float]:
    """How well `confident == False` flags the unanswerable queries (the positive class).

    precision = flagged ∩ unanswerable / flagged; recall = flagged ∩ unanswerable /
    unanswerable (an unanswerable query absent from `confident` is a miss);
    false_abstention = answerable flagged / answerable. A zero denominator gives 0.0:
    flagging nothing earns no precision credit.
    """
    flagged = {qid for qid, sure in confident.items() if not sure}
    hits = len(flagged & unanswerable)
    answerable = [qid for qid in confident if qid not in unanswerable]
    wrongly = [qid for qid in answerable if qid in flagged]
    return {
        "precision": hits / len(flagged) if flagged else 0.0,
        "recall": hits / len(unanswerable) if unanswerable else 0.0,
        "false_abstention": len(wrongly) / len(answerable) if answerable else 0.0,
        "flagged": len(flagged),
        "unanswerable": len(unanswerable),
        "true_positives": hits,
        "n": len(confident),
    }


def normalize_answer(text: str) -> str:
    """NFC, case folded, typographic apostrophes as ', runs of whitespace as one space."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return " ".join(folded.translate(_APOSTROPHES).split())


def answer_containment(answers: Mapping[str, str | None], spans: Mapping[str, str]) -> float:
    """Share of the queries in `spans` whose answer contains the expected span (normalised).

    A missing or None answer counts as a miss; no spans gives 0.0. An expected span
    that normalises to nothing is an error: it would be contained in every answer.
    """
    if not spans:
        return 0.0
    hits = 0
    for qid, span in spans.items():
        expected = normalize_answer(span)
        if not expected:
            raise ValueError(f"empty expected span for query {qid!r}")
        answer = answers.get(qid)
        if answer is not None and expected in normalize_answer(answer):
            hits += 1
    return hits / len(spans)


def private_leaks(
    results: Mapping[str, Sequence[str]], private_ids: set[str]
) -> dict[str, list[str]]:
    """Private resources returned to an anonymous caller, per query, in rank order; {} = no leak."""
    leaks = {
        qid: list(dict.fromkeys(doc for doc in ranked if doc in private_ids))
        for qid, ranked in results.items()
    }
    return {qid: docs for qid, docs in leaks.items() if docs}


def _cell(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.4f}"


def format_table(rows: Mapping[str, Mapping[str, float]]) -> str:
    """A fixed-width table: one line per row ('overall', categories), one column per key.

    Columns are the keys in first-seen order; a value missing from a row prints '-'.
    """
    columns = list(dict.fromkeys(key for row in rows.values() for key in row))
    body = [[name, *(_cell(row.get(key)) for key in columns)] for name, row in rows.items()]
    return fixed_table(["", *columns], body)
