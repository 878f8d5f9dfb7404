"""Choose the confidence threshold on the dev split: flag unanswerable questions only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    precision: float
    recall: float
    f1: float
    answerable_flagged: float


def sweep(scores: dict[str, float], unanswerable: set[str]) -> list[ThresholdRow]:
    """For each candidate threshold, how `score < threshold` flags the unanswerable questions."""
    answerable = [q for q in scores if q not in unanswerable]
    rows = []
    for t in sorted(set(scores.values())) + [max(scores.values(), default=0.0) + 1e-6]:
        flagged = {q for q, s in scores.items() if s < t}
        hits = len(flagged & unanswerable)
        p = hits / len(flagged) if flagged else 0.0
        r = hits / len(unanswerable) if unanswerable else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        wrong = len(flagged - unanswerable) / len(answerable) if answerable else 0.0
        rows.append(ThresholdRow(round(t, 4), p, r, f1, wrong))
    return rows


def choose(rows: list[ThresholdRow], max_answerable_flagged: float = 0.10) -> ThresholdRow | None:
    """Best F1 among thresholds that flag at most `max_answerable_flagged` of normal questions."""
    allowed = [r for r in rows if r.answerable_flagged <= max_answerable_flagged]
    return max(allowed, key=lambda r: (r.f1, -r.threshold), default=None)
