"""What a search returns: resources with their best passages and per-signal scores."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
