"""Load the ranking signals an index version carries beside its BM25 (issue 17): the
n-gram field per visibility and the resource vectors, each checked, a problem an
`IndexLoadError` naming the file. The field lexicon ships with the service."""

from __future__ import annotations

from typing import Any

import numpy as np

from indexer.ngrams import NgramSettings, load_ngram_bm25
from indexer.opening import IndexData
from indexer.resource_vectors import load_resource_vectors
from indexer.visibility import VISIBILITIES, visible_positions
from search_service.lexicon import load_lexicon


def load_signals(data: IndexData, dimension: int) -> dict[str, Any]:
    """Keyword arguments for `Searcher`: `ngram`, `resource_vectors`, `lexicon`."""
    resources = {r["id"]: r for r in data.resources}
    private = [bool(resources[p["resource_id"]]["private"]) for p in data.passages]
    counts = {who: len(visible_positions(private, who)) for who in VISIBILITIES}
    manifest = data.manifest.to_dict()
    ngram: tuple[NgramSettings, dict[str, Any]] = load_ngram_bm25(data.path, manifest, counts)
    vectors: np.ndarray = load_resource_vectors(data.path, manifest,
                                                [r["id"] for r in data.resources], dimension)
    return {"ngram": ngram, "resource_vectors": vectors, "lexicon": load_lexicon()}
