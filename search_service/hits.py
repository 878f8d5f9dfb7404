"""What a search returns: resources with their best passages and per-signal scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PassageHit:
    index: int
    score: float
    dense: float
    lexical: float


@dataclass
class ResourceHit:
    resource: dict[str, Any]
    score: float
    dense: float
    lexical: float
    passages: list[PassageHit] = field(default_factory=list)
    # The hybrid ranking's other signals (search_service.ranking): ngram, lexicon, name,
    # resource, hierarchy, rm3; empty for the single-signal modes.
    signals: dict[str, float] = field(default_factory=dict)
