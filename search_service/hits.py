"""What a search returns: resources with their best passages and per-signal scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PassageHit:
    index: int
    score: float
    dense: float
    lexical: float


@dataclass(frozen=True)
class ResourceHit:
    resource: dict[str, Any]
    score: float
    dense: float
    lexical: float
    passages: tuple[PassageHit, ...] = ()
    # The hybrid ranking's other signals (search_service.ranking): ngram, lexicon, name,
    # resource, hierarchy, rm3; empty for the single-signal modes.
    signals: Mapping[str, float] = field(default_factory=dict)


def group_fused(fused: np.ndarray, dense: np.ndarray, lexical: np.ndarray,
                passage_resource: Sequence[str], resources: Mapping[str, dict[str, Any]],
                k: int, per_resource: int) -> list[ResourceHit]:
    """The single-signal modes' results: passages by fused score (-inf: not retrieved), the
    first `k` resources met, each with its first `per_resource` passages."""
    best: dict[str, list[PassageHit]] = {}
    for i in np.argsort(-fused, kind="stable"):
        if not np.isfinite(fused[i]):
            break
        rid = passage_resource[i]
        shown = best.get(rid)
        if shown is None:
            if len(best) >= k:
                continue
            shown = best[rid] = []
        elif len(shown) >= per_resource:
            continue
        shown.append(PassageHit(int(i), float(fused[i]), float(dense[i]), float(lexical[i])))
    return [ResourceHit(resources[rid], shown[0].score, max(h.dense for h in shown),
                        max(h.lexical for h in shown), tuple(shown))
            for rid, shown in best.items()]
